import { toursFor, type TourId } from "../../lib/demo/tours";
import type { Policy } from "../../lib/protocol";
import { TourButtons } from "./tour-buttons";

const TEXT: Record<Policy, { title: string; lines: string[] }> = {
  occ: {
    title: "Optimistic concurrency (OCC)",
    lines: [
      "Every edit names the version it was based on; if someone changed the same field first, you get a conflict dialog.",
      "Try: open this board in two tabs, edit the same card's title in both, save both.",
    ],
  },
  lww: {
    title: "Last writer wins (LWW)",
    lines: [
      "Each field keeps the edit with the newest hybrid-logical-clock timestamp (ties broken by replica id), so every tab picks the same winner. When your edit loses you'll see “replaced by X's newer edit”.",
      "Try: in one tab open the Inspector and Go offline, edit a title there and in another tab, then go back online.",
    ],
  },
  mvr: {
    title: "Multi-value register (MVR)",
    lines: [
      "Vector clocks detect concurrent writes; instead of dropping one, the field keeps both as siblings. Open the card to see every sibling and who wrote it, then pick one or write a merge.",
      "Try: take one tab offline (Inspector), edit the same title in both tabs, reconnect.",
    ],
  },
};

/** A short, dismissible explanation of the board's conflict policy, with its guided tours (the lock tour where a tab-only guest can join, SPEC LOCK-10). */
export function PolicyExplainer({ policy, guestCan, onDismiss, onStartTour }: { policy: Policy; guestCan: boolean; onDismiss: () => void; onStartTour: (id: TourId) => void }) {
  const t = TEXT[policy];
  return (
    <section className="explainer" data-policy={policy} data-testid="policy-explainer" aria-label="How this board resolves conflicts">
      <div>
        <p>
          <strong>{t.title}.</strong> {t.lines[0]}
        </p>
        <p>{t.lines[1]}</p>
        <TourButtons tours={toursFor(policy, guestCan)} onStart={onStartTour} />
      </div>
      <button type="button" className="btn btn-ghost btn-sm" onClick={onDismiss} aria-label="Dismiss policy explanation">
        Got it
      </button>
    </section>
  );
}
