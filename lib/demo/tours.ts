import type { Board, Policy } from "../protocol";
import type { DemoBoard } from "./plan";

/**
 * Guided tours: each README "Try it in two tabs" row this app can walk a person through, step
 * by step, in two tabs of one board. Tab A is the tab the tour starts in, tab B the second tab it
 * opens (its own replica, SPEC REPLICA-1); for the lock tour tab B is another person, a guest of
 * that tab only (SPEC LOCK-10). The README table is checked against `row` by server/tools/docs/tours.test.ts, so the
 * two cannot drift apart.
 */

export const TOUR_IDS = ["occ", "lww", "mvr", "offline", "drop-ack", "move", "lock"] as const;
export type TourId = (typeof TOUR_IDS)[number];

/** Which tab does a step: the tour's own tab (A) or the second tab it opened (B). */
export type TourTab = "A" | "B";

/**
 * What a step points at: an element by its test id (the first one, newest first in the inspector's
 * timeline, whose attributes match `attrs`), or the tour's card (the board's first card, or a
 * demo board's named card).
 */
export type TourTarget = { testId: string; attrs?: Record<string, string> } | { card: true };

export interface TourStep {
  tab: TourTab;
  /** What to do (or look at), in one or two sentences. `{card}` names the tour's card. */
  text: string;
  /** What the ring goes around, in the acting tab. */
  target?: TourTarget;
  /** The step's own button: opens tab B. */
  action?: "open-second-tab";
}

export interface Tour {
  id: TourId;
  title: string;
  /** Board policies the tour fits ("any" for every board; none: only on the demo boards named in `demos`). */
  policies: readonly Policy[] | "any";
  /** Demo boards ("Try the demos") that offer the tour whatever their policy. */
  demos?: readonly DemoBoard["key"][];
  /**
   * Tab B is another person: a new guest of that tab only (SPEC LOCK-10), not a second tab of the
   * person who started the tour. Offered only where that guest can get in (`guestCanJoin`).
   */
  guestTabB?: true;
  /** The README "Try it in two tabs" row, word for word. */
  row: { policy: string; tryThis: string; whatYouSee: string };
  steps: readonly TourStep[];
}

const OPEN_B: TourStep = {
  tab: "A",
  text: "Open the same board in a second tab (tab B). It is its own replica: its own outbox, clocks and cursor.",
  action: "open-second-tab",
};

/** Tab B goes offline through the inspector's network simulator (the real socket disconnects). */
const B_OFFLINE: TourStep[] = [
  { tab: "B", text: "Open the Inspector.", target: { testId: "inspector-toggle" } },
  { tab: "B", text: "Press “Go offline”: this tab's socket really disconnects and its badge says offline.", target: { testId: "net-offline" } },
];

/** Both tabs edit the same title while B is offline, B first; then B comes back. */
const RACE: TourStep[] = [
  ...B_OFFLINE,
  { tab: "B", text: "Open {card}, change its title and save. The card says “waiting to sync — offline”: the edit waits in this tab's outbox.", target: { card: true } },
  { tab: "A", text: "Open {card} here too, give its title another value and save. This edit is the later one.", target: { card: true } },
  { tab: "B", text: "Press “Go online”: the tab catches up first, then replays its edit with its original clock.", target: { testId: "net-offline" } },
];

