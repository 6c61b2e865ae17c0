import type { PresenceUser } from "../../lib/protocol";
import { Avatar } from "./avatar";

const MAX = 5;

/** Who has this board open right now (one avatar per person, however many tabs). */
export function PresenceAvatars({ users, meId }: { users: PresenceUser[]; meId: string | undefined }) {
  const unique = [...new Map(users.map((u) => [u.id, u])).values()];
  if (unique.length === 0) return null;
  const shown = unique.slice(0, MAX);
  const more = unique.length - shown.length;
  return (
    <div className="avatars" data-testid="presence" aria-label={`${unique.length} here: ${unique.map((u) => u.name).join(", ")}`} role="group">
      {shown.map((u) => (
        <Avatar key={u.id} id={u.id} name={u.name} suffix={u.id === meId ? "(you)" : undefined} />
      ))}
      {more > 0 ? <span className="avatar avatar-more">+{more}</span> : null}
    </div>
  );
}
