import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedServer } from "../db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    /** A Postgres URL with rights to CREATE DATABASE; each test file makes its own databases. */
    adminUrl: string;
  }
}

let embedded: EmbeddedServer | null = null;
let dir: string | null = null;

/** Real Postgres for integration tests: TEST_DATABASE_URL when set, else an embedded one. */
export async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dir = await mkdtemp(path.join(os.tmpdir(), "concord-test-pg-"));
    await chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must reach it
    embedded = await startEmbeddedPostgres(path.join(dir, "pg"), () => {});
    adminUrl = embedded.url("postgres");
  }
  project.provide("adminUrl", adminUrl);
}

export async function teardown() {
  await embedded?.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
}
