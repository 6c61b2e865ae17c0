"use client";

import type { MoveTimeline, MoveTimelineEntry, SyncClientApi } from "../../lib/client/types";
import type { Board, CrashPoint } from "../../lib/protocol";
import { secondsUntil, useNow } from "./lease-status";

interface MoveTimelinesProps {
  client: SyncClientApi;
  moves: MoveTimeline[];
  boards: Board[];
  /** Card titles this tab knows, by id. */
  titleOf: (cardId: string) => string | null;
  /** The demo fault switch's crash points when the node offers it, else null (SPEC TX-10). */
  faults: CrashPoint[] | null;
  crashArmed: CrashPoint | null;
}

const CRASH_TEXT: Record<CrashPoint, string> = { prepare: "after prepare", decision: "after the commit decision" };

/** A step in words (what the tab did, or what the coordinator or recovery did). */
function stepText(e: MoveTimelineEntry): string {
  switch (e.kind) {
    case "sent":
      return e.attempt > 1 ? `card:move sent again (replay #${e.attempt - 1}, same mutationId)` : "card:move sent";
    case "answer":
      return e.ok ? `answer: moved${e.txId ? ` (${e.txId.slice(0, 11)}…)` : ""}` : `answer: ${e.code}`;
    case "no-answer":
      return e.reason === "timeout" ? "no answer in time: kept, to be sent again" : "connection lost: kept, to be sent again";
    case "log":
      return e.state === "preparing"
        ? "coordinator log: preparing"
        : e.state === "prepared"
          ? "coordinator log: prepared (both parts hold their locks)"
          : e.state === "committed"
            ? "coordinator log: committed — the decision"
            : e.by === "recovery"
              ? "coordinator log: aborted (no decision within the 10 s grace)"
              : "coordinator log: aborted";
    case "part":
      return `shard ${e.shard}: ${e.state === "prepared" ? "PREPARE TRANSACTION" : e.state === "committed" ? "COMMIT PREPARED" : "ROLLBACK PREPARED"}`;
    case "crash":
      return `coordinator crashed ${CRASH_TEXT[e.after]}: in doubt, the parts stay prepared`;
  }
}

/** Where a move stands now, from its entries. */
function statusOf(t: MoveTimeline, now: number): { text: string; tone: "info" | "warn" | "ok" | "error"; recoveryIn?: number } {
  if (t.outcome === "moved") return { text: "moved", tone: "ok" };
  if (t.outcome === "refused") return { text: "refused", tone: "error" };
  const crash = [...t.entries].reverse().find((e) => e.kind === "crash");
  if (crash && crash.kind === "crash") {
    const after = t.entries.slice(t.entries.indexOf(crash) + 1);
    const recovered = after.some((e) => e.by === "recovery");
    if (!recovered) return { text: "in doubt", tone: "warn", recoveryIn: secondsUntil(crash.recoveryAt, now) };
  }
  return { text: "in flight", tone: "info" };
}

/**
 * The inspector's transaction panel (SPEC TX-10): one phase timeline per move this tab made, from
 * the moment it leaves the tab (so an in-flight move shows at once, whatever the latency): each
 * shard's prepare, the decision in the coordinator log, each commit or rollback, a coordinator
 * crash and what recovery did, and the answer. With the demo fault switch, the next cross-shard
 * move can crash its coordinator after prepare or after the decision.
 */
export function MoveTimelines({ client, moves, boards, titleOf, faults, crashArmed }: MoveTimelinesProps) {
  const inDoubt = moves.some((t) => t.outcome === undefined);
  const now = useNow(inDoubt);
  const board = (id: string) => boards.find((b) => b.id === id);
  const shown = [...moves].reverse().slice(0, 3);
  return (
    <section className="insp-section" aria-labelledby="tx-title" data-testid="inspector-moves">
      <h3 id="tx-title">Moves and two-phase commit</h3>
      {faults ? (
        <div className="range-row">
          <label htmlFor="sim-crash" className="small muted">
            Crash the coordinator
          </label>
          <select
            id="sim-crash"
            className="select"
            data-testid="sim-crash"
            value={crashArmed ?? "off"}
            onChange={(e) => client.setCrash(e.target.value === "off" ? null : (e.target.value as CrashPoint))}
          >
            <option value="off">off</option>
            {faults.map((f) => (
              <option key={f} value={f}>
                {CRASH_TEXT[f]} (next cross-shard move)
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {shown.length === 0 ? (
        <p className="insp-empty">None yet: move a card to a board on another shard (from its editor) to watch two-phase commit.</p>
      ) : (
        shown.map((t) => {
          const status = statusOf(t, now);
          const t0 = Date.parse(t.startedAt);
          const from = board(t.fromBoardId);
          const to = board(t.toBoardId);
          return (
            <div key={`${t.cardId}:${t.startedAt}`} className="tx-timeline" data-testid="tx-timeline" data-status={status.text}>
              <p className="small">
                <strong>{titleOf(t.cardId) ?? "A card"}</strong>: {from?.name ?? "a board"}
                {from ? <span className="muted"> (shard {from.shard})</span> : null} → {to?.name ?? "a board"}
                {to ? <span className="muted"> (shard {to.shard})</span> : null}{" "}
                <span className={`badge tx-status tx-${status.tone}`} data-testid="tx-status">
                  {status.text}
                </span>
              </p>
              {status.recoveryIn !== undefined ? (
                <p className="alert alert-warn small" role="status" data-testid="tx-in-doubt">
                  In doubt: both shards hold their prepared parts and the card&apos;s locks; nobody may commit or roll back without the log.{" "}
                  {status.recoveryIn > 0 ? <>Recovery runs in {status.recoveryIn} s.</> : <>Recovery is running.</>}
                </p>
              ) : null}
              <ol className="insp-list tx-steps" aria-label="Phase timeline">
                {t.entries.map((e, i) => (
                  <li key={i} data-by={e.by} data-kind={e.kind}>
                    <span className="mono muted">+{((Date.parse(e.at) - t0) / 1000).toFixed(2)} s</span>
                    <span className="grow">
                      <span className="mono">{e.by === "tab" ? "this tab" : e.by}</span> {stepText(e)}
                    </span>
                  </li>
                ))}
              </ol>
              {t.outcome === "moved" && to ? (
                <a className="btn btn-sm" href={`/b/${encodeURIComponent(to.id)}?card=${encodeURIComponent(t.cardId)}`} data-testid="tx-open-moved">
                  Open it on {to.name}
                </a>
              ) : null}
            </div>
          );
        })
      )}
    </section>
  );
}
