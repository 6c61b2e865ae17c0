import type { RequestPayload } from "./requests";

/**
 * A card write as one value: the wire request of `card:create`, `card:update`, `card:delete` or
 * `card:move`, tagged with its kind. The server decides each one with `decideWrite`
 * (lib/sync/write.ts), and a client can run the same function for its optimistic view. Types
 * only: the wire schemas stay in requests.ts.
 */
export type CardMutation =
  | ({ kind: "create" } & RequestPayload<"card:create">)
  | ({ kind: "update" } & RequestPayload<"card:update">)
  | ({ kind: "delete" } & RequestPayload<"card:delete">)
  | ({ kind: "move" } & RequestPayload<"card:move">);

