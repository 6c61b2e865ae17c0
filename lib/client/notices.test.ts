import { afterEach, describe, expect, it, vi } from "vitest";
import type { Card, Change } from "../protocol";
import { keepsTyping, keptWrite, Notices, summarize } from "./notices";
import { ClientStore, initialState } from "./store";
import type { PendingUpdate } from "./types";

const ME = "u-alice";

function setup() {
  const store = new ClientStore(initialState({ id: ME, name: "Alice" }, "r-this"));
  let t = 1_000;
  const names = { nameOf: (_b: string, id: string | undefined) => (id === ME ? "Alice" : id === "u-bob" ? "Bob" : null) };
  const notices = new Notices({ store, now: () => t, replicaId: "r-this", userId: ME, names });
  return { store, notices, tick: (ms: number) => (t += ms) };
}

const update = (patch: PendingUpdate["patch"], hlc?: string): PendingUpdate => ({
  kind: "update",
  mutationId: "m1",
  boardId: "b1",
  cardId: "c1",
  createdAt: "",
  attempts: 1,
  order: 1,
  patch,
  baseVersion: 1,
  ...(hlc ? { hlc } : {}),
});

const changed = (by: string, hlc: Record<string, string>): Change => ({
  boardId: "b1",
  seq: 2,
  type: "card.upsert",
  card: { id: "c1", hlc } as unknown as Card,
  mutationId: "m2",
  by,
  at: "",
});

afterEach(() => vi.useRealTimers());

describe("Notices: nothing a person typed is lost", () => {
  it("a refused write's notice carries the values the person typed", () => {
    const s = summarize(update({ title: "My title", body: "Long text" }));
    expect(s).toEqual({ kind: "update", fields: ["title", "body"], values: { title: "My title", body: "Long text" } });
    expect(summarize({ kind: "delete", mutationId: "m", boardId: "b1", cardId: "c1", createdAt: "", attempts: 0, order: 1, baseVersion: 1 }).values).toBeUndefined();
  });

  it("keeps a refused write's notice until dismissed; other notices expire", () => {
    vi.useFakeTimers();
    const { store, notices } = setup();
    const write = summarize(update({ body: "typed" }));
    notices.add({ boardId: "b1", cardId: "c1" }, { code: "write-refused", write, error: { code: "LOCKED", message: "locked" } });
    notices.add({ boardId: "b1" }, { code: "card-gone" });
    expect(keepsTyping(store.get().notices[0])).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(store.get().notices.map((n) => n.code)).toEqual(["write-refused"]);
    notices.dismiss(store.get().notices[0].id);
    expect(store.get().notices).toEqual([]);
  });

  it("lww: a newer edit by the same person is named as their other tab", () => {
    const { store, notices } = setup();
    notices.lwwAcked(update({ title: "a" }, "0001:r-this"), "lww", {});
    notices.lwwChanged("b1", changed(ME, { title: "0002:r-other" }));
    expect(store.get().notices[0]).toMatchObject({ code: "lww-replaced", fields: ["title"], by: "Alice", otherTab: true });
    notices.lwwAcked(update({ body: "a" }, "0003:r-this"), "lww", {});
    notices.lwwChanged("b1", changed("u-bob", { body: "0004:r-bob" }));
    expect(store.get().notices[1]).toMatchObject({ by: "Bob" });
    expect(store.get().notices[1]).not.toHaveProperty("otherTab");
  });

  it("LWW-4: the replaced values the person typed stay in the notice until dismissed", () => {
    vi.useFakeTimers();
    const { store, notices } = setup();
    // Ignored on arrival: the title lost, the body (not ignored) was applied.
    notices.lwwAcked(update({ title: "Offsite in Kraków", body: "kept" }, "0001:r-this"), "lww", { ignored: ["title"], card: { updatedBy: "u-bob" } as Card });
    // Applied, then replaced by a newer edit moments later.
    notices.lwwChanged("b1", changed("u-bob", { body: "0009:r-bob" }));
    const [ignored, replaced] = store.get().notices;
    expect(keptWrite(ignored)).toEqual({ kind: "update", fields: ["title"], values: { title: "Offsite in Kraków" } });
    expect(keptWrite(replaced)).toEqual({ kind: "update", fields: ["body"], values: { body: "kept" } });
    vi.advanceTimersByTime(60_000);
    expect(store.get().notices.map((n) => n.code)).toEqual(["lww-replaced", "lww-replaced"]);
    notices.dismiss(ignored.id);
    notices.dismiss(replaced.id);
    expect(store.get().notices).toEqual([]);
  });

  it("notices without typing are not kept", () => {
    expect(keepsTyping({ code: "lww-replaced", fields: ["title"], by: "Bob" })).toBe(false);
    expect(keepsTyping({ code: "write-refused", write: { kind: "delete", fields: [] }, error: { code: "LOCKED", message: "" } })).toBe(false);
    expect(keepsTyping({ code: "write-conflict", write: { kind: "update", fields: ["title"], values: { title: "x" } } })).toBe(false);
  });

  it("lww: a write the server ignored because the person's other tab was newer", () => {
    const { store, notices } = setup();
    notices.lwwAcked(update({ title: "a" }, "0001:r-this"), "lww", { ignored: ["title"], card: { updatedBy: ME } as Card });
    expect(store.get().notices[0]).toMatchObject({ code: "lww-replaced", otherTab: true });
  });
});
