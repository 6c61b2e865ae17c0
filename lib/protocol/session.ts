/** Health answer of `GET /api/health`. */
export interface Health {
  ok: true;
  nodeId: string;
  shards: string[];
  twoPhaseCommit: boolean;
  locks: "postgres" | "redis";
  adapter: "postgres" | "redis" | "memory";
}

export interface SessionReply {
  token: string;
  user: { id: string; name: string };
}
