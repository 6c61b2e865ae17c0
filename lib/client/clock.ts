import type { Card } from "../protocol";
import type { HybridClock } from "../sync/hlc";

/** Merges a timestamp seen elsewhere into our HLC (SPEC LWW-2), so it never goes backwards. */
export function receiveHlc(clock: HybridClock, h: string): void {
  try {
    clock.receive(h);
  } catch {
    /* a malformed timestamp from the wire is ignored; the server never stores one */
  }
}

/** Moves the HLC past every timestamp seen on a card, so our next edit sorts after it. */
export function receiveCard(clock: HybridClock, card: Card): void {
  for (const h of Object.values(card.hlc ?? {})) if (h) receiveHlc(clock, h);
}
