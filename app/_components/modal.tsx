"use client";

import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface ModalProps {
  labelledBy: string;
  /** Called on Escape and on a click outside; omit to make the dialog stay until a button is used. */
  onDismiss?: () => void;
  wide?: boolean;
  testId?: string;
  children: ReactNode;
}

/**
 * A modal dialog: role="dialog" + aria-modal, focus moved in on open (to `[data-autofocus]` or the
 * first control), Tab and Shift+Tab kept inside, focus given back to the opener on close.
 */
export function Modal({ labelledBy, onDismiss, wide = false, testId, children }: ModalProps) {
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = ref.current;
    const target = root?.querySelector<HTMLElement>("[data-autofocus]") ?? root?.querySelector<HTMLElement>(FOCUSABLE);
    (target ?? root)?.focus();
    // Focus that leaves the topmost dialog (a click on the backdrop, a stray Tab) comes back to it.
    const onFocusIn = (e: FocusEvent) => {
      const dialogs = document.querySelectorAll('[aria-modal="true"]');
      const topmost = dialogs[dialogs.length - 1];
      if (root && topmost === root && e.target instanceof Node && !root.contains(e.target)) root.focus();
    };
    // A control that is disabled or removed under focus drops focus to <body>, where Escape and
    // Tab no longer reach the dialog: take it back.
    const onFocusOut = (e: FocusEvent) => {
      if (e.relatedTarget !== null) return;
      requestAnimationFrame(() => {
        const dialogs = document.querySelectorAll('[aria-modal="true"]');
        if (root && dialogs[dialogs.length - 1] === root && document.contains(root) && (!document.activeElement || document.activeElement === document.body)) root.focus();
      });
    };
    document.addEventListener("focusin", onFocusIn);
    root?.addEventListener("focusout", onFocusOut);
    return () => {
      document.removeEventListener("focusin", onFocusIn);
      root?.removeEventListener("focusout", onFocusOut);
      if (opener && document.contains(opener)) opener.focus();
    };
  }, []);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key === "Escape" && onDismiss) {
      e.stopPropagation();
      onDismiss();
      return;
    }
    if (e.key !== "Tab" || !ref.current) return;
    const items = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.offsetParent !== null || el === document.activeElement);
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !ref.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <div
      className="overlay"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onDismiss?.();
      }}
    >
      <div ref={ref} className={wide ? "dialog dialog-wide" : "dialog"} role="dialog" aria-modal="true" aria-labelledby={labelledBy} tabIndex={-1} onKeyDown={onKeyDown} data-testid={testId}>
        {children}
      </div>
    </div>
  );
}
