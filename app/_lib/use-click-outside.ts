"use client";

import { useEffect, type RefObject } from "react";

/** While `open`, a mouse press outside `anchor` calls `close` (the menus and popovers of the app). */
export function useClickOutside(anchor: RefObject<HTMLElement | null>, open: boolean, close: () => void): void {
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (anchor.current && e.target instanceof Node && !anchor.current.contains(e.target)) close();
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [anchor, open, close]);
}