export const TOURS: readonly Tour[] = [
  {
    id: "occ",
    title: "An OCC conflict",
    policies: ["occ"],
    row: {
      policy: "`occ`",
      tryThis: "open one card's editor in both tabs, change the title in both, save both",
      whatYouSee: "the second save gets the conflict dialog: base / mine / theirs per field, the body merged three-way",
    },
    steps: [
      OPEN_B,
      { tab: "A", text: "Open {card}. The editor's badge is the version an edit here is based on.", target: { card: true } },
      { tab: "B", text: "Open {card} here too: both editors start from the same version.", target: { card: true } },
      { tab: "A", text: "Change the title; do not save yet.", target: { testId: "editor-title" } },
      { tab: "B", text: "Change the title to something else; do not save yet.", target: { testId: "editor-title" } },
      { tab: "A", text: "Save. The server applies it: the card's version goes up by one.", target: { testId: "editor-save" } },
      { tab: "B", text: "Save here too. This write names the old version, and the title changed since.", target: { testId: "editor-save" } },
      {
        tab: "B",
        text: "The conflict dialog: base (what you started from), mine, theirs (your other tab). Keep one per field, or merge the body, then Resolve.",
        target: { testId: "conflict-dialog" },
      },
    ],
  },
  {
    id: "lww",
    title: "A last-writer-wins race",
    policies: ["lww"],
    row: {
      policy: "`lww`",
      tryThis: "take tab B offline, edit the same title in both tabs, bring B back",
      whatYouSee: "both tabs settle on the later edit; the loser sees \"replaced by …'s newer edit\" (\"your other tab's\" for two tabs of one person) with its text kept to restore or copy",
    },
    steps: [
      OPEN_B,
      ...RACE,
      {
        tab: "B",
        text: "Both tabs show the later title. This tab is told its edit was replaced by your other tab's newer edit, and keeps what it typed to restore or copy.",
        target: { testId: "notice-lww-replaced" },
      },
    ],
  },
  {
    id: "mvr",
    title: "Multi-value siblings",
    policies: ["mvr"],
    row: {
      policy: "`mvr`",
      tryThis: "the same as for `lww`",
      whatYouSee: "the card is marked \"title has 2 values\"; the editor lists both with their authors; pick one or write a merge",
    },
    steps: [
      OPEN_B,
      ...RACE,
      { tab: "A", text: "Neither write had seen the other, so both values stay: the card says “title has 2 values” in both tabs.", target: { testId: "card-siblings" } },
      {
        tab: "A",
        text: "Open {card}: both values are listed with who wrote them (this tab, your other tab). Press “Use this” on one, or type a merge, and save: that resolves them everywhere.",
        target: { testId: "siblings-title" },
      },
    ],
  },
  {
    id: "offline",
    title: "An offline edit survives a reload",
    policies: "any",
    row: {
      policy: "any",
      tryThis: "take a tab offline, edit, reload it (it stays offline; with the network really down the offline shell serves the page), go online",
      whatYouSee: "the pending edit survives the reload and applies exactly once",
    },
    steps: [
      { tab: "A", text: "Open the Inspector.", target: { testId: "inspector-toggle" } },
      { tab: "A", text: "Press “Go offline”: the socket disconnects, and the tab remembers it is offline across a reload.", target: { testId: "net-offline" } },
      { tab: "A", text: "Open {card}, change its title and save. It is stored in this tab's outbox (IndexedDB) and waits: “waiting to sync — offline”.", target: { card: true } },
      { tab: "A", text: "Reload this tab. It comes back offline with the edit still there and still pending: the board and the outbox were read from IndexedDB.", target: { testId: "pending-pill" } },
      { tab: "A", text: "Press “Go online”: the tab catches up, then sends the edit with its original mutation id.", target: { testId: "net-offline" } },
      { tab: "A", text: "Nothing pending any more: the server applied the edit exactly once (a replay of a write it already applied answers the first result).", target: { testId: "pending-pill" } },
    ],
  },
  {
    id: "drop-ack",
    title: "A lost acknowledgement",
    policies: "any",
    row: {
      policy: "any",
      tryThis: "\"Drop next ack\", then edit",
      whatYouSee: "the server applied it, the tab never heard; it replays on reconnect and the server returns the first result",
    },
    steps: [
      { tab: "A", text: "Open the Inspector: its timeline has one row per write.", target: { testId: "inspector-toggle" } },
      { tab: "A", text: "Press “Drop next ack”: the next answer to a write is thrown away on its way to this tab, as when a connection dies.", target: { testId: "net-drop-ack" } },
      { tab: "A", text: "Open {card}, change its title and save. The server applies it; the tab never hears, reconnects and replays the edit with the same mutation id.", target: { card: true } },
      {
        tab: "A",
        text: "The edit's row: queued, sent, ack lost, replayed, then “stored result”: the server answered the first result and applied nothing again.",
        target: { testId: "timeline-row", attrs: { "data-kind": "write", "data-status": "stored result" } },
      },
    ],
  },
  {
    id: "move",
    title: "A two-phase commit move",
    policies: [],
    demos: ["moves-a", "moves-b"],
    row: {
      policy: "two boards on shards `a` and `b` (a node started with `CONCORD_FAULTS=demo`, `npm run dev` or `--demo`)",
      tryThis: "in the Inspector set **Crash the coordinator** to \"after prepare\", then move a card between them from the editor",
      whatYouSee:
        "the inspector's phase timeline: the move sent; shards `a` and `b` prepared; the log says prepared; the coordinator crashed: in doubt, recovery in 10 s; recovery aborts and rolls both parts back; the tab's replay commits in a new transaction; \"arrived on …\" with **Open it on …**, where the card's history goes on from the old board",
    },
    steps: [
      { tab: "A", text: "Open the Inspector, then its Moves tab: one phase timeline per move.", target: { testId: "inspector-toggle" } },
      {
        tab: "A",
        text: "Set “Crash the coordinator” to “after prepare” (a node started with CONCORD_FAULTS=demo, npm run dev or --demo has the switch; elsewhere the move just commits).",
        target: { testId: "sim-crash" },
      },
      { tab: "A", text: "Open {card}, pick the other demo board under “Move to” and press Move.", target: { card: true } },
      { tab: "A", text: "Both shards prepared and the log says prepared, then the coordinator crashed: the move is in doubt until recovery decides.", target: { testId: "tx-timeline" } },
      {
        tab: "A",
        text: "Recovery aborts and rolls both parts back; the tab's replay moves the card in a new transaction. “Open it on …” shows it on the other board, its history going on.",
        target: { testId: "tx-open-moved" },
      },
    ],
  },
  {
    id: "lock",
    title: "A lease and a fencing token",
    policies: "any",
    demos: ["lock"],
    guestTabB: true,
    row: {
      policy: "any",
      tryThis:
        "lock a card as Alice; as Bob (the tour's tab B, a guest of that tab only, or a private window) open it, press **Send anyway**, edit, save; in Alice's Inspector press **Pause holder** and wait; Bob locks it; Alice saves",
      whatYouSee:
        "Alice's editor shows the fencing token and a countdown, renewed every 15 s while she keeps it; Bob sees \"Locked by Alice · token N\" and his write answers `LOCKED`; paused, Alice's tab stops renewing but keeps token N, the lease runs out, Bob gets token N+1, and Alice's save answers `STALE_LOCK`",
    },
    steps: [
      {
        tab: "A",
        text: "Open this board in a second tab as Bob (tab B): a new guest of that tab only, another person, since a lease is held per person. Your other tabs stay you.",
        action: "open-second-tab",
      },
      { tab: "A", text: "Open {card}.", target: { card: true } },
      {
        tab: "A",
        text: "Press Lock. Your editor shows the lease: its fencing token (N) and a countdown; half-way through, this tab renews it (same token, “renewed 1×”).",
        target: { testId: "editor-lock" },
      },
      { tab: "B", text: "Open {card} here, as Bob: “Locked by … · token N”, and Save stays off.", target: { card: true } },
      { tab: "B", text: "Press “Send anyway”, change the title and save.", target: { testId: "lease-send-anyway" } },
      {
        tab: "B",
        text: "The server answers LOCKED: someone else holds the lease. Nothing was written; the notice keeps what you typed.",
        target: { testId: "notice-error", attrs: { "data-keeps-typing": "true" } },
      },
      { tab: "A", text: "Close the editor and open the Inspector.", target: { testId: "inspector-toggle" } },
      {
        tab: "A",
        text: "Press “Pause holder”: this tab sends no more renewals and keeps token N whatever it hears, like a stalled process.",
        target: { testId: "sim-pause-holder" },
      },
      { tab: "A", text: "Open {card} again and wait: the lease runs out within 30 s, yet this tab still believes it holds it.", target: { testId: "lease-paused" } },
      { tab: "B", text: "Once the card says it is no longer locked, open {card} and press Lock: token N+1 (the card's fence on its shard is raised to it first).", target: { card: true } },
      { tab: "A", text: "Your editor says Bob holds it now with token N+1. Change the title and save: the save carries token N.", target: { testId: "editor-save" } },
      {
        tab: "A",
        text: "The save answers STALE_LOCK: token N is older than the card's fence, checked in the write transaction. Nothing was written; the notice keeps your typing.",
        target: { testId: "notice-error", attrs: { "data-keeps-typing": "true" } },
      },
    ],
  },
];

