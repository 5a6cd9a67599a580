import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "../support/server";

// The in-browser preview benchmark (scripts/bench.sh, row browser_preview): not part of the
// test command (its testDir is ./tests). Starts its own server (see preview.bench.ts).
export default defineConfig({
  testDir: ".",
  testMatch: "*.bench.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 1_800_000,
  reporter: [["list"]],
  use: { browserName: "chromium", launchOptions: chromiumLaunchOptions, trace: "off" },
});
