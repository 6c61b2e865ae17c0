"use client";

import { useEffect, useState } from "react";
import type { Health, ShardReplication } from "../../lib/protocol";
import { tabAuth } from "../_lib/tab-guest";

/** What a shard's row says about it right now (SPEC STANDBY-6). */
function shardState(r: ShardReplication): { text: string; cls: string } {
  if (r.primaryDownSince) {
    // STANDBY-7: a standby that may lack acknowledged writes is never promoted.
    return r.mode === "sync" && !r.standbyReady
      ? { text: "primary unreachable: waiting for it (standby not caught up)", cls: "shard-down" }
      : { text: "primary unreachable: failing over", cls: "shard-down" };
  }
  if (r.standbyState === "streaming" && r.mode === "sync" && !r.standbyReady) return { text: "standby catching up", cls: "shard-warn" };
  if (r.standbyState === "streaming") return { text: r.synchronous ? "healthy · sync" : "healthy · async", cls: "shard-ok" };
  if (r.standbyState === "fenced") return { text: "old primary fenced", cls: "shard-warn" };
  return { text: "no standby streaming", cls: "shard-warn" };
}

const lag = (r: ShardReplication) =>
  r.lagBytes === null ? "unknown" : `${r.lagBytes} B${r.lagMs === null ? "" : ` · ${Math.round(r.lagMs)} ms`}`;

/**
 * Each replicated shard as this node sees it (GET /api/health, every second): primary, standby,
 * epoch, lag, which server answered this node's last read; in demo mode a button kills a
 * shard's primary so a person watches the failover. Renders nothing when no shard has a standby.
 */
export function ShardReplicas() {
  const [health, setHealth] = useState<Health | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      fetch("/api/health", { cache: "no-store" })
        .then((r) => (r.ok ? (r.json() as Promise<Health>) : null))
        .then((h) => live && setHealth(h))
        .catch(() => {});
    void load();
    const t = setInterval(() => void load(), 1_000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
  const shards = health?.replication;
  if (!shards || shards.length === 0) return null;

  async function kill(shard: string) {
    setNote(null);
    // This tab's own credential: the browser's cookie, or a tab guest's token (SPEC LOCK-10).
    const auth = tabAuth();
    const res = await fetch("/api/demo/kill-primary", {
      method: "POST",
      credentials: auth.credentials,
      headers: { ...auth.headers, "content-type": "application/json" },
      body: JSON.stringify({ shard }),
    }).catch(() => null);
    const why = res && !res.ok ? ((await res.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message : undefined;
    setNote(res?.ok ? `Shard ${shard}: primary killed. Watch the failover.` : `Could not kill shard ${shard}'s primary${why ? `: ${why}` : "."}`);
  }

  return (
    <section className="insp-section" aria-labelledby="shards-title" data-testid="shard-replicas">
      <h3 id="shards-title">Shards: primary and standby</h3>
      {shards.map((r) => {
        const state = shardState(r);
        return (
          <div key={r.shard} data-testid={`shard-${r.shard}`}>
            <div className="sim-row">
              <strong>Shard {r.shard}</strong>
              <span className={`pill ${state.cls}`} data-testid={`shard-${r.shard}-state`}>
                {state.text}
              </span>
              {health?.canKillPrimary ? (
                <button type="button" className="btn btn-sm btn-danger" data-testid={`shard-${r.shard}-kill`} disabled={Boolean(r.primaryDownSince) || (r.mode === "sync" && !r.standbyReady)}
                  title={r.mode === "sync" && !r.standbyReady ? "The standby is still catching up: no failover could follow yet" : undefined}
                  onClick={() => void kill(r.shard)}>
                  Kill primary
                </button>
              ) : null}
            </div>
            <dl className="kv">
              <dt>Epoch</dt>
              <dd data-testid={`shard-${r.shard}-epoch`}>{r.epoch}</dd>
              <dt>Primary</dt>
              <dd>{r.primary}</dd>
              <dt>Standby</dt>
              <dd>
                {r.standby} ({r.standbyState})
              </dd>
              <dt>Replay lag</dt>
              <dd>{lag(r)}</dd>
              <dt>Reads</dt>
              <dd>
                last by the {r.reads.last} · {r.reads.standby} standby / {r.reads.primary} primary
              </dd>
              <dt>Failover</dt>
              <dd data-testid={`shard-${r.shard}-ready`}>{r.mode === "async"
                  ? "allowed: loses what the standby has not replayed"
                  : r.standbyReady
                    ? "safe: the standby holds every acknowledged write"
                    : "held: the standby may lack acknowledged writes"}</dd>
              <dt>Failovers</dt>
              <dd>{r.failovers}</dd>
            </dl>
          </div>
        );
      })}
      {note ? (
        <p className="small muted" role="status">
          {note}
        </p>
      ) : null}
    </section>
  );
}
