"use client";

import { useState } from "react";
import type { Board } from "../../lib/protocol";

/**
 * Moves the card to another board. Across shards the server runs a two-phase commit; the
 * inspector's "Moves and two-phase commit" panel shows each step as it happens (SPEC TX-10).
 */
export function MoveCard({ boards, current, disabled, onMove }: { boards: Board[]; current: Board; disabled: boolean; onMove: (toBoardId: string) => void }) {
  const targets = boards.filter((b) => b.id !== current.id);
  const [target, setTarget] = useState("");
  if (targets.length === 0) return null;
  const chosen = targets.find((b) => b.id === target);
  return (
    <div className="inline-form" style={{ alignItems: "center" }}>
      <label className="small muted" htmlFor="move-target" style={{ whiteSpace: "nowrap" }}>
        Move to
      </label>
      <select id="move-target" className="select" style={{ height: 28, maxWidth: 220 }} data-testid="editor-move-select" value={target} onChange={(e) => setTarget(e.target.value)}>
        <option value="">Choose a board…</option>
        {targets.map((b) => (
          <option key={b.id} value={b.id}>
            {b.name} (shard {b.shard}
            {b.shard !== current.shard ? ", 2PC" : ""})
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-sm" data-testid="editor-move" disabled={!chosen || disabled} onClick={() => chosen && onMove(chosen.id)}>
        Move
      </button>
    </div>
  );
}
