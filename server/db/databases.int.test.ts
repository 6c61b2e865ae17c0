import { afterAll, describe, expect, it } from "vitest";
import { openDatabases, type Databases } from "./databases";
import { freshDatabases } from "../test/harness";

let dbs: Databases | undefined;
let drop: (() => Promise<void>) | undefined;
afterAll(async () => {
  await dbs?.close();
  await drop?.();
});

describe("one database for everything (DATABASE_URL without SHARD_URLS)", () => {
  it("applies both the catalog and the shard migrations to the same database, twice without harm", async () => {
    const fresh = await freshDatabases("single");
    drop = fresh.drop;
    dbs = await openDatabases(fresh.catalogUrl, { a: fresh.catalogUrl });
    await dbs.close();
    dbs = await openDatabases(fresh.catalogUrl, { a: fresh.catalogUrl }); // a restart: nothing to do
    const tables = await dbs.catalogSql<{ name: string }[]>`
      SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`;
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(["users", "boards", "leases", "tx_log", "board_heads", "cards", "changes", "applied_mutations"]),
    );
  });
});
