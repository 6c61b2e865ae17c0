import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (pure lib/ code, fast, no I/O) and `integration` (a real Postgres, real
 * Socket.IO servers on port 0 and real clients). `npm test` runs both, then Playwright.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "server/**/*.test.ts", "app/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          sequence: { groupOrder: 1 },
          include: ["server/**/*.int.test.ts", "lib/**/*.int.test.ts"],
          globalSetup: ["server/test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
          maxWorkers: 2,
          environment: "node",
        },
      },
    ],
  },
});
