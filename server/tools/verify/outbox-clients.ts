/**
 * Clients with real outboxes: lib/client's SyncClient (in memory storage), the same code a browser
 * tab runs, editing `lww` and `mvr` boards through its outbox, with the simulator's own faults
 * (dropped acks, killed sockets). Their writes are not in the request history (the outbox sends
 * them), so they are checked through the logs (no mutationId applied twice) and through
 * convergence: once idle, each one's confirmed replica must equal a fresh snapshot.
 */
import { io } from "socket.io-client";
import { MemoryStorage } from "../../../lib/client/storage";
import { SyncClient } from "../../../lib/client/sync-client";
import type { Session } from "./client";
import type { WireCardLike } from "./history";
import type { BoardInfo } from "./reads";
import type { Rng } from "./rng";

export class OutboxClient {
  readonly client: SyncClient;
  private boards: BoardInfo[];

  constructor(
    readonly name: string,
    session: Session,
    url: string,
    boards: BoardInfo[],
    private readonly rng: Rng,
    private readonly record: (kind: string, detail: string) => void,
  ) {
    this.boards = boards.filter((b) => b.policy !== "occ");
    this.client = new SyncClient({ url, token: session.token, user: session.user, replicaId: `o-${name}`, io, storage: new MemoryStorage(), ackTimeoutMs: 5000 });
  }

  async start(): Promise<void> {
    this.client.connect();
    for (const b of this.boards) await this.client.joinBoard(b.id).catch(() => {});
  }

  /** One edit through the outbox, sometimes with a fault of the simulator first. */
  step(n: number, faults: boolean): void {
    const c = this.client;
    const state = c.getSnapshot();
    const b = this.rng.pick(this.boards);
    const cards = Object.values(state.boards[b.id]?.cards ?? {});
    if (faults && this.rng.chance(0.01)) {
      c.dropNextAck();
      this.record("outbox-drop-ack", `${this.name}: the next ack is dropped`);
    } else if (faults && this.rng.chance(0.004)) {
      c.killSocket();
      this.record("outbox-kill-socket", `${this.name}: socket killed`);
    }
    if (cards.length < 4 || this.rng.chance(0.1)) {
      c.createCard(b.id, { title: `${this.name} new ${n}` });
      return;
    }
    const card = this.rng.pick(cards);
    const r = this.rng.next();
    if (r < 0.8) c.updateCard(card.id, this.rng.chance(0.5) ? { title: `${this.name} ${n}` } : { body: `b${n}`, status: this.rng.pick(["todo", "doing", "done"] as const) });
    else if (r < 0.9) {
      const to = this.boards.filter((x) => x.policy === b.policy && x.id !== b.id);
      if (to.length > 0) c.moveCard(card.id, this.rng.pick(to).id);
    } else c.deleteCard(card.id);
  }

  /** Waits until online with nothing pending (and every board at `heads` when given); false on timeout. */
  async settle(heads: Record<string, number> | null, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = this.client.getSnapshot();
      if (s.connection === "online" && s.pending.length === 0 && (!heads || this.boards.every((b) => s.boards[b.id]?.seq === heads[b.id]))) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  /** Its confirmed replica of each board it follows. */
  replicas(): { boardId: string; seq: number; cards: WireCardLike[] }[] {
    const s = this.client.getSnapshot();
    return this.boards.map((b) => ({ boardId: b.id, seq: s.boards[b.id]?.seq ?? -1, cards: Object.values(s.boards[b.id]?.confirmed ?? {}) as unknown as WireCardLike[] }));
  }

  /** Writes the outbox could not deliver (set aside or still pending). */
  stuck(): number {
    return this.client.getSnapshot().pending.length;
  }

  /** Its set-aside writes (OUTBOX-7) by what they were last answered, counted. */
  setAside(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.client.getSnapshot().pending) {
      if (!m.setAside) continue;
      const why = `${m.setAside.code}: ${m.setAside.message}`;
      out[why] = (out[why] ?? 0) + 1;
    }
    return out;
  }

  close(): void {
    this.client.close();
  }
}
