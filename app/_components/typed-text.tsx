"use client";

import { useState } from "react";

/** Text the person typed that has nowhere to be saved any more, shown with a button that copies it. */
export function TypedText({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="typed-text">
      <pre className="version-value" data-testid="editor-typed">
        {text}
      </pre>
      <button type="button" className="btn btn-sm" data-testid="editor-copy-typed" onClick={() => void copy()}>
        {copied ? "Copied" : "Copy text"}
      </button>
    </div>
  );
}
