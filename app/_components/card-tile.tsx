import type { Card, Lock, PresenceUser } from "../../lib/protocol";
import { pendingMarkerText } from "../_lib/format";
import { Avatar } from "./avatar";
import { BranchIcon, LockIcon } from "./icons";

const FLASH_MS = 2500;

interface CardTileProps {
  card: Card;
  pending: boolean;
  /** This tab is offline: a pending edit is waiting, not being sent. */
  offline?: boolean;
  lock: Lock | undefined;
  meId: string | undefined;
  highlightAt: number | undefined;
  viewers: PresenceUser[];
  selected: boolean;
  onOpen: () => void;
}

/** One card on the board: title, tags, estimate and the sync markers that explain its state. */
export function CardTile({ card, pending, offline = false, lock, meId, highlightAt, viewers, selected, onOpen }: CardTileProps) {
  const flash = highlightAt !== undefined && Date.now() - highlightAt < FLASH_MS;
  const siblingFields = Object.entries(card.siblings ?? {}).filter(([, s]) => (s?.length ?? 0) > 1);
  const lockLive = lock && Date.parse(lock.expiresAt) > Date.now();
  const lockMine = lockLive && lock.holder.id === meId;
  const excerpt = String(card.body ?? "").trim().split("\n")[0];
  // Defensive: a malformed card from the wire must not take the whole board down.
  const tags = Array.isArray(card.tags) ? card.tags : [];

  return (
    <li>
      <article className="card" data-testid={`card-${card.id}`} data-card-title={card.title} data-selected={selected} data-locked={lockLive && !lockMine ? true : undefined}>
        {flash ? <span className="card-flash" key={highlightAt} aria-hidden="true" data-testid="card-highlight" /> : null}
        <button type="button" className={card.title ? "card-open" : "card-open untitled"} onClick={onOpen}>
          {card.title || "Untitled"}
        </button>
        {excerpt ? <p className="card-excerpt">{excerpt}</p> : null}
        {tags.length || typeof card.estimate === "number" || pending || lockLive || siblingFields.length || viewers.length ? (
          <div className="card-meta">
            {tags.map((t) => (
              <span className="tag" key={t} title={t}>
                {t}
              </span>
            ))}
            {typeof card.estimate === "number" ? (
              <span className="estimate" title="Estimate">
                {card.estimate} pt{card.estimate === 1 ? "" : "s"}
              </span>
            ) : null}
            {pending ? (
              <span className="marker marker-pending" data-testid="card-pending" title={offline ? "Local edit kept in this tab; sent when the connection is back" : "Local edit not yet acknowledged by the server"}>
                {pendingMarkerText(offline)}
              </span>
            ) : null}
            {lockLive ? (
              <span className={lockMine ? "marker marker-lock mine" : "marker marker-lock"} data-testid="card-lock">
                <LockIcon /> locked by {lockMine ? "you" : lock.holder.name}
              </span>
            ) : null}
            {siblingFields.length ? (
              <span className="marker marker-siblings" data-testid="card-siblings" title={`Concurrent values in: ${siblingFields.map(([f]) => f).join(", ")}`}>
                <BranchIcon /> {siblingFields.length === 1 ? `${siblingFields[0][0]} has ${siblingFields[0][1]?.length} values` : `${siblingFields.length} fields with siblings`}
              </span>
            ) : null}
            {viewers.length ? (
              <span className="card-viewers" role="group" aria-label={`Viewing: ${viewers.map((v) => v.name).join(", ")}`}>
                {viewers.map((v) => (
                  <Avatar key={v.id} id={v.id} name={v.name} small />
                ))}
              </span>
            ) : null}
          </div>
        ) : null}
      </article>
    </li>
  );
}
