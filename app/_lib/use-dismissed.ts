"use client";

import { useCallback, useEffect, useState } from "react";

/** A flag remembered in localStorage (for example "this policy explainer was dismissed"). */
export function useDismissed(key: string): [boolean, (dismissed: boolean) => void] {
  const [dismissed, setDismissed] = useState(false);
  useEffect(() => {
    try {
      setDismissed(window.localStorage.getItem(key) === "1");
    } catch {
      setDismissed(false);
    }
  }, [key]);
  const set = useCallback(
    (value: boolean) => {
      setDismissed(value);
      try {
        if (value) window.localStorage.setItem(key, "1");
        else window.localStorage.removeItem(key);
      } catch {
        // storage may be unavailable (private mode); the flag then lasts for this page only
      }
    },
    [key],
  );
  return [dismissed, set];
}
