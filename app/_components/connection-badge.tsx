import type { ConnectionState } from "../../lib/client/types";

export function connectionText(state: ConnectionState, catchingUp: number): string {
  return state === "catching-up" ? `catching up ${catchingUp}` : state;
}

/** The connection state, in words exactly as the client names it (e2e waits on this). */
export function ConnectionBadge({ state, catchingUp }: { state: ConnectionState; catchingUp: number }) {
  return (
    <span className={`badge badge-dot conn-${state}`} data-testid="connection" data-state={state} role="status" aria-label={`Connection: ${connectionText(state, catchingUp)}`}>
      {connectionText(state, catchingUp)}
    </span>
  );
}
