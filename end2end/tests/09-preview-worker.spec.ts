import { test, expect, Worker } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureLoggedIn, goto } from "../support/app";
import { ExtraServer } from "../support/server";
import { expectNoUpload, requestsDuring } from "../support/network";
import { describeRun, generatedTtbak, previewTtbak } from "../support/preview";

// The restore preview runs in a Web Worker of its own (crates/preview-worker): the page starts
// it when a file is opened, and its thread stays free while a large .ttbak is decrypted.
const TMP = path.join(__dirname, "..", ".tmp");
const FILE = path.join(TMP, "preview-worker-big.ttbak");
const LOGIN = "worker instance password";
const BACKUP_PASSWORD = "worker backup password";
// 32 trackers × 1 year of hourly snapshots: a .ttbak of about 16 MB, generated once per run.
const TRACKERS = 32;
const SNAPSHOTS = TRACKERS * 365 * 24;

test.describe.serial("restore preview in a Web Worker", () => {
  test.beforeAll(async () => {
    test.setTimeout(600_000);
    fs.mkdirSync(TMP, { recursive: true });
    const server = new ExtraServer(3198, "/tmp/tt-e2e-worker");
    await generatedTtbak(server, ["--trackers", String(TRACKERS), "--years", "1", "--clients", "1", "--client-days", "7"], LOGIN, BACKUP_PASSWORD, FILE);
  });

  test("a large .ttbak is checked in the worker: no long task over 100 ms, the page reacts meanwhile, nothing uploaded", async ({ page }) => {
    test.setTimeout(300_000);
    await ensureLoggedIn(page);
    const workers: Worker[] = [];
    page.on("worker", (w) => workers.push(w));
    await goto(page, "/settings/backups");
    expect(workers, "no worker before a file is opened").toHaveLength(0);
    let reacted = false;
    let run!: Awaited<ReturnType<typeof previewTtbak>>;
    const requests = await requestsDuring(page, async () => {
      run = await previewTtbak(page, FILE, BACKUP_PASSWORD, async () => {
        // While the worker derives the key and decrypts, the page answers a click at once.
        await expect(page.locator("#decrypt-progress")).toBeVisible();
        await page.locator("#restore-current-password + .reveal").click();
        // Read in the page in one go: the button changed, and the check was still running.
        reacted = await page.evaluate(
          () =>
            document.querySelector("#restore-current-password + .reveal")?.getAttribute("aria-pressed") === "true" &&
            document.querySelector("#restore-current-password")?.getAttribute("type") === "text" &&
            document.querySelector("#decrypt-progress") !== null,
        );
      });
    });
    console.log(`preview in the worker: ${describeRun(run)}`);
    expectNoUpload(requests);
    expect(reacted, "the page reacted while the file was still being decrypted").toBe(true);
    const preview = page.getByTestId("backup-preview");
    await expect(preview.locator("dd[data-section=tracker_snapshots]")).toHaveText(String(SNAPSHOTS));
    await expect(preview.locator("dd[data-section=trackers]")).toHaveText(String(TRACKERS));
    expect(run.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(run.longTasks.filter((d) => d > 100), `long tasks (ms): ${run.longTasks}`).toEqual([]);
    // One worker, the preview's, stopped once it answered.
    expect(workers.map((w) => new URL(w.url()).pathname)).toEqual(["/pkg/preview-worker.js"]);
    await expect.poll(() => page.workers().length).toBe(0);
  });

  test("Cancel stops the worker and brings the password back; another file starts a new one", async ({ page }) => {
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    const closed: string[] = [];
    page.on("worker", (w) => w.on("close", () => closed.push(w.url())));
    await page.locator("#restore-file").setInputFiles(FILE);
    await page.getByLabel("Backup password", { exact: true }).fill(BACKUP_PASSWORD);
    await page.getByRole("button", { name: "Open backup" }).click();
    await expect(page.locator("#decrypt-progress")).toBeVisible();
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect(page.locator("#decrypt-progress")).toHaveCount(0);
    await expect(page.getByLabel("Backup password", { exact: true })).toBeVisible();
    await expect.poll(() => closed.length).toBe(1);
    // Nothing of the cancelled check arrives later.
    await page.waitForTimeout(1_000);
    await expect(page.getByTestId("backup-preview")).toHaveCount(0);
    // A wrong password, in a new worker: the error sits at the field, as before.
    await page.getByLabel("Backup password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Open backup" }).click();
    await expect(page.locator("#preview-password-error, .field-error").first()).toContainText("password");
    // Another file (a plain one) replaces it at once.
    const plain = path.join(TMP, "preview-worker-not-a-backup.json");
    fs.writeFileSync(plain, "{\"not\": \"a backup\"}");
    await page.locator("#restore-file").setInputFiles(plain);
    await expect(page.locator("#restore-error")).toContainText(/backup/i);
  });
});
