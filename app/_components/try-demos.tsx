"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ClientState, SyncClientApi } from "../../lib/client/types";
import { DEMO_BOARDS, demoOf } from "../../lib/demo/plan";
import { seedDemos } from "../../lib/demo/seed";
import { errorMessage } from "../_lib/format";
import { ErrorText } from "./error-text";

/**
 * Resolves once none of `cardIds` has a write waiting to be sent (SPEC OUTBOX-1): the demo cards
 * are acknowledged. Rejects when one of them is set aside (OUTBOX-7), since it would not be sent
 * again without the person; writes to other cards never hold it up.
 */
function acknowledged(client: SyncClientApi, cardIds: ReadonlySet<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const mine = client.getSnapshot().pending.filter((m) => cardIds.has(m.cardId));
      if (mine.some((m) => m.setAside)) {
        stop();
        reject(new Error("a demo card could not be saved; see “not saved” on its board"));
      } else if (mine.length === 0) {
        stop();
        resolve();
      }
    };
    const stop = client.subscribe(check);
    check();
  });
}

/** True when the person already has demo boards of their own. */
export function hasOwnDemos(state: ClientState): boolean {
  return state.boardList.some((b) => b.ownerId === state.user?.id && demoOf(b) !== undefined);
}

/**
 * "Try the demos": makes one private board per technique with a few cards, through the normal
 * write path (`board:create`, then each card through the outbox), then opens the OCC demo.
 */
export function TryDemos({ client, state, prominent }: { client: SyncClientApi; state: ClientState; prominent: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const online = state.connection === "online";

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const cardIds = new Set<string>();
      const boards = await seedDemos(
        {
          createBoard: (input) => client.createBoard(input),
          createCard: async (board, fields) => void cardIds.add(client.createCard(board.id, fields)),
        },
        "private",
      );
      await acknowledged(client, cardIds);
      router.push(`/b/${encodeURIComponent(boards[0]!.id)}`);
    } catch (err) {
      setError(`Could not create the demos: ${errorMessage(err)}`);
      setBusy(false);
    }
  }

  return (
    <section className={`try-demos${prominent ? " try-demos-prominent" : ""}`} data-testid="try-demos" aria-labelledby="try-demos-title">
      <div>
        <h2 id="try-demos-title">New here?</h2>
        <p className="muted small">
          {DEMO_BOARDS.length} private boards, one per technique, with cards to try things on: OCC conflicts, an LWW race, MVR siblings, a
          two-phase-commit move between shards a and b, and a card to lock. Each opens with what to try in two tabs.
        </p>
        <ErrorText error={error} />
      </div>
      <button type="button" className="btn btn-primary" data-testid="try-demos-button" disabled={busy || !online} onClick={() => void run()}>
        {busy ? "Creating the demos…" : "Try the demos"}
      </button>
    </section>
  );
}
