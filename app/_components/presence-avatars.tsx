"use client";

import { useState } from "react";
import { userHandle, type PresenceUser } from "../../lib/protocol";
import { Avatar } from "./avatar";
import { PersonName } from "./person-name";

const MAX = 5;

/** "1 950" (a thin grouping that reads the same in every locale of the UI). */
/** One formatter for every render (toLocaleString builds one per call). */
const grouping = new Intl.NumberFormat("en-US");
const count = (n: number) => grouping.format(n).replace(/,/g, "\u202f");

/**
 * Who has this board open right now (one avatar per person, however many tabs). The client
 * knows at most LIMITS.presenceListed of them by name and how many there are in all (SPEC
 * PRES-1): the "+N" button opens the listed names and "and 1 950 others".
 */
export function PresenceAvatars({ users, total, meId }: { users: PresenceUser[]; total: number; meId: string | undefined }) {
  const [open, setOpen] = useState(false);
  const unique = [...new Map(users.map((u) => [u.id, u])).values()];
  const everyone = Math.max(total, unique.length);
  if (everyone === 0) return null;
  const shown = unique.slice(0, MAX);
  const more = everyone - shown.length;
  const others = everyone - unique.length;
  const summary = `${count(everyone)} here: ${unique.map((u) => `${u.name} #${userHandle(u.id)}`).join(", ")}${others > 0 ? ` and ${count(others)} others` : ""}`;
  return (
    <div className="avatars popover-anchor" data-testid="presence" data-total={everyone} aria-label={summary} role="group" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      {shown.map((u) => (
        <Avatar key={u.id} id={u.id} name={u.name} suffix={u.id === meId ? "(you)" : undefined} />
      ))}
      {more > 0 ? (
        <button
          type="button"
          className="avatar avatar-more"
          data-testid="presence-more"
          aria-expanded={open}
          aria-label={`${count(more)} more here: show who`}
          onClick={() => setOpen(!open)}
        >
          +{more > 999 ? `${Math.floor(more / 1000)}k` : more}
        </button>
      ) : null}
      {open ? (
        <div className="popover presence-list" role="region" aria-label="Who is here">
          <strong>{count(everyone)} here</strong>
          <ul className="insp-list" data-testid="presence-list" tabIndex={0} aria-label="People here">
            {unique.map((u) => (
              <li key={u.id}>
                <PersonName id={u.id} name={u.name} />
                {u.id === meId ? " (you)" : ""}
              </li>
            ))}
          </ul>
          {others > 0 ? <span data-testid="presence-others">and {count(others)} others</span> : null}
        </div>
      ) : null}
    </div>
  );
}
