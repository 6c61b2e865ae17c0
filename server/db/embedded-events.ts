/** What the embedded Postgres process tells its owner, one JSON object per stdout line. */
export type EmbeddedEvent =
  | { type: "log"; line: string }
  | { type: "ready"; port: number }
  | { type: "error"; message: string };

/** The superuser password of the embedded server (it listens on loopback only). */
export const EMBEDDED_PASSWORD = "concord";
