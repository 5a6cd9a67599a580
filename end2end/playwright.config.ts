import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions, E2E_PORT, startCommand } from "./support/server";

// Browser tests against the real release server in Debian's Chromium.
// scripts/test.sh builds the app first; the server below starts on a fresh data dir.
export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: "chromium",
    launchOptions: chromiumLaunchOptions,
    acceptDownloads: true,
    trace: "off",
  },
  webServer: {
    command: startCommand(E2E_PORT, ".tmp/main"),
    cwd: "..",
    url: `http://127.0.0.1:${E2E_PORT}/api/auth/status`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
