import { test, expect, Page, Request } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { PASSWORD, ensureLoggedIn, goto, hydrated, screenshots, totp } from "../support/app";
import { ExtraServer } from "../support/server";

const STORE = "/tmp/tt-e2e-backups";
const TMP = path.join(__dirname, "..", ".tmp");

function readJsonHeader(file: string): any {
  const text = fs.readFileSync(file, "utf8");
  return JSON.parse(text).header;
}

async function exportNow(page: Page, oneOff?: string): Promise<string> {
  await goto(page, "/settings/backups");
  if (oneOff) await page.getByLabel("One-off backup password (optional)").fill(oneOff);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export Now" }).click()]);
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

/** Records every request to the restore endpoints while `body` runs. */
async function restoreRequests(page: Page, body: () => Promise<void>): Promise<Request[]> {
  const seen: Request[] = [];
  const listener = (r: Request) => {
    if (r.url().includes("/api/backup/restore") || r.url().includes("/api/backup/history/restore")) seen.push(r);
  };
  page.on("request", listener);
  try {
    await body();
  } finally {
    page.off("request", listener);
  }
  return seen;
}

async function addTracker(page: Page, name: string): Promise<void> {
  const r = await page.request.post("/api/trackers/save", {
    data: { input: { id: null, config: { name, base_url: "https://e2e.example", platform: "unit3d", api_path: "", color: "#123456",
      client_tag: null, is_active: true, is_favorite: false, sort_order: 0, joined_at: null }, api_token: { value: "tok-e2e", clear: false } } },
  });
  expect(r.ok(), await r.text()).toBeTruthy();
}

async function trackerNames(page: Page): Promise<string[]> {
  const r = await page.request.get("/api/trackers/list");
  const body = await r.json();
  return (body as any[]).map((t) => t.config.name).sort();
}

test.describe.serial("Backups page", () => {
  test("export downloads a file that parses as a backup", async ({ page }) => {
    await ensureLoggedIn(page);
    await addTracker(page, "Before backup");
    const file = await exportNow(page);
    expect(path.basename(file)).toMatch(/^tracker-tracker-backup-\d{8}T\d{6}Z\.json$/);
    const header = readJsonHeader(file);
    expect(header.format).toBe("tracker-tracker-backup");
    expect(header.format_version).toBe(1);
    expect(header.counts.trackers).toBeGreaterThanOrEqual(1);
    await expect(page.getByText("downloaded to your browser, not saved on the server")).toBeVisible();
  });

  test("an encrypted export downloads a .ttbak", async ({ page }) => {
    await ensureLoggedIn(page);
    const file = await exportNow(page, "one-off secret 123");
    expect(path.basename(file)).toMatch(/\.ttbak$/);
    const head = fs.readFileSync(file).subarray(0, 8);
    expect(Array.from(head)).toEqual([0x89, 0x54, 0x54, 0x42, 0x41, 0x4b, 0x0d, 0x0a]);
    // The clear header reveals no counts and no instance URL.
    const text = fs.readFileSync(file).subarray(0, 2048).toString("latin1");
    expect(text).not.toContain("counts");
    expect(text).not.toContain("127.0.0.1");
  });

  test("a .ttbak is decrypted in the browser and shows its counts before any upload", async ({ page }) => {
    await ensureLoggedIn(page);
    const plain = await exportNow(page);
    const counts = readJsonHeader(plain).counts;
    const enc = await exportNow(page, "preview password 1");
    const requests = await restoreRequests(page, async () => {
      await page.locator("#restore-file").setInputFiles(enc);
      await page.getByLabel("Backup password", { exact: true }).fill("preview password 1");
      await page.getByRole("button", { name: "Open backup" }).click();
      const preview = page.getByTestId("backup-preview");
      await expect(preview).toBeVisible();
      for (const [section, n] of Object.entries(counts)) {
        await expect(preview.locator(`dd[data-section=${section}]`)).toHaveText(String(n));
      }
      await expect(page.getByText(/encrypted chunks are authentic/)).toBeVisible();
    });
    expect(requests, "nothing was uploaded").toHaveLength(0);
  });

  test("a wrong backup password shows its message and sends nothing", async ({ page }) => {
    await ensureLoggedIn(page);
    const enc = await exportNow(page, "right password 1");
    const requests = await restoreRequests(page, async () => {
      await page.locator("#restore-file").setInputFiles(enc);
      await page.getByLabel("Backup password", { exact: true }).fill("wrong password 1");
      await page.getByRole("button", { name: "Open backup" }).click();
      await expect(page.getByRole("alert").filter({ hasText: "password is wrong" })).toBeVisible();
      await expect(page.getByTestId("backup-preview")).toHaveCount(0);
    });
    expect(requests).toHaveLength(0);
  });

  test("a full restore round trip changes the data back", async ({ page }) => {
    await ensureLoggedIn(page);
    const before = await trackerNames(page);
    const file = await exportNow(page);
    await addTracker(page, "Added after the backup");
    expect(await trackerNames(page)).toContain("Added after the backup");

    await page.locator("#restore-file").setInputFiles(file);
    await expect(page.getByTestId("backup-preview")).toBeVisible();
    // A plain file: its header is read here; no claim about encrypted chunks.
    await expect(page.getByText("Read in this browser from the start of the file.", { exact: false })).toBeVisible();
    await expect(page.getByText(/encrypted chunks/)).toHaveCount(0);
    await page.getByLabel("Your current login password").fill(PASSWORD);
    await page.getByRole("button", { name: "Check (dry run)" }).click();
    const report = page.getByTestId("dry-run-report");
    await expect(report).toContainText("Will restore");
    await expect(report).toContainText("Two-factor login: unchanged");
    const restoreButton = page.getByRole("button", { name: "Restore now" });
    await expect(restoreButton).toBeDisabled();
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await restoreButton.click();
    const result = page.getByTestId("restore-result");
    await expect(result).toContainText("Restore complete");
    await expect(result).toContainText("saved as");
    expect(await trackerNames(page)).toEqual(before);
    await screenshots(page, "restore-result");

    // Undo: the pre-restore copy is chosen as a stored backup, checked and restored the same way.
    const undoRequests = await restoreRequests(page, async () => {
      await result.getByRole("button", { name: "Undo this restore" }).click();
      await expect(page.getByText(/^Stored backup: tracker-tracker-backup-.*nothing is uploaded\.$/)).toBeVisible();
      await expect(page.getByRole("button", { name: "Check (dry run)" })).toBeFocused();
      await page.getByRole("button", { name: "Check (dry run)" }).click();
      await expect(page.getByTestId("dry-run-report")).toContainText("Will restore");
      await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
      await page.getByRole("button", { name: "Restore now" }).click();
      await expect(page.getByTestId("restore-result")).toContainText("Restore complete");
    });
    expect(undoRequests.map((r) => new URL(r.url()).pathname)).toEqual(["/api/backup/history/restore", "/api/backup/history/restore"]);
    expect(await trackerNames(page)).toContain("Added after the backup");
    // Still logged in; the pre-restore copy is in the history.
    await goto(page, "/settings/backups");
    await expect(page.getByRole("heading", { name: "Backups" })).toBeVisible();
    await expect(page.getByTestId("history-row").filter({ hasText: "Before a restore" }).first()).toBeVisible();
  });

  test("the history lists a scheduled backup and verifies it", async ({ page }) => {
    await ensureLoggedIn(page);
    fs.rmSync(STORE, { recursive: true, force: true });
    await goto(page, "/settings/backups");
    await page.getByLabel("Scheduled backups").check();
    await expect(page.getByText("Unsaved changes")).toBeVisible();
    await expect(page.getByRole("button", { name: "Export Now" })).toBeDisabled();
    await page.getByLabel("Storage path on the server").fill("relative/path");
    await expect(page.getByRole("alert").filter({ hasText: "absolute directory" })).toBeVisible();
    await page.getByLabel("Storage path on the server").fill(STORE);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByText("Saved.", { exact: false }).first()).toBeVisible();
    await expect(page.getByText(/Next scheduled backup: \d{4}-\d{2}-\d{2} 03:00/)).toBeVisible();
    await page.getByRole("button", { name: "Run a scheduled backup now" }).click();
    const row = page.getByTestId("history-row").filter({ hasText: "Scheduled" }).first();
    await expect(row).toContainText("Completed");
    await row.getByRole("button", { name: /^Verify/ }).click();
    await expect(row).toContainText("SHA-256 matches");
    const stored = fs.readdirSync(STORE).filter((f) => f.startsWith("tracker-tracker-backup-"));
    expect(stored).toHaveLength(1);

    // A backup copied into the storage directory by hand is found, checked and added.
    const copied = "tracker-tracker-backup-20250101T000000Z.json";
    fs.copyFileSync(path.join(STORE, stored[0]), path.join(STORE, copied));
    await goto(page, "/settings/backups");
    const found = page.getByTestId("found-file");
    await expect(found).toHaveCount(1);
    await expect(found).toContainText(copied);
    await page.getByRole("button", { name: `Check and add ${copied}` }).click();
    const added = page.getByTestId("history-row").filter({ hasText: "Added by hand" });
    await expect(added).toContainText("records read and checked");
    await expect(found).toHaveCount(0);
    await expect(added.getByRole("button", { name: `Restore ${copied}` })).toBeVisible();

    await screenshots(page, "backups");

    // Deleting asks first, then removes the row and the file, and says so.
    await added.getByRole("button", { name: "Delete" }).click();
    await added.getByRole("button", { name: "Confirm delete" }).click();
    await expect(page.getByTestId("history-notice")).toHaveText(`Deleted ${copied}.`);
    await expect(added).toHaveCount(0);
    expect(fs.existsSync(path.join(STORE, copied))).toBe(false);

    // A .ttbak written with another password than the stored one (none is stored here) is
    // checked whole with the password typed for it; a wrong one adds nothing.
    const ttbak = await exportNow(page, "one-off for the found file");
    const copiedTtbak = "tracker-tracker-backup-20250102T000000Z.ttbak";
    fs.copyFileSync(ttbak, path.join(STORE, copiedTtbak));
    await goto(page, "/settings/backups");
    const foundCard = page.getByRole("region", { name: "Found in the storage directory" });
    await foundCard.getByLabel("Backup password for encrypted files").fill("not the password");
    await foundCard.getByRole("button", { name: `Check and add ${copiedTtbak}` }).click();
    await expect(foundCard.getByRole("alert")).toContainText("The backup password is wrong");
    await foundCard.getByLabel("Backup password for encrypted files").fill("one-off for the found file");
    await foundCard.getByRole("button", { name: `Check and add ${copiedTtbak}` }).click();
    const addedTtbak = page.getByTestId("history-row").filter({ hasText: "Added by hand" });
    await expect(addedTtbak).toContainText("every encrypted chunk authenticated");
  });

  test("a restore from another instance with another password shows the 2FA notice", async ({ page, browser }) => {
    // Another instance, another password, two-factor login on.
    const other = new ExtraServer(3198, "/tmp/tt-e2e-other");
    await other.start();
    const otherPassword = "the other instance pw";
    let file: string;
    try {
      const ctx = await browser.newContext({ baseURL: other.url, acceptDownloads: true });
      const p2 = await ctx.newPage();
      await goto(p2, "/");
      await p2.getByLabel("Password", { exact: true }).fill(otherPassword);
      await p2.getByLabel("Repeat the password").fill(otherPassword);
      await p2.getByRole("button", { name: "Set password" }).click();
      await expect(p2.getByRole("heading", { name: "Dashboard" })).toBeVisible();
      const begin = await (await p2.request.post("/api/security/totp/begin", { data: { password: otherPassword } })).json();
      const confirm = await p2.request.post("/api/security/totp/confirm", { data: { code: totp(begin.secret_base32) } });
      expect(confirm.ok()).toBeTruthy();
      file = await exportNow(p2);
      await ctx.close();
    } finally {
      await other.stop();
    }
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    await page.locator("#restore-file").setInputFiles(file!);
    await expect(page.getByText("This backup comes from another instance")).toBeVisible();
    await page.getByLabel("Your current login password").fill(PASSWORD);
    await page.getByRole("button", { name: "Check (dry run)" }).click();
    await expect(page.getByTestId("dry-run-report").getByTestId("totp-notice")).toContainText("will be turned off");
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await page.getByRole("button", { name: "Restore now" }).click();
    const notice = page.getByTestId("restore-result").getByTestId("totp-notice");
    await expect(notice).toContainText("was turned off");
    await notice.getByRole("link", { name: /Settings → Security/ }).click();
    await expect(page).toHaveURL(/\/settings\/security$/);
    await hydrated(page);
    await expect(page.getByText("Two-factor login is off")).toBeVisible();
  });
});

