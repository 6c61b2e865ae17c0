import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";
import type { BoardPage } from "./pages/board-page";
import { cardTitled, Demos, openFromList } from "./pages/demos";
import { TourPanel } from "./pages/tour";

/**
 * The README's "Try it in two tabs" rows for occ, lww, mvr and the offline reload, each done
 * exactly as written, by one person in two tabs of one board (each tab its own replica, SPEC
 * REPLICA-1), through the board's guided tour (issue 12 item 6): the tour opens tab B, both tabs
 * follow the same step, and the ring is on what the step names. Every test attaches screenshots.
 */

/** `CONCORD_DOCS_SCREENSHOTS=1` also saves the tab named `docs` into docs/demos/ as tour-<name>.png (the README shows them). */
const docsDir = process.env.CONCORD_DOCS_SCREENSHOTS === "1" ? path.join(process.cwd(), "docs", "demos") : null;

/** Attaches a screenshot of each tab to the report (and keeps a copy in the test's output folder). */
async function snap(testInfo: TestInfo, name: string, tabs: Record<string, BoardPage>, docs?: string): Promise<void> {
  for (const [tab, board] of Object.entries(tabs)) {
    const body = await board.page.screenshot({ path: testInfo.outputPath(`${name}-${tab}.png`) });
    await testInfo.attach(`${name} (${tab})`, { body, contentType: "image/png" });
    if (docsDir && tab === docs) {
      mkdirSync(docsDir, { recursive: true });
      writeFileSync(path.join(docsDir, `tour-${name}.png`), body);
    }
  }
}

