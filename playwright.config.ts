import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests drive real Chromium against a real Concord (npm start: UI + Socket.IO +
 * embedded Postgres in a fresh temporary data folder, or TEST_DATABASE_URL when set).
 * Where Debian's Chromium is installed (CI here) it is used; elsewhere Playwright's own browser.
 */
const port = Number(process.env.E2E_PORT ?? 3210);
const systemChromium = "/usr/bin/chromium";
const dataDir = process.env.CONCORD_E2E_DATA_DIR ?? path.join(os.tmpdir(), `concord-e2e-${process.pid}`);
process.env.CONCORD_E2E_DATA_DIR = dataDir; // for global-teardown (runs in this process)

export default defineConfig({
  testDir: "e2e",
  globalTeardown: "./e2e/global-teardown.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: existsSync(systemChromium)
          ? {
              executablePath: systemChromium,
              args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            }
          : {},
      },
    },
  ],
  webServer: {
    command: "npm start",
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      CONCORD_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      // Password sign-ins and sign-ups all come from 127.0.0.1 here; the limit itself is tested in server/http/accounts.int.test.ts.
      PASSWORD_RATE_LIMIT: "100",
      // SPEC TX-10: the demo fault switch ("Crash the coordinator"), for e2e/two-phase.spec.ts.
      CONCORD_FAULTS: "demo",
      ...(process.env.E2E_DATABASE_URL ? { DATABASE_URL: process.env.E2E_DATABASE_URL } : {}),
    },
  },
});
