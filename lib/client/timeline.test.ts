import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendEvent, type Trace, type WriteTrace } from "./inspector";
import { buildTimeline, DEFAULT_FILTERS, filterRows, type TimelineRow } from "./timeline";
import type { InspectorEvent } from "./types";

const base = { mutationId: "m1", kind: "update", boardId: "b1", cardId: "c1", fields: ["title"], title: "Launch" } as const;
const w = (step: WriteTrace["step"], more: Partial<WriteTrace> = {}): Trace => ({ type: "write", ...base, fields: [...base.fields], step, ...more });
const change = (seq: number, more: Partial<Extract<Trace, { type: "change" }>> = {}): Trace => ({
  type: "change", boardId: "b1", seq, cardId: "c1", mutationId: "m1", by: "u1", deleted: false, version: 2, ...more,
});
const net = (what: Extract<Trace, { type: "network" }>["what"], more: object = {}): Trace => ({ type: "network", what, ...more });

/** Events one second apart, with the direction the real log gives them. */
function events(...traces: [InspectorEvent["direction"], Trace][]): InspectorEvent[] {
  return traces.map(([direction, trace], i) => ({ at: new Date(Date.UTC(2026, 0, 1, 9, 0, i)).toISOString(), direction, event: trace.type, summary: "", trace }));
}

const rowOf = (rows: TimelineRow[], key: string) => rows.find((r) => r.key === key)!;

