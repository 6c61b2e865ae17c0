import { livePeers, PEER_TTL_MS, summarize, type ReplicaSummary } from "../../lib/client/replica-share";
import type { SyncClientApi } from "../../lib/client/types";

/** SPEC INSP-2: one channel per origin, shared by every tab of the browser. */
const CHANNEL = "concord.inspector";
const PUBLISH_EVERY_MS = 250;
const HEARTBEAT_MS = 2_000;

type Message = { type: "state"; summary: ReplicaSummary } | { type: "hello"; from: string } | { type: "bye"; from: string };

/**
 * Shares this tab's replica summary with the other tabs of the browser and keeps theirs, so the
 * inspector can show the tabs' clocks and cursors side by side (SPEC INSP-2). Every tab shares,
 * whether or not its inspector is open. Read it with `subscribe` + `getSnapshot`.
 */
export class ReplicaShare {
  private readonly channel: BroadcastChannel | null;
  private readonly peers = new Map<string, ReplicaSummary>();
  private readonly listeners = new Set<() => void>();
  private snapshot: ReplicaSummary[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;
  private last = 0;

  constructor(private readonly client: SyncClientApi) {
    this.channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    if (this.channel) this.channel.onmessage = (e: MessageEvent<Message>) => this.receive(e.data);
    this.unsubscribe = client.subscribe(() => this.schedule());
    this.heartbeat = setInterval(() => {
      this.publish();
      this.refresh();
    }, HEARTBEAT_MS);
    this.post({ type: "hello", from: this.self() });
    this.publish();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The other live tabs' summaries (not this tab's). */
  getSnapshot = (): ReplicaSummary[] => this.snapshot;

  /** This tab's summary, now. */
  own(): ReplicaSummary {
    return summarize(this.client.getSnapshot(), this.client.hlc(), Date.now());
  }

  close(): void {
    this.post({ type: "bye", from: this.self() });
    this.unsubscribe();
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    this.channel?.close();
    this.listeners.clear();
  }

  private self(): string {
    return this.client.getSnapshot().replicaId;
  }

  private receive(m: Message | undefined): void {
    if (!m || typeof m !== "object") return;
    if (m.type === "hello") this.publish();
    else if (m.type === "bye") this.peers.delete(m.from);
    else if (m.type === "state" && m.summary?.replicaId) this.peers.set(m.summary.replicaId, { ...m.summary, at: Date.now() });
    this.refresh();
  }

  /**
   * At most one message per PUBLISH_EVERY_MS, the latest state, and only while another tab is
   * there to hear it (a new tab says hello, and every tab answers with its state at once).
   */
  private schedule(): void {
    if (this.timer || this.peers.size === 0) return;
    const wait = Math.max(0, this.last + PUBLISH_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.publish();
    }, wait);
  }

  private publish(): void {
    this.last = Date.now();
    this.post({ type: "state", summary: this.own() });
  }

  private post(m: Message): void {
    try {
      this.channel?.postMessage(m);
    } catch {
      /* a closed channel: the tab is going away */
    }
  }

  private refresh(): void {
    const now = Date.now();
    for (const [id, p] of this.peers) if (now - p.at >= PEER_TTL_MS) this.peers.delete(id);
    this.snapshot = livePeers(this.peers.values(), this.self(), now);
    for (const l of this.listeners) l();
  }
}
