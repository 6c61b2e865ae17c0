import type { Board, Fields, Policy } from "../protocol";

/** The five techniques of README "What runs for real", each with its demo board. */
export const TECHNIQUES = ["occ", "resolution", "moves", "locks", "replication"] as const;
export type Technique = (typeof TECHNIQUES)[number];

/** One demo board: made by `board:create`, filled by `card:create` (the normal write path). */
export interface DemoBoard {
  key: "occ" | "lww" | "mvr" | "moves-a" | "moves-b" | "lock";
  name: string;
  policy: Policy;
  shard: "a" | "b";
  /** What the board shows, in one line, and what to try in two tabs. */
  summary: string;
  steps: string[];
  cards: Partial<Fields>[];
}

const card = (title: string, body: string, status: Fields["status"], position: string, tags: string[] = []): Partial<Fields> => ({
  title,
  body,
  status,
  position,
  tags,
});

/**
 * The demo boards. Names start with `DEMO_PREFIX`; a board is a demo board by its name (the board
 * list finds them, the board screen shows their guide). Every card title is unique on its board.
 */
export const DEMO_BOARDS: readonly DemoBoard[] = [
  {
    key: "occ",
    name: "Demo · OCC conflicts",
    policy: "occ",
    shard: "a",
    summary: "Every write names the version it was based on; a stale write on a field someone changed is refused (SPEC OCC-2).",
    steps: [
      "Open the second tab, then open “Write the launch note” in both tabs.",
      "Change the title in both and save both: the second save gets the conflict dialog (base / mine / theirs).",
    ],
    cards: [
      card("Write the launch note", "Concord keeps shared cards consistent.\nEvery tab is a replica.", "todo", "a0", ["docs"]),
      card("Review the pricing page", "Check the numbers with finance.", "doing", "a1"),
      card("Ship 1.0", "Tag, build, announce.", "done", "a2", ["release"]),
    ],
  },
  {
    key: "lww",
    name: "Demo · LWW race",
    policy: "lww",
    shard: "a",
    summary: "Each field keeps the edit with the newest hybrid logical clock, so every tab picks the same winner (SPEC LWW-1).",
    steps: [
      "Open the second tab; in it open the Inspector and press “Go offline”.",
      "Edit the title of “Pick the team offsite venue” there, then in this tab; bring the other tab back online.",
      "Both settle on the later edit; the losing tab says “replaced by …'s newer edit”. The offline edit was replayed exactly once.",
    ],
    cards: [
      card("Pick the team offsite venue", "Lisbon or Kraków?", "todo", "a0", ["team"]),
      card("Order the swag", "Stickers and mugs.", "doing", "a1"),
    ],
  },
  {
    key: "mvr",
    name: "Demo · MVR siblings",
    policy: "mvr",
    shard: "b",
    summary: "Vector clocks detect concurrent writes; both values stay as siblings until a person picks one (SPEC MVR-1).",
    steps: [
      "Open the second tab; in it open the Inspector and press “Go offline”.",
      "Edit the title of “Name the mascot” in both tabs; bring the other tab back online.",
      "The card says “title has 2 values”; open it to see both with their authors, then pick one.",
    ],
    cards: [
      card("Name the mascot", "Ideas welcome.", "todo", "a0", ["fun"]),
      card("Choose the colour scheme", "Indigo or teal?", "doing", "a1"),
    ],
  },
  {
    key: "moves-a",
    name: "Demo · Moves A",
    policy: "occ",
    shard: "a",
    summary: "This board lives on shard a, its partner on shard b: a move between them is one two-phase commit (SPEC TX-2).",
    steps: [
      "Open the Inspector, open “Move me to shard b” and move it to “Demo · Moves B”.",
      "The inspector shows the transaction: preparing, prepared, committed; the card is on exactly one board.",
    ],
    cards: [
      card("Move me to shard b", "Open me, pick “Demo · Moves B” under Move, press Move.", "todo", "a0", ["2pc"]),
      card("Stays on shard a", "Nothing to do here.", "done", "a1"),
    ],
  },
  {
    key: "moves-b",
    name: "Demo · Moves B",
    policy: "occ",
    shard: "b",
    summary: "The other side of the move demo, on shard b.",
    steps: ["Move “Move me back to shard a” to “Demo · Moves A” and watch the inspector's transaction."],
    cards: [card("Move me back to shard a", "Moves go both ways, each through two-phase commit.", "todo", "a0", ["2pc"])],
  },
  {
    key: "lock",
    name: "Demo · Lock and fence",
    policy: "occ",
    shard: "a",
    summary: "A lease makes a card exclusive for 30 s; every grant carries a fencing token the database checks (SPEC LOCK-3).",
    steps: [
      "Open “Lock me” and press Lock: every tab shows the card “locked by you”.",
      "Invite someone (Invite) and have them edit it: their write answers LOCKED until the lease runs out or you unlock.",
    ],
    cards: [
      card("Lock me", "Take the lease, then let someone else try to edit.", "todo", "a0", ["lease"]),
      card("Fencing tokens", "A holder paused past its lease writes with an older token and is refused: STALE_LOCK.", "doing", "a1"),
    ],
  },
];

export const DEMO_PREFIX = "Demo · ";

/** The demo board a technique links to. */
export const TECHNIQUE_DEMO: Record<Technique, DemoBoard["key"]> = {
  occ: "occ",
  resolution: "mvr",
  moves: "moves-a",
  locks: "lock",
  replication: "lww",
};

/** The plan entry of a board, when it is a demo board (by its name). */
export function demoOf(board: Pick<Board, "name">): DemoBoard | undefined {
  return DEMO_BOARDS.find((d) => d.name === board.name);
}

/**
 * The board list's demo board for `key`: the person's own first (they made it with "Try the
 * demos"), else one made by `npm start -- --demo` (open to everyone).
 */
export function findDemoBoard<B extends Pick<Board, "name" | "ownerId">>(boards: readonly B[], key: DemoBoard["key"], me: string | undefined): B | undefined {
  const name = DEMO_BOARDS.find((d) => d.key === key)!.name;
  const named = boards.filter((b) => b.name === name);
  return named.find((b) => b.ownerId === me) ?? named[0];
}
