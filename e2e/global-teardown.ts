import { rm } from "node:fs/promises";

/** Removes the temporary data folder of the server Playwright started (its embedded Postgres). */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.CONCORD_E2E_DATA_DIR;
  if (dir && dir.includes("concord-e2e-")) await rm(dir, { recursive: true, force: true }).catch(() => {});
}
