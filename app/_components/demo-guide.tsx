"use client";

import { DEMO_PREFIX, type DemoBoard } from "../../lib/demo/plan";
import type { Policy } from "../../lib/protocol";

/**
 * The guide a demo board opens with: what the board shows, what to try, and a button that opens
 * the same board in a second window beside this one (a new tab where windows cannot be placed).
 * `noopener` gives it a fresh sessionStorage, so it is its own replica with its own replica id
 * from the start (SPEC REPLICA-1).
 */
export function DemoGuide({ demo, policy }: { demo: DemoBoard; policy: Policy }) {
  function openSecondTab() {
    // A window on the right half of the screen, beside this one, where the browser allows
    // positioned windows; elsewhere the browser opens an ordinary tab.
    const s = window.screen as Screen & { availLeft?: number; availTop?: number };
    const width = Math.floor(s.availWidth / 2);
    const features = `noopener,popup,left=${(s.availLeft ?? 0) + width},top=${s.availTop ?? 0},width=${width},height=${s.availHeight}`;
    window.open(window.location.href, "_blank", features);
  }
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
      </div>
      <button type="button" className="btn btn-primary btn-sm" data-testid="open-second-tab" onClick={openSecondTab}>
        Open the second tab
      </button>
    </section>
  );
}
