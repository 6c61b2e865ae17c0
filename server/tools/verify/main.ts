/**
 * `npm run verify`: a fault-injecting consistency checker for a Concord deployment.
 *
 *   npm run verify -- [--seconds 60] [--clients 12] [--faults on|off|kind,…] [--seed N] [--nodes 3]
 *   npm run verify -- --url http://a:3000,http://b:3000   (an existing cluster: client-side faults only)
 *   npm run verify -- --check FILE                          (re-check a saved history offline)
 *
 * It starts its own deployment (embedded Postgres, shards a and b, N nodes as real processes),
 * runs the workload (workload.ts) under the fault schedule (faults.ts), records every request in a
 * JSON-lines history (history.ts), settles, reads the final state through the protocol and from
 * the databases, then runs the checkers (checkers/) on the history file it wrote, so `--check` on
 * that file gives the same verdict. Exit code 1 on any violation, 2 on a usage or start-up error.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runCheckers } from "./checkers";
import { signIn, VClient, type Session } from "./client";
import { Deployment } from "./deployment";
import { parseFaults, runFaults } from "./faults";
import { HistoryWriter, parseHistory, readHistory, type FinalState, type LogEntry, type Policy, type WireCardLike } from "./history";
import { Observer } from "./observer";
import { OutboxClient } from "./outbox-clients";
import { boardState, readBoard, type BoardInfo } from "./reads";
import { formatReport } from "./report";
import { Rng } from "./rng";
import { lockStep, step, World } from "./workload";

/** Per step of a cross-shard move; about 2% of moves end their coordinator. */
const CRASH_PROBABILITY = 0.005;

const out = (line: string) => process.stdout.write(`${line}\n`);

function check(file: string): number {
  const h = parseHistory(readHistory(file));
  const report = formatReport(h, runCheckers(h), file);
  out(report.text);
  return report.violations > 0 ? 1 : 0;
}

