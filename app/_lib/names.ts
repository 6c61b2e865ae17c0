import type { BoardState } from "../../lib/client/types";
import type { User } from "../../lib/protocol";

/**
 * Resolves user ids to names from what this tab knows (presence, lock holders, itself); unknown
 * ids fall back to a short form of the id.
 */
export function nameResolver(board: BoardState | undefined, me: User | null): (id: string) => string {
  const names = new Map<string, string>();
  for (const p of board?.presence ?? []) names.set(p.id, p.name);
  for (const l of Object.values(board?.locks ?? {})) names.set(l.holder.id, l.holder.name);
  if (me) names.set(me.id, me.name);
  return (id: string) => {
    const name = names.get(id);
    if (name) return me && id === me.id ? `${name} (you)` : name;
    return id.length > 10 ? `user ${id.slice(0, 8)}…` : id;
  };
}