describe("INSP-1 the timeline", () => {
  it("unfolds one write in one row: queued, sent, broadcast seen, acknowledged with its seq and batch", () => {
    const { rows } = buildTimeline(events(["local", w("queued")], ["out", w("sent", { attempt: 1 })], ["in", change(7)], ["in", w("acked", { seq: 7, version: 2, batch: 3 })]));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ kind: "write", category: "writes", title: "update title", subject: { boardId: "b1", cardId: "c1" }, titleHint: "Launch" });
    expect(row.steps.map((s) => s.label)).toEqual(["queued", "sent", "broadcast seen: seq 7", "acknowledged"]);
    expect(row.steps[3]!.detail).toBe("committed at seq 7 in a batch of 3 writes · v2");
    expect(row.status).toEqual({ label: "acknowledged", tone: "ok" });
    expect(row.write).toMatchObject({ attempts: 1, stored: false, seen: true, seq: 7 });
  });

  it("Drop next ack: the replay is answered the stored first result, and the reconnect is one row", () => {
    const { rows } = buildTimeline(
      events(
        ["local", w("queued")],
        ["out", w("sent", { attempt: 1 })],
        ["in", change(7)],
        ["in", w("ack-dropped", { seq: 7 })],
        ["local", net("disconnected", { detail: "io client disconnect" })],
        ["local", net("connected")],
        ["in", net("hello", { nodeId: "node-1" })],
        ["out", { type: "request", event: "board:join", boardId: "b1", answer: "since seq 7" }],
        ["in", { type: "request", event: "board:join", boardId: "b1", answer: "0 changes to seq 7" }],
        ["out", w("sent", { attempt: 2 })],
        ["in", w("acked", { seq: 7, version: 2, batch: 1 })],
      ),
    );
    expect(rows.map((r) => r.kind)).toEqual(["write", "network", "request"]);
    const write = rows[0]!;
    expect(write.steps.map((s) => s.label)).toEqual(["queued", "sent", "broadcast seen: seq 7", "ack lost", "replayed (send #2)", "stored result"]);
    expect(write.status).toEqual({ label: "stored result", tone: "ok" });
    expect(write.steps.at(-1)!.detail).toBe("the server answered the first result (seq 7, committed in a batch of 1 write) and applied nothing again · v2");
    expect(write.write).toMatchObject({ attempts: 2, stored: true });
    const reconnect = rows[1]!;
    expect(reconnect.steps.map((s) => s.label)).toEqual(["disconnected", "reconnected", "hello from node-1"]);
    expect(reconnect).toMatchObject({ title: "reconnect", status: { label: "reconnected", tone: "ok" } });
    expect(rows[2]).toMatchObject({ title: "board:join", status: { label: "ok", tone: "ok" }, category: "reads" });
  });

  it("a replay whose first send never reached the server is a fresh acknowledgement, not a stored result", () => {
    const { rows } = buildTimeline(
      events(["local", w("queued")], ["out", w("sent", { attempt: 1 })], ["local", net("disconnected")], ["local", net("connected")], ["out", w("sent", { attempt: 2 })], ["in", change(3)], ["in", w("acked", { seq: 3 })]),
    );
    expect(rows[0]!.status.label).toBe("acknowledged");
    expect(rows[0]!.write!.stored).toBe(false);
  });

  it("a replay sent after its change was caught up can only be the stored result (no dropped ack needed)", () => {
    const { rows } = buildTimeline(
      events(["out", w("sent", { attempt: 1 })], ["local", net("disconnected")], ["local", net("connected")], ["in", change(4, { catchUp: true })], ["out", w("sent", { attempt: 2 })], ["in", w("acked", { seq: 4 })]),
    );
    expect(rows[0]!.steps.map((s) => s.label)).toEqual(["sent", "caught up: seq 4", "replayed (send #2)", "stored result"]);
  });

  it("Kill socket shows one row until the socket is back", () => {
    const killed = buildTimeline(events(["local", net("killed")], ["local", net("disconnected", { detail: "transport close" })])).rows;
    expect(killed).toHaveLength(1);
    expect(killed[0]).toMatchObject({ title: "socket killed", status: { label: "reconnecting…", tone: "warn" } });
    const back = buildTimeline(events(["local", net("killed")], ["local", net("disconnected")], ["local", net("connected")], ["local", net("killed")])).rows;
    expect(back.map((r) => r.status.label)).toEqual(["reconnected", "reconnecting…"]);
  });

  it("another replica's write opens its own row naming its author; refusals and presence are rows of their own kind", () => {
    const { rows } = buildTimeline(
      events(
        ["in", change(9, { mutationId: "m9", by: "u2", title: "Theirs" })],
        ["local", w("queued", { mutationId: "m2" })],
        ["in", w("refused", { mutationId: "m2", code: "CONFLICT" })],
        ["in", { type: "presence", boardId: "b1", users: ["Ada", "Bob"], total: 2 }],
        ["in", { type: "tx", txId: "t1", phase: "preparing", shards: ["a", "b"] }],
        ["in", { type: "tx", txId: "t1", phase: "committed", shards: ["a", "b"] }],
      ),
    );
    expect(rowOf(rows, "m:m9")).toMatchObject({ title: "change", subject: { userId: "u2" }, status: { label: "seq 9" }, titleHint: "Theirs" });
    expect(rowOf(rows, "m:m2").status).toEqual({ label: "CONFLICT", tone: "error" });
    expect(rowOf(rows, "tx:t1")).toMatchObject({ category: "transactions", status: { label: "committed", tone: "ok" } });
    expect(rowOf(rows, "tx:t1").steps).toHaveLength(2);
    expect(filterRows(rows, DEFAULT_FILTERS).map((r) => r.category)).toEqual(["writes", "writes", "transactions"]);
    expect(filterRows(rows, { ...DEFAULT_FILTERS, presence: true })).toHaveLength(4);
  });

  it("an answer joins the request it answers; a refused request says its code", () => {
    const { rows } = buildTimeline(
      events(
        ["out", { type: "request", event: "lock:acquire", cardId: "c1" }],
        ["out", { type: "request", event: "card:history", cardId: "c1" }],
        ["in", { type: "request", event: "card:history", cardId: "c1" }],
        ["in", { type: "request", event: "lock:acquire", cardId: "c1", answer: "LOCKED" }],
      ),
    );
    expect(rows.map((r) => [r.title, r.category, r.status.label])).toEqual([
      ["lock:acquire", "locks", "LOCKED"],
      ["card:history", "reads", "ok"],
    ]);
  });

  it("a lease's renewals extend its row; another grant or a release is a row of its own", () => {
    const holder = { id: "u2", name: "Grace" };
    const renew = (dir: InspectorEvent["direction"], answer?: string): [InspectorEvent["direction"], Trace] => [dir, { type: "request", event: "lock:renew", cardId: "c1", ...(answer ? { answer } : {}) }];
    const { rows } = buildTimeline(
      events(
        ["in", { type: "lock", boardId: "b1", cardId: "c1", holder, token: 4, expiresAt: "2026-01-01T09:00:30.000Z" }],
        renew("out"), renew("in"),
        ["in", { type: "lock", boardId: "b1", cardId: "c1", holder, token: 4, expiresAt: "2026-01-01T09:00:40.000Z" }],
        renew("out"), renew("in"),
        ["out", { type: "request", event: "lock:release", cardId: "c1" }],
        renew("out"), renew("in", "STALE_LOCK"),
        ["in", { type: "lock", boardId: "b1", cardId: "c1" }],
        ["in", { type: "lock", boardId: "b1", cardId: "c1", holder, token: 5, expiresAt: "2026-01-01T09:01:00.000Z" }],
      ),
    );
    expect(rows.map((r) => [r.title, r.status.label, r.steps.length])).toEqual([
      ["lease granted", "token 4", 2],
      ["lock:renew ×2", "ok", 4],
      ["lock:release", "sent", 1],
      ["lock:renew", "STALE_LOCK", 2],
      ["lease ended", "free", 1],
      ["lease granted", "token 5", 1],
    ]);
    expect(rows[0]!.steps.map((s) => s.label)).toEqual(["held, token 4", "renewed"]);
  });

  it("the log keeps its newest events, dropping presence first when full", () => {
    const [a, b, c, d] = events(["local", w("queued")], ["in", { type: "presence", boardId: "b1", users: [], total: 1 }], ["out", w("sent")], ["in", change(1)]);
    expect(appendEvent([a!, b!, c!], d!, 3)).toEqual([a, c, d]);
    expect(appendEvent([a!, c!, d!], b!, 3)).toEqual([c, d, b]);
    expect(appendEvent([a!], b!, 3)).toEqual([a, b]);
  });

  const traceArb: fc.Arbitrary<[InspectorEvent["direction"], Trace]> = fc.oneof(
    fc.tuple(fc.constantFrom("local", "out", "in") as fc.Arbitrary<InspectorEvent["direction"]>, fc.record({
      step: fc.constantFrom("queued", "sent", "ack-dropped", "acked", "refused", "retry", "set-aside", "retried", "discarded") as fc.Arbitrary<WriteTrace["step"]>,
      mutationId: fc.constantFrom("m1", "m2", "m3"),
      seq: fc.nat(20),
    }).map(({ step, mutationId, seq }) => w(step, { mutationId, seq, attempt: undefined }))),
    fc.tuple(fc.constant("in" as const), fc.record({ seq: fc.nat(20), mutationId: fc.constantFrom("m1", "m2", "m9") }).map(({ seq, mutationId }) => change(seq, { mutationId }))),
    fc.tuple(fc.constant("local" as const), fc.constantFrom("connected", "disconnected", "killed", "offline", "online", "refused", "hello").map((what) => net(what as never))),
    fc.tuple(fc.constantFrom("out", "in") as fc.Arbitrary<InspectorEvent["direction"]>, fc.constantFrom("board:join", "lock:renew").map((event): Trace => ({ type: "request", event, boardId: "b1" }))),
    fc.tuple(fc.constant("in" as const), fc.constantFrom("preparing", "prepared", "committed").map((phase): Trace => ({ type: "tx", txId: "t1", phase: phase as never, shards: ["a"] }))),
  );

  it("every traced event is exactly one step of exactly one row; rows are in the order they began", () => {
    fc.assert(
      fc.property(fc.array(traceArb, { maxLength: 40 }), (list) => {
        const evs = events(...list);
        const { rows } = buildTimeline(evs);
        expect(rows.reduce((n, r) => n + r.steps.length, 0)).toBe(evs.length);
        expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
        for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.at <= rows[i]!.at).toBe(true);
        for (const r of rows) {
          expect(r.steps.map((s) => s.at)).toEqual([...r.steps.map((s) => s.at)].sort());
          // A write answered "stored result" was sent more than once.
          if (r.write?.stored) expect(r.write.attempts).toBeGreaterThan(1);
        }
      }),
    );
  });
});
