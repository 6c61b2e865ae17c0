import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BroadcastObserver } from "./realtime/broadcaster";
import type { HandlerObserver } from "./realtime/handlers";

/**
 * What a team watches in production, served at `GET /metrics` in the Prometheus text format
 * (prom-client). One registry per node, so nodes sharing a process (tests, tools) count apart.
 */
export class Metrics implements BroadcastObserver, HandlerObserver {
  readonly registry = new Registry();
  /** Card writes by outcome: applied, replayed, conflict, rejected (other refusals). */
  readonly writes = new Counter({ name: "concord_writes_total", help: "Card writes answered, by outcome", labelNames: ["outcome"] as const, registers: [this.registry] });
  readonly conflicts = new Counter({ name: "concord_conflicts_total", help: "Card writes answered CONFLICT", registers: [this.registry] });
  readonly ackSeconds = new Histogram({
    name: "concord_ack_seconds", help: "From a request's arrival to its ack, by event", labelNames: ["event"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry],
  });
  readonly batchWrites = new Histogram({
    name: "concord_batch_writes", help: "Writes group-committed in one transaction (SPEC PERF-1)", buckets: [1, 2, 4, 8, 16, 32, 64], registers: [this.registry],
  });
  readonly batchTrips = new Counter({
    name: "concord_batch_trips_total", help: "Write batches by round trips to the shard: 1 (decided on what the node remembers), 2 (read first), again (2 after the shard refused 1) (SPEC PERF-7)",
    labelNames: ["trips"] as const, registers: [this.registry],
  });
  readonly fanoutSockets = new Histogram({
    name: "concord_broadcast_fanout_sockets", help: "Sockets on this node one broadcast was addressed to, by event", labelNames: ["event"] as const,
    buckets: [0, 1, 2, 5, 10, 50, 100, 500, 1000, 5000], registers: [this.registry],
  });
  readonly catchUpItems = new Histogram({
    name: "concord_catch_up_items", help: "Items in one board:join answer page, by kind (changes or cards)", labelNames: ["kind"] as const,
    buckets: [0, 1, 10, 100, 250, 500, 1000], registers: [this.registry],
  });
  readonly relayRepaired = new Counter({ name: "concord_relay_repaired_total", help: "Changes a node sent its sockets from the log because their relay never came (SPEC REPL-2)", registers: [this.registry] });
  readonly twoPhase = new Counter({ name: "concord_2pc_total", help: "Cross-shard moves decided, by outcome (committed, aborted)", labelNames: ["outcome"] as const, registers: [this.registry] });
  readonly leaseGrants = new Counter({ name: "concord_lease_grants_total", help: "Leases granted, by kind (acquire, renew)", labelNames: ["kind"] as const, registers: [this.registry] });

  constructor(gauges: { sockets: () => number; laneDepth: () => number }) {
    new Gauge({ name: "concord_connected_sockets", help: "Sockets connected to this node", registers: [this.registry], collect() { this.set(gauges.sockets()); } });
    new Gauge({ name: "concord_lane_queue_depth", help: "Writes queued on this node's board lanes, not yet in a batch", registers: [this.registry], collect() { this.set(gauges.laneDepth()); } });
    collectDefaultMetrics({ register: this.registry, prefix: "concord_" });
  }

  acked(event: string, seconds: number): void {
    this.ackSeconds.observe({ event }, seconds);
  }

  write(outcome: "applied" | "replayed" | "conflict" | "rejected"): void {
    this.writes.inc({ outcome });
    if (outcome === "conflict") this.conflicts.inc();
  }

  catchUp(kind: "changes" | "cards", items: number): void {
    this.catchUpItems.observe({ kind }, items);
  }

  lease(kind: "acquire" | "renew"): void {
    this.leaseGrants.inc({ kind });
  }

  fanout(event: string, sockets: number): void {
    this.fanoutSockets.observe({ event }, sockets);
  }

  /** The scrape: Prometheus text format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
