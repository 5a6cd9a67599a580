import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureLoggedIn, goto } from "../support/app";
import { ExtraServer } from "../support/server";
import { describeRun, generatedTtbak, mbPerSecond, previewTtbak } from "../support/preview";

// The restore preview of a large .ttbak in headless Chromium (in its Web Worker): size, key
// derivation, total, MB/s and the page's long tasks. Run by scripts/bench.sh (row
// browser_preview) or alone:
//   cd end2end && npx playwright test -c bench/playwright.config.ts
// Environment: TT_E2E_BINARY (the server; default target/release/tracker-tracker),
// TT_BENCH_TTBAK + TT_BENCH_TTBAK_PASSWORD (a .ttbak to preview; without them one is exported from
// a generated instance, `tracker-tracker generate` with TT_BENCH_GENERATE's arguments, default
// its own: 40 trackers × 3 years = 1,051,200 snapshots), TT_BENCH_PORT (default 3191).
const PORT = Number(process.env.TT_BENCH_PORT || 3191);
const LOGIN = "bench login password 1";

test("in-browser preview of a large .ttbak", async ({ browser }) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tt-bench-preview-"));
  const server = new ExtraServer(PORT, path.join(work, "data"));
  let file = process.env.TT_BENCH_TTBAK || "";
  let password = process.env.TT_BENCH_TTBAK_PASSWORD || "";
  try {
    if (!file) {
      file = path.join(work, "bench.ttbak");
      password = "bench backup password 1";
      const args = (process.env.TT_BENCH_GENERATE || "").split(" ").filter(Boolean);
      const t = Date.now();
      await generatedTtbak(server, args, LOGIN, password, file);
      console.log(`generated and exported ${file} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    } else {
      expect(password, "TT_BENCH_TTBAK_PASSWORD with TT_BENCH_TTBAK").not.toBe("");
      server.generate(["--trackers", "1", "--years", "0.01", "--clients", "1", "--client-days", "1", "--password", LOGIN]);
    }
    // The page only: the preview reads the file in the browser, nothing goes to this server.
    await server.start();
    const ctx = await browser.newContext({ baseURL: server.url });
    const page = await ctx.newPage();
    await ensureLoggedIn(page, LOGIN);
    await goto(page, "/settings/backups");
    const run = await previewTtbak(page, file, password);
    console.log(describeRun(run));
    const longest = run.longTasks.length ? Math.max(...run.longTasks) : 0;
    // One line for scripts/bench.sh: bytes, KDF ms, total ms, MB/s (KDF apart), long tasks, longest ms.
    console.log(`BENCH browser_preview ${run.bytes} ${run.kdfMs.toFixed(0)} ${run.totalMs.toFixed(0)} ${mbPerSecond(run).toFixed(1)} ${run.longTasks.length} ${longest.toFixed(0)}`);
    await ctx.close();
  } finally {
    await server.stop();
    if (!process.env.TT_BENCH_KEEP) fs.rmSync(work, { recursive: true, force: true });
  }
});
