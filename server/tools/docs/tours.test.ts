import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { guestCanJoin, parseTourId, readmeRow, stepText, TOUR_IDS, TOURS, toursFor, toursForDemo } from "../../../lib/demo/tours";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The `data-testid`s the UI renders: literal ones, and the fixed start of templated ones (`notice-${kind}`). */
function uiTestIds(): { ids: Set<string>; prefixes: string[] } {
  const ids = new Set<string>();
  const prefixes: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".tsx")) {
        const text = readFileSync(p, "utf8");
        for (const m of text.matchAll(/(?:data-testid|testId)=(?:"|\{")([a-z0-9-]+)"/g)) ids.add(m[1]);
        for (const m of text.matchAll(/(?:data-testid|testId)=\{`([a-z0-9-]+)\$\{/g)) prefixes.push(m[1]);
      }
    }
  };
  walk(path.join(root, "app"));
  return { ids, prefixes };
}

describe("guided tours (issue 12 item 6)", () => {
  it("the README's 'Try it in two tabs' table has each tour's row word for word", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    for (const t of TOURS) expect(readme, `README row of the ${t.id} tour`).toContain(readmeRow(t));
  });

  it("the README's 'Each technique, step by step' lists each tour's steps in order", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    for (const t of TOURS) {
      const list = t.steps.map((s, i) => `${i + 1}. Tab ${s.tab}: ${stepText(s, undefined)}`).join("\n");
      expect(readme, `README steps of the ${t.id} tour`).toContain(list);
    }
  });

  it("every step points at something the UI renders (a test id), a card, or has its own button", () => {
    const { ids, prefixes } = uiTestIds();
    const rendered = (id: string) => ids.has(id) || prefixes.some((p) => id.startsWith(p) && id.length > p.length);
    for (const t of TOURS) {
      expect(t.steps.length).toBeGreaterThan(2);
      for (const s of t.steps) {
        expect(s.target !== undefined || s.action !== undefined, `${t.id}: ${s.text}`).toBe(true);
        if (s.target && "testId" in s.target) expect(rendered(s.target.testId), `${t.id} targets ${s.target.testId}`).toBe(true);
      }
    }
  });

  it("a two-tab tour opens tab B before tab B acts", () => {
    for (const t of TOURS) {
      const firstB = t.steps.findIndex((s) => s.tab === "B");
      if (firstB === -1) continue;
      expect(t.steps.slice(0, firstB).some((s) => s.action === "open-second-tab"), t.id).toBe(true);
    }
  });

  it("each policy has its own tour first, and the offline and lost-ack tours everywhere", () => {
    expect(toursFor("occ").map((t) => t.id)).toEqual(["occ", "offline", "drop-ack"]);
    expect(toursFor("lww").map((t) => t.id)).toEqual(["lww", "offline", "drop-ack"]);
    expect(toursFor("mvr").map((t) => t.id)).toEqual(["mvr", "offline", "drop-ack"]);
  });

  it("the lock tour (tab B a guest of that tab only, SPEC LOCK-10) comes last, only where that guest can join", () => {
    expect(toursFor("occ", true).map((t) => t.id)).toEqual(["occ", "offline", "drop-ack", "lock"]);
    expect(toursFor("mvr", true).map((t) => t.id)).toEqual(["mvr", "offline", "drop-ack", "lock"]);
    expect(TOURS.filter((t) => t.guestTabB).map((t) => t.id)).toEqual(["lock"]);
    const me = "u_alice";
    expect(guestCanJoin({ visibility: "open", ownerId: "u_other" }, me)).toBe(true);
    expect(guestCanJoin({ visibility: "private", ownerId: me }, me)).toBe(true); // the tour invites the guest
    expect(guestCanJoin({ visibility: "private", ownerId: "u_other" }, me)).toBe(false); // only the owner invites
    expect(guestCanJoin({ visibility: "private", ownerId: me }, undefined)).toBe(false);
    expect(guestCanJoin({ visibility: "open", ownerId: me, archived: true }, me)).toBe(false); // read-only
  });

  it("the move tour is on the move demo boards only; the lock demo has the lock tour where the guest can join", () => {
    expect(toursForDemo("moves-a", "occ").map((t) => t.id)).toEqual(["move"]);
    expect(toursForDemo("moves-b", "occ").map((t) => t.id)).toEqual(["move"]);
    expect(toursForDemo("lww", "lww").map((t) => t.id)).toEqual(["lww", "offline", "drop-ack"]);
    expect(toursForDemo("lww", "lww", true).map((t) => t.id)).toEqual(["lww", "offline", "drop-ack"]);
    expect(toursForDemo("lock", "occ", true).map((t) => t.id)).toEqual(["lock"]);
    expect(toursForDemo("lock", "occ")).toEqual([]);
    expect(toursFor("occ").some((t) => t.id === "move")).toBe(false);
  });

  it("names the card, and parses tour ids from untrusted text", () => {
    expect(stepText({ tab: "A", text: "Open {card}." }, "Ship it")).toBe("Open “Ship it”.");
    expect(stepText({ tab: "A", text: "Open {card}." }, undefined)).toBe("Open the card.");
    expect(parseTourId("lww")).toBe("lww");
    for (const bad of ["", "LWW", "__proto__", 3, null, undefined]) expect(parseTourId(bad)).toBeUndefined();
    expect(TOUR_IDS).toEqual(TOURS.map((t) => t.id));
  });
});
