"use client";

import { DEMO_PREFIX, type DemoBoard } from "../../lib/demo/plan";
import type { Policy } from "../../lib/protocol";
import { toursForDemo, type TourId } from "../../lib/demo/tours";
import { openSecondTab } from "../_lib/second-tab";
import { TourButtons } from "./tour-buttons";

/**
 * The guide a demo board opens with: what the board shows, what to try, and a button that opens
 * the same board in a second window beside this one (a new tab where windows cannot be placed).
 * `noopener` gives it a fresh sessionStorage, so it is its own replica with its own replica id
 * from the start (SPEC REPLICA-1).
 */
export function DemoGuide({ demo, policy, guestCan, onStartTour }: { demo: DemoBoard; policy: Policy; guestCan: boolean; onStartTour: (id: TourId) => void }) {
  return (
    <section className="explainer demo-guide" data-policy={policy} data-testid="demo-guide" aria-label="What this demo shows">
      <div>
        <p>
          <strong>{demo.name.slice(DEMO_PREFIX.length)}.</strong> {demo.summary}
        </p>
        <ol className="demo-steps">
          {demo.steps.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ol>
        {/* Every demo has a step-by-step tour; the lock demo's second person is a guest of tab B only (SPEC LOCK-10), where that guest can get in. */}
        <TourButtons tours={toursForDemo(demo.key, policy, guestCan)} onStart={onStartTour} />
      </div>
      <button type="button" className="btn btn-primary btn-sm" data-testid="open-second-tab" onClick={() => openSecondTab(window.location.href)}>
        Open the second tab
      </button>
    </section>
  );
}
