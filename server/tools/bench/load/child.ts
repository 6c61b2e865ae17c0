/**
 * The load generator's process (started by generator.ts with an IPC channel): runs one workload
 * per message and answers its result, so the clients' CPU is never the server's.
 */
import { workloads, type Workloads } from "./workloads";

interface Request {
  id: number;
  kind: keyof Workloads;
  params: unknown;
}

process.on("message", (msg: Request) => {
  const run = workloads[msg.kind] as (p: unknown) => Promise<unknown>;
  run(msg.params).then(
    (result) => process.send!({ id: msg.id, result }),
    (err: unknown) => process.send!({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
