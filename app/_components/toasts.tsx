"use client";

import { useEffect, useRef, useState } from "react";
import type { Notice } from "../../lib/client/types";
import { noticeText } from "../_lib/notice-text";

const SHOW_MS = 6000;
const MAX_AGE_MS = 15000;

/** The client's notices as short-lived toasts (for example "replaced by Bob's newer edit"). */
export function Toasts({ notices, boardId }: { notices: Notice[]; boardId: string | null }) {
  const firstSeen = useRef(new Map<string, number>());
  const [dismissed, setDismissed] = useState<Set<string>>(() => new Set());
  const [now, setNow] = useState(() => Date.now());

  const relevant = notices.filter((n) => boardId === null || n.boardId === boardId);
  for (const n of relevant) if (!firstSeen.current.has(n.id)) firstSeen.current.set(n.id, Date.now());
  const visible = relevant
    .filter((n) => {
      if (dismissed.has(n.id)) return false;
      const at = Date.parse(n.at);
      if (!Number.isNaN(at) && at < now - MAX_AGE_MS) return false;
      return now - (firstSeen.current.get(n.id) ?? now) < SHOW_MS;
    })
    .slice(-4);

  const anyVisible = visible.length > 0;
  useEffect(() => {
    if (!anyVisible) return;
    const t = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(t);
  }, [anyVisible]);
  // A new notice arrived: start its clock from now.
  useEffect(() => setNow(Date.now()), [notices]);

  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
      {visible.map((n) => (
        <div className="toast" key={n.id} data-kind={n.kind} data-testid={`notice-${n.kind}`}>
          <p>{noticeText(n)}</p>
          <button type="button" className="btn btn-ghost" aria-label="Dismiss notice" onClick={() => setDismissed((d) => new Set(d).add(n.id))}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