test("a multi-megabyte .ttbak is decrypted and checked in the browser without an upload", async ({ page, browser }) => {
  // A bigger instance: 8 trackers × 1 year of hourly snapshots.
  const big = new ExtraServer(3197, "/tmp/tt-e2e-big");
  big.generate(["--trackers", "8", "--years", "1", "--clients", "1", "--client-days", "7", "--password", "big instance password"]);
  let file: string;
  try {
    await big.start();
    const ctx = await browser.newContext({ baseURL: big.url, acceptDownloads: true });
    const p2 = await ctx.newPage();
    await goto(p2, "/login");
    await p2.getByLabel("Password", { exact: true }).fill("big instance password");
    await p2.getByRole("button", { name: "Log in" }).click();
    await expect(p2.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    file = await exportNow(p2, "big backup password");
    await ctx.close();
  } finally {
    await big.stop();
  }
  const size = fs.statSync(file!).size;
  expect(size).toBeGreaterThan(2 * 1024 * 1024);
  await ensureLoggedIn(page);
  await goto(page, "/settings/backups");
  const started = Date.now();
  const requests = await restoreRequests(page, async () => {
    await page.locator("#restore-file").setInputFiles(file!);
    await page.getByLabel("Backup password", { exact: true }).fill("big backup password");
    await page.getByRole("button", { name: "Open backup" }).click();
    const preview = page.getByTestId("backup-preview");
    await expect(preview).toBeVisible({ timeout: 60_000 });
    await expect(preview.locator("dd[data-section=tracker_snapshots]")).toHaveText(String(8 * 365 * 24));
    await expect(preview.locator("dd[data-section=trackers]")).toHaveText("8");
  });
  expect(requests).toHaveLength(0);
  console.log(`in-browser decryption of a ${(size / 1048576).toFixed(1)} MiB .ttbak: ${Date.now() - started} ms`);
});
