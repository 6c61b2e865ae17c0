/**
 * The fault schedule, drawn from the seed: every few seconds one fault of an enabled kind.
 * Server-side kinds need verify's own deployment: `kill` (kill -9 a node, start it again),
 * `pg-restart` (stop and start Postgres), `2pc-crash` (the nodes' test-only switch ends a node at a
 * step of a cross-shard move: set at boot, counted when it fires), `primary-kill` (kill -9 of
 * shard a's primary, which has a synchronous standby: the nodes fail over, SPEC STANDBY-5; verify
 * then rebuilds the old primary as the standby). Client-side kinds work against
 * any cluster: `drop-socket` (a socket dropped mid-request), `drop-ack` (an ack ignored: the client
 * replays the same mutationId, often on another node), `lease-pause` (a holder paused past its TTL
 * writes with its old token).
 */
import type { VClient } from "./client";
import type { Deployment } from "./deployment";
import type { Rng } from "./rng";
import { leasePause, type World } from "./workload";

export const SERVER_FAULTS = ["kill", "pg-restart", "2pc-crash", "primary-kill"] as const;
export const CLIENT_FAULTS = ["drop-socket", "drop-ack", "lease-pause"] as const;
export const ALL_FAULTS: string[] = [...SERVER_FAULTS, ...CLIENT_FAULTS];

/** Parses `--faults on|off|kind,kind…`. */
export function parseFaults(raw: string, owned: boolean): { kinds: string[]; dropped: string[] } {
  const wanted = raw === "on" || raw === "all" ? ALL_FAULTS : raw === "off" || raw === "none" ? [] : raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const k of wanted) if (!ALL_FAULTS.includes(k)) throw new Error(`--faults: unknown kind "${k}" (kinds: ${ALL_FAULTS.join(", ")})`);
  const kinds = owned ? wanted : wanted.filter((k) => (CLIENT_FAULTS as readonly string[]).includes(k));
  return { kinds, dropped: wanted.filter((k) => !kinds.includes(k)) };
}

export interface FaultContext {
  rng: Rng;
  kinds: string[];
  deployment: Deployment | null;
  clients: VClient[];
  lockers: [VClient, VClient];
  world: World;
  record: (kind: string, detail: string) => void;
  /** When to stop injecting (the end settles without faults). */
  until: number;
  stopAt: number;
}

const WEIGHTS: Record<string, number> = { kill: 3, "pg-restart": 1, "primary-kill": 1, "drop-socket": 3, "drop-ack": 3, "lease-pause": 2 };

function pickWeighted(rng: Rng, kinds: string[]): string {
  const total = kinds.reduce((n, k) => n + (WEIGHTS[k] ?? 1), 0);
  let x = rng.next() * total;
  for (const k of kinds) {
    x -= WEIGHTS[k] ?? 1;
    if (x < 0) return k;
  }
  return kinds[kinds.length - 1]!;
}

/** Runs the schedule until `until`; resolves when the last fault has finished. */
export async function runFaults(ctx: FaultContext): Promise<void> {
  const scheduled = ctx.kinds.filter((k) => k !== "2pc-crash");
  if (scheduled.length === 0) return;
  let busyServer = false;
  const pending: Promise<unknown>[] = [];
  while (Date.now() < ctx.until) {
    await new Promise((r) => setTimeout(r, 2000 + ctx.rng.int(4000)));
    if (Date.now() >= ctx.until) break;
    // Weighted: a Postgres restart is the rarest (every node reconnects, some restart).
    const kind = pickWeighted(ctx.rng, scheduled);
    if (kind === "kill" && ctx.deployment && !busyServer) {
      const i = ctx.rng.int(ctx.deployment.nodes.length);
      const down = 500 + ctx.rng.int(2000);
      ctx.record("kill", `kill -9 node-${i + 1}, restarted after ${down} ms`);
      busyServer = true;
      pending.push(ctx.deployment.killNode(i, down).finally(() => (busyServer = false)));
    } else if (kind === "pg-restart" && ctx.deployment && !busyServer) {
      ctx.record("pg-restart", "Postgres stopped and started again");
      busyServer = true;
      const d = ctx.deployment;
      pending.push(d.restartPostgres().catch((err: Error) => ctx.record("pg-restart", `restart failed: ${err.message}`)).finally(() => (busyServer = false)));
    } else if (kind === "primary-kill" && ctx.deployment && !busyServer) {
      ctx.record("primary-kill", "kill -9 of shard a's primary");
      busyServer = true;
      const d = ctx.deployment;
      pending.push(
        d.killPrimary()
          .then((detail) => ctx.record("failover", detail), (err: Error) => ctx.record("failover", `failed: ${err.message}`))
          .finally(() => (busyServer = false)),
      );
    } else if (kind === "drop-socket" || kind === "drop-ack") {
      // Recorded by the client when the request it hits is sent.
      ctx.rng.pick(ctx.clients).pendingFault = kind;
    } else if (kind === "lease-pause") {
      pending.push(
        leasePause(ctx.lockers[0], ctx.lockers[1], ctx.world, ctx.stopAt).then((detail) => {
          if (detail) ctx.record("lease-pause", detail);
        }),
      );
    }
  }
  await Promise.all(pending);
}
