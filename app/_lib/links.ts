/** The app's shareable links: a card (`/b/:board/c/:card`) and an invite (`/join/:code`). */

export function boardPath(boardId: string): string {
  return `/b/${encodeURIComponent(boardId)}`;
}

export function cardPath(boardId: string, cardId: string): string {
  return `${boardPath(boardId)}/c/${encodeURIComponent(cardId)}`;
}

/** The card a board URL opens, if any: `/b/:board/c/:card` → card id. */
export function cardInPath(pathname: string): string | null {
  const m = /^\/b\/[^/]+\/c\/([^/]+)\/?$/.exec(pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

export function inviteLink(origin: string, code: string): string {
  return `${origin}/join/${encodeURIComponent(code)}`;
}

/** The invite code in what a person pasted: a code, or an invite link (`…/join/<code>`). */
export function inviteCodeOf(text: string): string {
  const trimmed = text.trim();
  const m = /\/join\/([^/?#\s]+)/.exec(trimmed);
  if (!m) return trimmed;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}