async function run(opts: { seconds: number; clients: number; faults: string; seed: number; nodes: number; url?: string; out?: string; keep: boolean }): Promise<number> {
  const owned = !opts.url;
  const { kinds, dropped } = parseFaults(opts.faults, owned);
  const rng = new Rng(opts.seed);
  const started = Date.now();
  if (!owned) out(`verify: targeting an existing cluster: only client-side faults are injected${dropped.length ? ` (not ${dropped.join(", ")})` : ""}; the databases are not read`);
  const faultCounts: Record<string, number> = {};
  let history: HistoryWriter | null = null;
  const record = (kind: string, detail: string) => {
    faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
    history?.write({ type: "fault", kind, detail, at: Date.now() });
  };

  let deployment: Deployment | null = null;
  if (owned) {
    out(`verify: starting embedded Postgres and ${opts.nodes} nodes over shards a, b…`);
    deployment = new Deployment(opts.nodes, (i) => (kinds.includes("2pc-crash") ? `2pc-crash:${CRASH_PROBABILITY}:${opts.seed * 16 + i + 1}` : undefined), {
      onUnexpectedExit: (node, code, signal, crashStep) => record(crashStep ? "2pc-crash" : "node-exit", crashStep ? `${node} died after ${crashStep}` : `${node} exited (${signal ?? code})`),
    }, kinds.includes("primary-kill"));
    await deployment.start();
  }
  const urls = () => (deployment ? deployment.urls : opts.url!.split(",").map((u) => u.trim().replace(/\/+$/, "")));
  const file = opts.out ?? path.join(".concord", "verify", `history-seed${opts.seed}-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
  mkdirSync(path.dirname(file), { recursive: true });
  history = new HistoryWriter(file);
  history.write({ type: "meta", seed: opts.seed, seconds: opts.seconds, clients: opts.clients, faults: kinds, urls: urls(), owned, startedAt: new Date().toISOString() });

  try {
    // Few sign-ins (rate-limited per address): clients share a handful of users.
    const users = Math.min(4, opts.clients);
    const sessions: Session[] = [];
    for (let i = 0; i < users; i++) sessions.push(await signIn(urls()[i % urls().length]!, `verify-user-${i + 1}`));
    const lockSessions = [await signIn(urls()[0]!, "verify-locker-1"), await signIn(urls()[1 % urls().length]!, "verify-locker-2")];
    const observerSession = await signIn(urls()[0]!, "verify-observer");
    const h = history;
    const mk = (name: string, s: Session, salt: number) => new VClient(name, s, urls, h, rng.fork(salt));

    // The boards: occ twice on a (same-shard moves) and once on b; lww and mvr on each shard.
    const admin = mk("admin", sessions[0]!, 999);
    const plan: [Policy, string][] = [["occ", "a"], ["occ", "a"], ["occ", "b"], ["lww", "a"], ["lww", "b"], ["mvr", "a"], ["mvr", "b"]];
    const boards: BoardInfo[] = [];
    for (const [policy, shard] of plan) {
      const a = await admin.write("board:create", { name: `verify ${policy} ${shard}`, policy, shard, visibility: "open" }, { kind: "setup", policy }, Infinity);
      if (!a?.ok) throw new Error(`board:create failed: ${a ? a.error.code : "no answer"}`);
      const b = a.board as { id: string };
      boards.push({ id: b.id, policy, shard });
    }
    const world = new World(boards, record);
    const clients = Array.from({ length: opts.clients }, (_, i) => mk(`c${i + 1}`, sessions[i % users]!, i + 1));
    const lockers: [VClient, VClient] = [mk("locker-1", lockSessions[0]!, 101), mk("locker-2", lockSessions[1]!, 102)];
    for (const c of [...clients, ...lockers]) c.onFault = record;
    const observers = [new Observer(mk("observer-1", observerSession, 201), boards, h), new Observer(mk("observer-2", observerSession, 202), boards, h)];
    for (const o of observers) await o.syncAll();
    const outboxes = [0, 1].map((i) => new OutboxClient(`outbox-${i + 1}`, sessions[i % users]!, urls()[(i + 1) % urls().length]!, boards, rng.fork(401 + i), record));
    for (const o of outboxes) await o.start();

    const t0 = Date.now();
    const stopAt = t0 + opts.seconds * 1000;
    world.movesUntil = stopAt - Math.min(8000, opts.seconds * 150);
    const faultsUntil = stopAt - Math.min(5000, opts.seconds * 100);
    out(`verify: ${opts.clients} clients, 2 lock holders, 2 outbox clients (lib/client), 2 observers on ${boards.length} boards for ${opts.seconds} s; seed ${opts.seed}; faults: ${kinds.join(", ") || "none"}; history → ${file}`);

    const tty = process.stdout.isTTY;
    let lastPrint = 0;
    const progress = setInterval(() => {
      const f = Object.values(faultCounts).reduce((a, b) => a + b, 0);
      const up = deployment ? `, nodes up ${deployment.nodes.filter((n) => n.ready).length}/${deployment.nodes.length}` : "";
      const line = `verify: ${Math.round((Date.now() - t0) / 1000)}/${opts.seconds} s, ${world.counts.ops} writes (${world.counts.ok} ok, ${world.counts.refused} refused, ${world.counts.lost} unanswered), ${f} faults${up}`;
      if (tty) process.stdout.write(`\r${line.padEnd(110)}`);
      else if (Date.now() - lastPrint >= 5000) {
        lastPrint = Date.now();
        out(line);
      }
      for (const o of observers) o.flush();
    }, 1000);

    const loops = [
      ...clients.map(async (c) => {
        for (let n = 0; Date.now() < stopAt; n++) {
          await step(c, world, stopAt, n).catch((err: Error) => record("client-error", `${c.name}: ${err.message}`));
          await new Promise((r) => setTimeout(r, 20 + c.rng.int(60)));
        }
      }),
      ...lockers.map(async (c) => {
        for (let n = 0; Date.now() < stopAt; n++) {
          await lockStep(c, world, stopAt, n).catch((err: Error) => record("client-error", `${c.name}: ${err.message}`));
          await new Promise((r) => setTimeout(r, 200 + c.rng.int(400)));
        }
      }),
      ...outboxes.map(async (o) => {
        for (let n = 0; Date.now() < stopAt; n++) {
          try {
            o.step(n, kinds.length > 0 && Date.now() < faultsUntil);
          } catch (err) {
            record("client-error", `${o.name}: ${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 100 + rng.int(200)));
        }
      }),
      runFaults({ rng: rng.fork(7), kinds, deployment, clients, lockers, world, record, until: faultsUntil, stopAt }),
    ];
    // A request may still wait on a card held by a prepared transaction: at most 45 s more, then
    // the clients are closed (their open requests are recorded as lost).
    const all = Promise.all(loops);
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), Math.max(0, stopAt + 45_000 - Date.now())))]);
    if (late) {
      for (const c of [...clients, ...lockers]) c.close();
      await all;
    }
    clearInterval(progress);
    if (tty) process.stdout.write("\n");

    // Settle: every node up, recovery done, then read the final state.
    out(deployment ? "verify: settling (all nodes up, no prepared transaction left)…" : "verify: settling…");
    if (deployment) {
      if (!(await deployment.allReady(90_000))) record("settle", "not every node came back up within 90 s");
      // Recovery runs every 15 s on the elected node, after a 10 s grace (a new leader after its
      // predecessor's 45 s lease): give it up to two minutes to leave nothing in doubt.
      const deadline = Date.now() + 120_000;
      const inDoubt = async () => (await deployment!.preparedLeft().catch(() => 1)) + (await deployment!.undecided().catch(() => 1));
      while ((await inDoubt()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    }
    // The outboxes deliver what they still hold before the final state is read.
    await Promise.all(outboxes.map((o) => o.settle(null, 30_000)));
    const reader = mk("final-reader", sessions[0]!, 301);
    const final: FinalState = { boards, logs: {}, snapshots: {}, replicas: [], db: null };
    for (const b of boards) {
      let read = await readBoard(reader, b);
      for (let i = 0; i < 5 && !read.ok; i++) read = await readBoard(reader, b);
      const cards = boardState(read);
      final.snapshots[b.id] = { seq: read.seq, cards: [...cards.values()] };
      await reader.request("board:leave", { boardId: b.id }, { kind: "leave", policy: b.policy, boardId: b.id });
      let log = await readBoard(reader, b, 0);
      for (let i = 0; i < 5 && !log.ok; i++) log = await readBoard(reader, b, 0);
      await reader.request("board:leave", { boardId: b.id }, { kind: "leave", policy: b.policy, boardId: b.id });
      final.logs[b.id] = log.snapshot
        ? { floor: log.seq, head: log.seq, entries: [] } // the log no longer reaches 0: only what it keeps is checked
        : { floor: 0, head: log.seq, entries: log.changes.map((c): LogEntry => ({ seq: c.seq, type: c.type, cardId: c.cardId ?? c.card?.id ?? "", mutationId: c.mutationId })) };
    }
    for (const o of observers) {
      for (let i = 0; i < 5; i++) {
        await o.syncAll();
        if ([...o.replicas.values()].every((r) => r.seq === final.snapshots[r.board.id]!.seq)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      o.stop();
      for (const r of o.replicas.values()) {
        if (r.board.policy === "occ") continue;
        final.replicas.push({ observer: o.client.name, boardId: r.board.id, seq: r.seq, cards: [...r.cards.values()] as WireCardLike[] });
      }
    }
    const heads = Object.fromEntries(Object.entries(final.snapshots).map(([id, snap]) => [id, snap.seq]));
    final.outboxPending = {};
    for (const o of outboxes) {
      await o.settle(heads, 15_000);
      for (const r of o.replicas()) final.replicas.push({ observer: o.name, ...r });
      final.outboxPending[o.name] = o.stuck();
      (final.outboxSetAside ??= {})[o.name] = o.setAside();
      o.close();
    }
    if (deployment) final.db = await deployment.dump();
    h.write({ type: "final", at: Date.now(), state: final });
    for (const c of [...clients, ...lockers, admin, reader, ...observers.map((o) => o.client)]) c.close();
    await h.close();
  } finally {
    await history?.close().catch(() => {});
    if (deployment) await deployment.stop(opts.keep);
  }
  out(`verify: run finished in ${Math.round((Date.now() - started) / 1000)} s; checking the history…`);
  return check(file);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      clients: { type: "string", default: "12" },
      faults: { type: "string", default: "on" },
      seed: { type: "string" },
      nodes: { type: "string", default: "3" },
      url: { type: "string" },
      out: { type: "string" },
      check: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    out("usage: npm run verify -- [--seconds 60] [--clients 12] [--faults on|off|kill,pg-restart,2pc-crash,primary-kill,drop-socket,drop-ack,lease-pause] [--seed N] [--nodes 3] [--url a,b,c] [--out FILE] [--keep]\n       npm run verify -- --check FILE");
    return 0;
  }
  if (values.check) return check(values.check);
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const seed = values.seed !== undefined ? num("seed", values.seed, 0, 2 ** 31) : Math.floor(Math.random() * 1e6);
  return run({
    seconds: num("seconds", values.seconds!, 5, 24 * 3600),
    clients: num("clients", values.clients!, 1, 200),
    faults: values.faults!,
    seed,
    nodes: num("nodes", values.nodes!, 2, 8),
    url: values.url,
    out: values.out,
    keep: values.keep!,
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`verify: ${err.message}\n`);
    process.exit(2);
  },
);