/**
 * Whether a tab-only guest (SPEC LOCK-10) can open `board`: an open board admits every signed-in
 * user (ACCESS-2); a private one only when its owner (`meId`) invites the guest, which the tour
 * does. An archived board refuses writes, so it has no lock tour.
 */
export function guestCanJoin(board: Pick<Board, "visibility" | "ownerId" | "archived">, meId: string | undefined): boolean {
  return board.archived !== true && (board.visibility === "open" || (meId !== undefined && board.ownerId === meId));
}

/** The tours a demo board offers: its policy's (the occ, lww and mvr demos) and the ones made for it (the lock tour where the guest can join). */
export function toursForDemo(key: DemoBoard["key"], policy: Policy, guestCan = false): Tour[] {
  const made = TOURS.filter((t) => t.demos?.includes(key));
  if (made.length > 0) return made.filter((t) => !t.guestTabB || guestCan);
  return key === "occ" || key === "lww" || key === "mvr" ? toursFor(policy) : [];
}

/** The tour of `id`. */
export function tourOf(id: TourId): Tour {
  return TOURS.find((t) => t.id === id)!;
}

/** The tours a board of `policy` offers, its own policy's first; the lock tour only when a tab-only guest can join it (`guestCanJoin`). */
export function toursFor(policy: Policy, guestCan = false): Tour[] {
  return TOURS.filter((t) => (t.policies === "any" || t.policies.includes(policy)) && (!t.guestTabB || guestCan));
}

/** A README table row as it is written: `| policy | try this | what you see |`. */
export function readmeRow(t: Tour): string {
  return `| ${t.row.policy} | ${t.row.tryThis} | ${t.row.whatYouSee} |`;
}

/** A step's text with the tour's card named (“its title”, or "the card" in the README). */
export function stepText(step: TourStep, cardTitle: string | undefined): string {
  return step.text.replaceAll("{card}", cardTitle === undefined ? "the card" : `“${cardTitle}”`);
}

/** Parses a tour id from untrusted text (a URL parameter, a stored value). */
export function parseTourId(value: unknown): TourId | undefined {
  return TOUR_IDS.find((id) => id === value);
}
