"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import type { Health, Policy, Visibility } from "../../lib/protocol";
import type { SyncClientApi } from "../../lib/client/types";
import { errorMessage, POLICY_SUMMARY } from "../_lib/format";
import { ErrorText } from "./error-text";

const POLICIES: { value: Policy; label: string }[] = [
  { value: "occ", label: "OCC — versions & conflict dialog" },
  { value: "lww", label: "LWW — last writer wins" },
  { value: "mvr", label: "MVR — keep concurrent values" },
];

/** The shards the server offers (GET /api/health), for the shard picker. */
function useShards(): string[] {
  const [shards, setShards] = useState<string[]>(["a"]);
  useEffect(() => {
    let live = true;
    fetch("/api/health", { cache: "no-store" })
      .then((r) => (r.ok ? (r.json() as Promise<Health>) : null))
      .then((h) => {
        if (live && h && Array.isArray(h.shards) && h.shards.length > 0) setShards(h.shards);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  return shards;
}

/** Creates a board, then opens it. */
export function CreateBoardForm({ client }: { client: SyncClientApi }) {
  const router = useRouter();
  const shards = useShards();
  const [name, setName] = useState("");
  const [policy, setPolicy] = useState<Policy>("occ");
  const [shard, setShard] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("open");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) {
      setError("Give the board a name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const board = await client.createBoard({ name: name.trim(), policy, shard: shard || shards[0], visibility });
      setName("");
      router.push(`/b/${encodeURIComponent(board.id)}`);
    } catch (err) {
      setError(`Could not create the board: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel form-stack" onSubmit={submit} noValidate aria-labelledby="create-board-title">
      <h2 id="create-board-title" style={{ marginBottom: 0 }}>
        New board
      </h2>
      <label className="field">
        <span>Name</span>
        <input className="input" data-testid="board-name-input" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="Sprint 12" />
      </label>
      <label className="field">
        <span>Conflict policy</span>
        <select className="select" data-testid="board-policy-select" value={policy} onChange={(e) => setPolicy(e.target.value as Policy)} aria-describedby="policy-hint">
          {POLICIES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        <span className="field-hint" id="policy-hint">
          {POLICY_SUMMARY[policy]}
        </span>
      </label>
      <div className="form-row">
        <label className="field">
          <span>Shard</span>
          <select className="select" data-testid="board-shard-select" value={shard || shards[0]} onChange={(e) => setShard(e.target.value)}>
            {shards.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Visibility</span>
          <select className="select" data-testid="board-visibility-select" value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
            <option value="open">Open</option>
            <option value="private">Private</option>
          </select>
        </label>
      </div>
      <span className="field-hint">{visibility === "open" ? "Anyone signed in can find and join it." : "Only you and people you invite."}</span>
      <ErrorText error={error} />
      <button className="btn btn-primary" type="submit" data-testid="board-create" disabled={busy}>
        {busy ? "Creating…" : "Create board"}
      </button>
    </form>
  );
}