test.describe("README: Try it in two tabs, through the tours", () => {
  test("occ: open one card's editor in both tabs, change the title in both, save both; the second save gets the conflict dialog (OCC-2, OCC-3)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const name = `Tour occ ${uid}`;
    await alice.boards.createBoard(name, "occ");
    const title = `Launch note ${uid}`;
    const a = alice.board;
    const cardA = await a.addCard(title);
    const tourA = new TourPanel(a.page);

    await tourA.start("occ");
    await tourA.expectStep(1, 8);
    const { board: b, tour: tourB } = await tourA.openSecondTab(name);
    const cardB = b.card(cardA.id);
    await tourA.expectStep(2, 8);
    await tourB.expectStep(2, 8);

    // 2. Tab A opens the card; tab B is told it happens over there.
    await tourA.expectRinged(cardA.root);
    await expect(tourB.where).toHaveText("Over in tab A (the ring is there)");
    await expect(tourA.text).toContainText(`Open “${title}”`);
    const editorA = await a.openCard(cardA);
    // 3. Next in either tab moves both: tab B opens it too.
    await tourB.next.click();
    await tourA.expectStep(3, 8);
    await tourB.expectRinged(cardB.root);
    await expect(tourA.ringed).toHaveCount(0);
    const editorB = await b.openCard(cardB);
    // 4-5. Both change the title, neither saves yet.
    await tourB.next.click();
    await tourA.expectRinged(editorA.title);
    await editorA.title.fill(`${title} (tab A)`);
    await tourA.next.click();
    await tourB.expectRinged(editorB.title);
    await editorB.title.fill(`${title} (tab B)`);
    // 6. Tab A saves: applied.
    await tourB.next.click();
    await tourA.expectRinged(editorA.save);
    await editorA.saveAndClose();
    await a.expectSynced();
    // 7. Tab B saves from the old version: refused, the dialog asks.
    await tourA.next.click();
    await tourB.expectRinged(editorB.save);
    await editorB.save.click();
    await tourB.next.click();
    await tourB.expectStep(8, 8);
    const dialog = b.conflict;
    await expect(dialog.root).toBeVisible();
    await tourB.expectRinged(dialog.root);
    const field = dialog.field("title");
    await expect(field.base).toHaveText(title);
    await expect(field.mine).toHaveText(`${title} (tab B)`);
    await expect(field.theirs).toHaveText(`${title} (tab A)`);
    // The same person's other tab is called that, not "Alice (you)".
    await expect(field.root).toContainText("Theirs · your other tab");
    await expect(dialog.root).toContainText("Your other tab saved this field");
    await snap(testInfo, "occ-conflict-dialog", { "tab B": b }, "tab B");

    await field.keepMine.click();
    await dialog.resolve.click();
    await expect(dialog.root).toBeHidden();
    await b.expectSynced();
    await cardA.expectTitle(`${title} (tab B)`);
    await tourB.next.click(); // Done: the tour ends in both tabs
    await expect(tourA.root).toBeHidden();
    await expect(tourB.root).toBeHidden();
  });

  test("lww: take tab B offline, edit the same title in both tabs, bring B back; both settle on the later edit and the loser keeps its text (LWW-1, LWW-4)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const name = `Tour lww ${uid}`;
    await alice.boards.createBoard(name, "lww");
    const a = alice.board;
    const cardA = await a.addCard(`Pick the venue ${uid}`);
    const tourA = new TourPanel(a.page);
    const older = `Offsite in Kraków ${uid}`;
    const later = `Offsite in Lisbon ${uid}`;

    await tourA.start("lww");
    await tourA.expectStep(1, 7);
    const { board: b, tour: tourB } = await tourA.openSecondTab(name);
    const cardB = b.card(cardA.id);
    // 2-3. Tab B: Inspector, Go offline.
    await tourB.expectStep(2, 7);
    await tourB.expectRinged(b.inspector.toggle);
    await b.inspector.open();
    await tourB.next.click();
    await tourB.expectRinged(b.inspector.offlineToggle);
    await b.inspector.goOffline();
    // 4. Tab B edits first (the older clock); its edit waits, and says so.
    await tourB.next.click();
    await tourB.expectRinged(cardB.root);
    await b.editCard(cardB, { title: older });
    await expect(cardB.pending).toHaveText("waiting to sync — offline");
    // 5. Tab A edits later.
    await tourB.next.click();
    await tourA.expectStep(5, 7);
    await tourA.expectRinged(cardA.root);
    await a.editCard(cardA, { title: later });
    await a.expectSynced();
    // 6. Tab B comes back: it catches up, replays, and loses.
    await tourA.next.click();
    await tourB.expectRinged(b.inspector.offlineToggle);
    await b.inspector.goOnline();
    await b.expectSynced();
    await tourB.next.click();
    await tourB.expectStep(7, 7);
    const notice = b.lwwNotice();
    await expect(notice).toContainText("Your edit to title was replaced by your other tab's newer edit");
    await tourB.expectRinged(notice);
    await expect(notice.getByTestId("notice-typed")).toHaveText(older);
    await cardA.expectTitle(later);
    await cardB.expectTitle(later);
    await snap(testInfo, "lww-replaced", { "tab A": a, "tab B": b }, "tab B");

    // Nothing typed is lost: tab B restores its text into the editor and saves it (now the newest edit).
    await notice.getByTestId("notice-restore").click();
    await expect(b.editor.title).toHaveValue(older);
    await b.editor.saveAndClose();
    await b.expectSynced();
    await cardA.expectTitle(older);
    await expect(notice).toHaveCount(0);
  });

  test("mvr: the same as for lww; the card is marked 'title has 2 values', the editor lists both with their authors, pick one (MVR-1, MVR-2)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const name = `Tour mvr ${uid}`;
    await alice.boards.createBoard(name, "mvr");
    const a = alice.board;
    const cardA = await a.addCard(`Name the mascot ${uid}`);
    const tourA = new TourPanel(a.page);
    const otter = `Mascot: Otter ${uid}`;
    const heron = `Mascot: Heron ${uid}`;

    await tourA.start("mvr");
    const { board: b, tour: tourB } = await tourA.openSecondTab(name);
    const cardB = b.card(cardA.id);
    await tourB.expectStep(2, 8);
    await b.inspector.open();
    await tourB.next.click();
    await b.inspector.goOffline();
    await tourB.next.click();
    await tourB.expectRinged(cardB.root);
    await b.editCard(cardB, { title: otter });
    await tourB.next.click();
    await tourA.expectRinged(cardA.root);
    await a.editCard(cardA, { title: heron });
    await a.expectSynced();
    await tourA.next.click();
    await b.inspector.goOnline();
    await b.expectSynced();

    // 7. Neither write had seen the other: both values stay, in both tabs.
    await tourB.next.click();
    await tourA.expectStep(7, 8);
    await expect(cardA.siblings).toContainText("title has 2 values");
    await expect(cardB.siblings).toContainText("title has 2 values");
    await tourA.expectRinged(cardA.siblings);
    // 8. The editor lists both with who wrote them: this tab and the other tab, told apart by the replica of each value's dot.
    await tourA.next.click();
    const editor = await a.openCard(cardA);
    const picker = editor.siblings("title");
    await tourA.expectRinged(picker);
    await expect(picker.locator(".sibling")).toHaveCount(2);
    await expect(picker.locator(".sibling", { hasText: heron })).toContainText("by this tab");
    await expect(picker.locator(".sibling", { hasText: otter })).toContainText("by your other tab");
    await snap(testInfo, "mvr-siblings", { "tab A": a, "tab B": b }, "tab A");

    await editor.siblingPick("title", otter).click();
    await editor.saveAndClose();
    await a.expectSynced();
    await expect(cardA.siblings).toHaveCount(0);
    await expect(cardB.siblings).toHaveCount(0);
    await cardA.expectTitle(otter);
    await cardB.expectTitle(otter);
  });

  test("any board, the lost-ack tour: \"Drop next ack\", then edit; the ring ends on the edit's timeline row answered with the stored result (IDEM-1)", async ({ actors, uid }, testInfo) => {
    // The row itself is e2e/inspector.spec.ts's; this walks its tour.
    const [alice] = await actors("Alice");
    await alice.boards.createBoard(`Tour ack ${uid}`, "lww");
    const a = alice.board;
    const card = await a.addCard(`Ack me ${uid}`);
    const tour = new TourPanel(a.page);

    await tour.start("drop-ack");
    await tour.expectStep(1, 4);
    await tour.expectRinged(a.inspector.toggle);
    await a.inspector.show("timeline");
    await tour.next.click();
    await tour.expectRinged(a.inspector.dropAck);
    await a.inspector.dropAck.click();
    await tour.next.click();
    await tour.expectRinged(card.root);
    await a.editCard(card, { title: `Acked once ${uid}` });
    await a.expectSynced();
    await tour.next.click();
    const row = a.inspector.writeRows(`update title “Acked once ${uid}”`);
    await expect(row).toHaveAttribute("data-status", "stored result");
    await tour.expectRinged(row);
    await snap(testInfo, "drop-ack-stored-result", { tab: a });
  });

  test("two boards on shards a and b, the move tour on the Moves demo: crash the coordinator after prepare, move; the ring follows the phase timeline to Open it on … (TX-2, TX-10)", async ({ actors, uid }, testInfo) => {
    // The phase timeline itself is e2e/two-phase.spec.ts's; this walks the tour on the demo boards.
    test.setTimeout(120_000);
    const [newcomer] = await actors(`Mover ${uid.slice(-4)}`);
    const a = await new Demos(newcomer.page).tryDemos("Demo · OCC conflicts");
    await openFromList(a, "Demo · Moves A");
    const card = await cardTitled(a, "Move me to shard b");
    const tour = new TourPanel(a.page);

    await tour.start("move");
    await tour.expectStep(1, 5);
    await tour.expectRinged(a.inspector.toggle);
    await a.inspector.open();
    await a.page.getByTestId("inspector-tab-moves").click();
    await tour.next.click();
    const crash = a.page.getByTestId("sim-crash");
    await tour.expectRinged(crash);
    await crash.selectOption("prepare");
    await tour.next.click();
    await tour.expectRinged(card.root);
    const editor = await a.openCard(card);
    await a.page.getByTestId("editor-move-select").selectOption({ label: "Demo · Moves B (shard b, 2PC)" });
    await a.page.getByTestId("editor-move").click();
    await expect(editor.root).toBeHidden();
    await tour.next.click();
    const timeline = a.page.getByTestId("tx-timeline").first();
    await expect(timeline.getByTestId("tx-status")).toHaveText("in doubt");
    await tour.expectRinged(timeline);
    await tour.next.click();
    await expect(timeline.getByTestId("tx-status")).toHaveText("moved", { timeout: 45_000 });
    await tour.expectRinged(timeline.getByTestId("tx-open-moved"));
    await snap(testInfo, "move-recovered", { tab: a });
  });

  test("any board, the lock tour on the Lock demo: tab B is Bob, a guest of that tab only; Alice locks, Bob's write answers LOCKED, pause holder, Bob gets token N+1, Alice's save answers STALE_LOCK (LOCK-3, LOCK-4, LOCK-9, LOCK-10)", async ({ actors }, testInfo) => {
    // The lease's countdown and renewal are e2e/locks.spec.ts's (two browser contexts); this walks the lock tour in one browser.
    test.setTimeout(150_000);
    const [alice] = await actors("Alice");
    // "Try the demos" makes private boards: the tour lets Bob in by Alice's one-use invite (ACCESS-3).
    const a = await new Demos(alice.page).tryDemos("Demo · OCC conflicts");
    const name = "Demo · Lock and fence";
    await openFromList(a, name);
    const cardA = await cardTitled(a, "Lock me");
    const tourA = new TourPanel(a.page);
    const sessionCookie = async () => (await alice.context.cookies()).filter((c) => c.name.startsWith("concord_session")).map((c) => c.value);
    const aliceCookie = await sessionCookie();
    expect(aliceCookie).toHaveLength(1);

    // 1. Tab B opens as Bob, a guest of that tab only; tab A and the browser's cookie stay Alice's.
    await tourA.start("lock");
    await tourA.expectStep(1, 12);
    await expect(tourA.openSecondTabButton).toHaveText("Open tab B as Bob");
    const { board: b, tour: tourB } = await tourA.openSecondTab(name);
    const banner = b.page.getByTestId("tab-guest-banner");
    await expect(banner).toContainText(/^This tab is Bob #\S+, a guest of this tab only — for the lock tour\./);
    await expect(b.page.getByTestId("current-user")).toHaveText("Bob");
    await expect(b.page.getByTestId("sign-out")).toHaveCount(0); // the banner's button ends Bob, not the browser's session
    await expect(a.page.getByTestId("current-user")).toHaveText("Alice");
    await expect(a.page.getByTestId("tab-guest-banner")).toHaveCount(0);
    expect(await sessionCookie()).toEqual(aliceCookie);
    expect(new URL(b.page.url()).search).toBe(""); // the marker and the tour's parameters were read and removed
    const kept = await b.page.evaluate(() => ({ tab: sessionStorage.getItem("concord.tabGuest") ?? "", browser: JSON.stringify({ ...localStorage }) }));
    const bobToken = (JSON.parse(kept.tab) as { token: string }).token;
    expect(kept.browser).not.toContain(bobToken);
    const cardB = b.card(cardA.id);
    await tourA.expectStep(2, 12);
    await tourB.expectStep(2, 12);

    // 2-3. Alice opens the card and locks it: her editor shows the token and a countdown.
    await tourA.expectRinged(cardA.root);
    await expect(tourB.where).toHaveText("Over in tab A (the ring is there)");
    await expect(tourA.text).toHaveText("Open “Lock me”.");
    const editorA = await a.openCard(cardA);
    await tourA.next.click();
    const lock = a.page.getByTestId("editor-lock");
    await tourA.expectRinged(lock);
    await lock.click();
    const mine = a.page.getByTestId("lease-mine");
    await expect(mine).toBeVisible();
    const token = Number(await mine.getByTestId("lease-token").textContent());
    expect(token).toBeGreaterThan(0);
    await expect(mine.getByTestId("lease-countdown")).toHaveText(/^(2\d|30)$/);
    await expect(cardB.root.getByTestId("card-lock")).toContainText(new RegExp(`locked by Alice #\\w+ · token ${token}$`));

    // 4. Bob opens it: locked by Alice, Save off.
    await tourA.next.click();
    await tourB.expectStep(4, 12);
    await tourB.expectRinged(cardB.root);
    await b.openCard(cardB);
    const locked = b.page.getByTestId("editor-locked");
    await expect(locked).toContainText(new RegExp(`Locked by Alice #\\w+ · token ${token} `));
    await expect(b.editor.save).toBeDisabled();
    await snap(testInfo, "lock-bob-sees-alice", { "tab B": b }, "tab B");

    // 5-6. Bob sends anyway: LOCKED, his typing kept.
    await tourB.next.click();
    const sendAnyway = locked.getByTestId("lease-send-anyway");
    await tourB.expectRinged(sendAnyway);
    await sendAnyway.click();
    await b.editor.title.fill("Bob was here");
    await b.editor.save.click();
    await tourB.next.click();
    const refused = b.keptNotice();
    await expect(refused).toContainText("(LOCKED)");
    await tourB.expectRinged(refused);
    await cardB.expectTitle("Lock me");

    // 7-9. Alice pauses her tab as a holder; the lease runs out while her tab keeps token N.
    await tourB.next.click();
    await tourA.expectStep(7, 12);
    await tourA.expectRinged(a.inspector.toggle);
    await editorA.closeWithoutSaving();
    await a.inspector.open();
    await tourA.next.click();
    const pause = a.page.getByTestId("sim-pause-holder");
    await tourA.expectRinged(pause);
    await pause.click();
    await expect(pause).toHaveAttribute("aria-pressed", "true");
    await tourA.next.click();
    await a.openCard(cardA);
    const paused = a.page.getByTestId("lease-paused");
    await expect(paused).toContainText(`keeps token ${token}`);
    await tourA.expectRinged(paused);
    await expect(cardB.root.getByTestId("card-lock")).toHaveCount(0, { timeout: 40_000 });

    // 10. Bob locks it: token N+1.
    await tourA.next.click();
    await tourB.expectStep(10, 12);
    await tourB.expectRinged(cardB.root);
    await b.openCard(cardB);
    await b.page.getByTestId("editor-lock").click();
    await expect(b.page.getByTestId("lease-mine").getByTestId("lease-token")).toHaveText(String(token + 1));

    // 11-12. Alice's stalled tab saves with token N: STALE_LOCK, nothing written.
    await tourB.next.click();
    await tourA.expectStep(11, 12);
    await expect(paused).toContainText(new RegExp(`Bob #\\w+ holds it now with token ${token + 1}`));
    await tourA.expectRinged(a.editor.save);
    await a.editor.title.fill("Alice, stale");
    await a.editor.save.click();
    await tourA.next.click();
    const stale = a.keptNotice();
    await expect(stale).toContainText("(STALE_LOCK)");
    await tourA.expectRinged(stale);
    await cardA.expectTitle("Lock me");
    await snap(testInfo, "lock-stale", { "tab A": a, "tab B": b }, "tab A");

    await tourA.next.click(); // Done: the tour ends in both tabs; tab B is still Bob until he is ended
    await expect(tourA.root).toBeHidden();
    await expect(tourB.root).toBeHidden();
    await b.editor.closeWithoutSaving();
    await b.page.getByTestId("tab-guest-end").click();
    await expect(banner).toHaveCount(0);
    await expect(b.page.getByTestId("current-user")).toHaveText("Alice");
  });

  test("any board: take a tab offline, edit, reload it, go online; the pending edit survives the reload and applies exactly once (OUTBOX-1, REPLICA-2, IDEM-1)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const name = `Tour offline ${uid}`;
    await alice.boards.createBoard(name, "occ");
    const a = alice.board;
    const card = await a.addCard(`Before ${uid}`);
    const edited = `Edited offline ${uid}`;
    const tour = new TourPanel(a.page);
    // The card's server version before, from the inspector (opening the card selects it).
    await a.inspector.open();
    await (await a.openCard(card)).closeWithoutSaving();
    const before = await a.inspector.currentCardVersion();
    await a.inspector.toggle.click();

    await tour.start("offline");
    await tour.expectStep(1, 6);
    await tour.expectRinged(a.inspector.toggle);
    await a.inspector.open();
    await tour.next.click();
    await tour.expectRinged(a.inspector.offlineToggle);
    await a.inspector.goOffline();
    await tour.next.click();
    await tour.expectRinged(card.root);
    await a.editCard(card, { title: edited });
    await expect(card.pending).toHaveText("waiting to sync — offline");
    await tour.next.click();
    await tour.expectRinged(a.page.getByTestId("pending-pill"));

    // 4. Reload: still offline, the edit still there and pending, and the tour still on its step.
    await a.page.reload();
    await expect(a.title).toHaveText(name);
    await expect(a.connection).toHaveText("offline");
    await tour.expectStep(4, 6);
    await card.expectTitle(edited);
    await expect(card.pending).toHaveText("waiting to sync — offline");
    await expect(a.pendingCount).toHaveText("1");
    await snap(testInfo, "offline-after-reload", { tab: a }, "tab");

    // 5-6. Online: sent once, nothing pending, the version rose by exactly one.
    await tour.next.click();
    await a.inspector.open();
    await tour.expectRinged(a.inspector.offlineToggle);
    await a.inspector.goOnline();
    await a.expectSynced();
    await tour.next.click();
    await tour.expectRinged(a.page.getByTestId("pending-pill"));
    await expect(card.pending).toHaveCount(0);
    await card.expectTitle(edited);
    await (await a.openCard(card)).closeWithoutSaving();
    await expect(a.inspector.cardVersion).toHaveText(String(before + 1));
    await snap(testInfo, "offline-applied-once", { tab: a });
  });
});
