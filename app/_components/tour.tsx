"use client";

import { useEffect, useRef } from "react";
import { stepText, tourOf, type TourTarget } from "../../lib/demo/tours";
import { TAB_GUEST_NAME } from "../_lib/tab-guest";
import type { ActiveTour } from "../_lib/use-tour";

interface TourProps {
  tour: ActiveTour;
  onGo: (step: number) => void;
  onEnd: () => void;
  onOpenTabB: () => void;
}

const RING = "data-tour-highlight";

/** The element a step points at in this tab: inside the tour's card first (its siblings marker), else anywhere. */
function find(target: TourTarget, cardId: string | undefined): HTMLElement | null {
  const card = cardId ? document.querySelector<HTMLElement>(`[data-testid="card-${CSS.escape(cardId)}"]`) : null;
  if ("card" in target) return card ?? document.querySelector<HTMLElement>("[data-card-title]");
  const attrs = Object.entries(target.attrs ?? {}).map(([k, v]) => `[${CSS.escape(k)}="${CSS.escape(v)}"]`);
  const selector = `[data-testid="${CSS.escape(target.testId)}"]${attrs.join("")}`;
  return card?.querySelector<HTMLElement>(selector) ?? document.querySelector<HTMLElement>(selector);
}

/**
 * The guided tour's panel (issue 12 item 6): step n of m, what to do and in which tab, Back and
 * Next, and a ring around what to look at in this tab. Not modal: the person does each step on
 * the real board while the panel stays in a corner. Escape ends the tour.
 */
export function Tour({ tour, onGo, onEnd, onOpenTabB }: TourProps) {
  const def = tourOf(tour.id);
  const step = def.steps[tour.step];
  const last = tour.step === def.steps.length - 1;
  const here = step.tab === tour.tab;
  const nextRef = useRef<HTMLButtonElement>(null);

  // Ring the target in the acting tab, and keep looking: it may appear later (the inspector opens, a dialog comes up).
  useEffect(() => {
    if (!here || !step.target) return;
    const target = step.target;
    let ringed: HTMLElement | null = null;
    let scrolled = false;
    const mark = () => {
      const el = find(target, tour.cardId);
      if (el === ringed) return;
      ringed?.removeAttribute(RING);
      ringed = el;
      if (!el) return;
      el.setAttribute(RING, "true");
      if (!scrolled) {
        scrolled = true;
        el.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    };
    mark();
    const timer = window.setInterval(mark, 300);
    return () => {
      window.clearInterval(timer);
      ringed?.removeAttribute(RING);
    };
  }, [here, step, tour.cardId]);

  useEffect(() => {
    nextRef.current?.focus({ preventScroll: true });
  }, []);

  const text = stepText(step, tour.cardTitle);
  return (
    <section
      className="tour"
      role="dialog"
      aria-modal="false"
      aria-labelledby="tour-title"
      data-testid="tour"
      data-tour-tab={tour.tab}
      onKeyDown={(e) => {
        if (e.key === "Escape") onEnd();
      }}
    >
      <div className="tour-head">
        <h2 id="tour-title">Tour · {def.title}</h2>
        <button type="button" className="btn btn-ghost btn-sm" aria-label="End the tour" data-testid="tour-end" onClick={onEnd}>
          ✕
        </button>
      </div>
      <p className="tour-meta">
        <span data-testid="tour-progress">
          Step {tour.step + 1} of {def.steps.length}
        </span>
        <span className="badge" data-testid="tour-this-tab">
          you are in tab {tour.tab}
        </span>
      </p>
      <div aria-live="polite">
        <p className="tour-where" data-testid="tour-where" data-here={here}>
          {here ? `Here, in tab ${step.tab}` : `Over in tab ${step.tab}`}
          {!here && step.target ? " (the ring is there)" : null}
        </p>
        <p className="tour-text" data-testid="tour-text">
          {text}
        </p>
      </div>
      {step.action === "open-second-tab" && tour.tab === "A" ? (
        <button type="button" className="btn btn-primary btn-sm" data-testid="tour-open-second-tab" onClick={onOpenTabB}>
          {def.guestTabB ? `Open tab B as ${TAB_GUEST_NAME}` : "Open the second tab"}
        </button>
      ) : null}
      <div className="tour-foot">
        <button type="button" className="btn btn-sm" data-testid="tour-back" disabled={tour.step === 0} onClick={() => onGo(tour.step - 1)}>
          Back
        </button>
        <button ref={nextRef} type="button" className={step.action && tour.tab === "A" ? "btn btn-sm" : "btn btn-sm btn-primary"} data-testid="tour-next" onClick={() => (last ? onEnd() : onGo(tour.step + 1))}>
          {last ? "Done" : "Next"}
        </button>
      </div>
    </section>
  );
}
