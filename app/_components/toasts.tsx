"use client";

import { useEffect, useRef, useState } from "react";
import { keepsTyping, keptWrite } from "../../lib/client/notices";
import type { Notice } from "../../lib/client/types";
import { noticeText, typedText } from "../_lib/notice-text";

const SHOW_MS = 6000;
const MAX_AGE_MS = 15000;

interface ToastsProps {
  notices: Notice[];
  boardId: string | null;
  /** The person dismissed a notice (a notice holding their typing stays until then). */
  onDismiss?: (notice: Notice) => void;
  /** Puts a refused edit's typing back into the card's editor; offered when `cardExists` says the card is still here. */
  onRestore?: (notice: Notice) => void;
  cardExists?: (cardId: string) => boolean;
  /** A notice whose typing is in the editor right now: hidden meanwhile (back if the editor closes unsaved). */
  hiddenId?: string;
}

/**
 * The client's notices as short-lived toasts (for example "replaced by Bob's newer edit"). A
 * refused, set-aside or replaced write's notice keeps the person's typing until they dismiss it
 * (SPEC OUTBOX-5, LWW-4): "Restore into the editor" (a refused or replaced edit whose card is
 * still here) and "Copy text".
 */
export function Toasts({ notices, boardId, onDismiss, onRestore, cardExists, hiddenId }: ToastsProps) {
  const firstSeen = useRef(new Map<string, number>());
  const [dismissed, setDismissed] = useState<Set<string>>(() => new Set());
  const [copied, setCopied] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const relevant = notices.filter((n) => boardId === null || n.boardId === boardId);
  for (const n of relevant) if (!firstSeen.current.has(n.id)) firstSeen.current.set(n.id, Date.now());
  const visible = relevant
    .filter((n) => {
      if (dismissed.has(n.id) || n.id === hiddenId) return false;
      if (keepsTyping(n)) return true;
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

  function dismiss(n: Notice) {
    setDismissed((d) => new Set(d).add(n.id));
    onDismiss?.(n);
  }

  async function copy(n: Notice, text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(n.id);
    } catch {
      setCopied(null);
    }
  }

  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
      {visible.map((n) => {
        const kept = keptWrite(n) ?? null;
        // A refused or replaced edit goes back into its card's editor; a set-aside one is still in the outbox (retry it instead).
        const canRestore =
          kept !== null && n.code !== "write-set-aside" && kept.kind === "update" && n.cardId !== undefined && onRestore !== undefined && (cardExists?.(n.cardId) ?? false);
        return (
          <div className="toast" key={n.id} data-kind={n.kind} data-testid={`notice-${n.kind}`} data-keeps-typing={kept ? "true" : undefined}>
            <div className="toast-text">
              <p>{noticeText(n)}</p>
              {n.code === "card-moved" ? (
                <div className="toast-actions">
                  <a className="btn btn-sm" href={`/b/${encodeURIComponent(n.toBoardId)}?card=${encodeURIComponent(n.cardId ?? "")}`} data-testid="notice-open-moved">
                    Open it on {n.toBoardName ?? "its board"}
                  </a>
                </div>
              ) : null}
              {kept ? (
                <>
                  <pre className="toast-typed" data-testid="notice-typed">
                    {typedText(kept)}
                  </pre>
                  <div className="toast-actions">
                    {canRestore ? (
                      <button type="button" className="btn btn-sm" data-testid="notice-restore" onClick={() => onRestore?.(n)}>
                        Restore into the editor
                      </button>
                    ) : null}
                    <button type="button" className="btn btn-sm" data-testid="notice-copy" onClick={() => void copy(n, typedText(kept))}>
                      {copied === n.id ? "Copied" : "Copy text"}
                    </button>
                  </div>
                </>
              ) : null}
            </div>
            <button type="button" className="btn btn-ghost" aria-label="Dismiss notice" data-testid="notice-dismiss" onClick={() => dismiss(n)}>
              ✕
            </button>
          </div>
        );
      })}
    </div>
  );
}
