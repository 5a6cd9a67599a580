import { test, expect, Page, Request } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { PASSWORD, ensureLoggedIn, goto, hydrated, screenshots, totp } from "../support/app";
import { E2E_PORT, ExtraServer } from "../support/server";
import { isRestoreRequest, requestsDuring } from "../support/network";

const STORE = "/tmp/tt-e2e-backups";
const ROUND_TRIP_STORE = "/tmp/tt-e2e-round-trip";
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
function restoreRequests(page: Page, body: () => Promise<void>): Promise<Request[]> {
  return requestsDuring(page, body, isRestoreRequest);
}

/** The opening tag of the input with this id in a server-rendered page. */
function inputTag(html: string, id: string): string {
  const m = html.match(new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`));
  expect(m, `an input with id ${id} in the server-rendered HTML`).not.toBeNull();
  return m![0];
}

/** The page's HTML as the server sends it, before any script runs (with the session cookie). */
async function serverHtml(page: Page, url: string): Promise<string> {
  const r = await page.request.get(url);
  expect(r.ok()).toBeTruthy();
  return r.text();
}

/** Back to the default backup settings (no schedule, no storage path, no backup password). */
async function resetBackupSettings(page: Page): Promise<void> {
  const r = await page.request.post("/api/backup/settings", {
    data: { input: { settings: { schedule_enabled: false, frequency: "daily", retention_count: 14, encrypt: false, storage_path: null },
      backup_password: { value: null, clear: true } } },
  });
  expect(r.ok(), await r.text()).toBeTruthy();
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
    // The one-off password says its minimum length up front and can be shown.
    await goto(page, "/settings/backups");
    await expect(page.locator("#export-password-hint")).toContainText("At least 8 characters");
    await page.locator("#export-password").fill("typed here");
    await page.locator("#export-password + .reveal").click();
    await expect(page.locator("#export-password")).toHaveAttribute("type", "text");
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
      // The preview takes the focus (and is scrolled into view) once it is there.
      await expect(page.locator("#restore-preview")).toBeFocused();
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
      // The message sits under the password field, once; the field is marked invalid, points
      // to it, and has the focus.
      const field = page.locator("#preview-password");
      await expect(field).toBeFocused();
      await expect(field).toHaveAttribute("aria-invalid", "true");
      await expect(field).toHaveAttribute("aria-describedby", /\bpreview-password-error\b/);
      await expect(page.locator("#preview-password-error")).toContainText("password is wrong");
      await expect(page.getByText(/password is wrong/)).toHaveCount(1);
    });
    expect(requests).toHaveLength(0);
  });

  test("a full restore round trip changes the data back", async ({ page }) => {
    await ensureLoggedIn(page);
    fs.rmSync(ROUND_TRIP_STORE, { recursive: true, force: true });
    const before = await trackerNames(page);
    const file = await exportNow(page);
    await addTracker(page, "Added after the backup");
    expect(await trackerNames(page)).toContain("Added after the backup");

    // Backup settings the backup does not have, with a backup password and its emergency kit.
    const responses: string[] = [];
    const seen: Promise<void>[] = [];
    page.on("response", (r) => {
      seen.push(r.text().then((t) => void responses.push(t), () => undefined));
    });
    await goto(page, "/settings/backups");
    await page.getByLabel("Scheduled backups").check();
    await page.getByLabel("Storage path on the server").fill(ROUND_TRIP_STORE);
    await page.getByLabel("Backups to keep (1–365)").fill("5");
    const kitPassword = "kit password 4711";
    const pwField = page.getByLabel("Backup password (separate from your login password)", { exact: true });
    // The minimum length is said before any error.
    await expect(page.locator("#backup_password-hint")).toContainText("At least 8 characters");
    await pwField.fill("short");
    await expect(pwField).toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("#backup_password-error")).toContainText("at least 8 characters");
    await pwField.fill(kitPassword);
    await expect(pwField).not.toHaveAttribute("aria-invalid", "true");
    // "Show" displays what was typed.
    const show = page.locator("#backup_password + .reveal");
    await show.click();
    await expect(pwField).toHaveAttribute("type", "text");
    await expect(show).toHaveAttribute("aria-pressed", "true");
    await show.click();
    await expect(pwField).toHaveAttribute("type", "password");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByText("Saved. The schedule was updated.")).toBeVisible();
    const kit = page.getByTestId("emergency-kit");
    const [kitDownload] = await Promise.all([page.waitForEvent("download"), kit.getByRole("link", { name: "Download the emergency kit" }).click()]);
    expect(kitDownload.suggestedFilename()).toMatch(/^tracker-tracker-emergency-kit-\d{8}\.txt$/);
    const kitText = fs.readFileSync((await kitDownload.path())!, "utf8");
    expect(kitText).toContain(`Backup password:  ${kitPassword}`);
    expect(kitText).toContain(`http://127.0.0.1:${E2E_PORT}`);
    expect(kitText).toContain(".ttbak");
    expect(kitText).toContain("README.md");
    await Promise.all(seen);
    expect(responses.length).toBeGreaterThan(0);
    expect(responses.filter((t) => t.includes(kitPassword)), "no response carries the typed password").toHaveLength(0);

    // The server-rendered page (before any script runs) carries the real values of every form.
    const html = await serverHtml(page, "/settings/backups");
    expect(inputTag(html, "schedule_enabled")).toMatch(/\schecked/);
    expect(inputTag(html, "storage_path")).toContain(`value="${ROUND_TRIP_STORE}"`);
    expect(inputTag(html, "retention_count")).toContain('value="5"');
    expect(inputTag(html, "encrypt")).not.toMatch(/\schecked/);
    expect(inputTag(html, "backup_password")).not.toContain(kitPassword);
    expect(html).not.toContain(kitPassword);
    expect(html).toMatch(/<option value="daily"[^>]*selected/);
    expect(inputTag(await serverHtml(page, "/settings/general"), "poll_interval_minutes")).toMatch(/value="\d+"/);
    expect(inputTag(await serverHtml(page, "/settings/security"), "session_timeout_minutes")).toMatch(/value="\d+"/);

    await page.locator("#restore-file").setInputFiles(file);
    await expect(page.getByTestId("backup-preview")).toBeVisible();
    await expect(page.locator("#restore-preview")).toBeFocused();
    // A plain file: its header is read here; no claim about encrypted chunks.
    await expect(page.getByText("Read in this browser from the start of the file.", { exact: false })).toBeVisible();
    await expect(page.getByText(/encrypted chunks/)).toHaveCount(0);
    await page.getByLabel("Your current login password").fill(PASSWORD);
    await page.getByRole("button", { name: "Check (dry run)" }).click();
    const report = page.getByTestId("dry-run-report");
    await expect(report).toContainText("Will restore");
    await expect(report).toBeFocused();
    await expect(page.getByTestId("restore-announce")).toContainText("Dry run done");
    // Every setting that changes, as now → after; the records per section and by name.
    const changes = report.getByTestId("settings-changes");
    await expect(changes.locator('li[data-key="backup.schedule_enabled"]')).toHaveText("Scheduled backups: on → off");
    await expect(changes.locator('li[data-key="backup.storage_path"]')).toHaveText(`Backup storage path: ${ROUND_TRIP_STORE} → not set`);
    await expect(changes.locator('li[data-key="backup.retention_count"]')).toHaveText("Backups to keep: 5 → 14");
    await expect(changes.locator('li[data-key="backup.password"]')).toHaveText("Backup password: set → not set");
    await expect(report.getByTestId("section-counts").locator('li[data-section="trackers"]')).toHaveText(`Trackers: ${before.length + 1} → ${before.length}`);
    await expect(report.getByTestId("disappearing")).toContainText("Tracker “Added after the backup”");
    await expect(report.getByTestId("totp-notice")).toContainText("Two-factor login");
    await expect(report.getByTestId("totp-choice")).toHaveCount(0);
    const restoreButton = page.getByRole("button", { name: "Restore now" });
    await expect(restoreButton).toBeDisabled();
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await restoreButton.click();
    const result = page.getByTestId("restore-result");
    await expect(result).toContainText("Restore complete");
    await expect(result).toBeFocused();
    await expect(page.getByTestId("restore-announce")).toHaveText("Restore complete.");
    await expect(result).toContainText("saved as");
    expect(await trackerNames(page)).toEqual(before);
    // The configuration form shows the restored settings at once, without a reload.
    await expect(page.getByLabel("Scheduled backups")).not.toBeChecked();
    await expect(page.getByLabel("Storage path on the server")).toHaveValue("");
    await expect(page.getByLabel("Backups to keep (1–365)")).toHaveValue("14");
    await expect(page.locator("#backup_password-state")).toHaveText("No value stored.");
    await expect(page.getByText("Unsaved changes")).toHaveCount(0);
    await expect(page.getByText("Scheduled backups are off.")).toBeVisible();
    // So does the export section (no backup password any more).
    await expect(page.getByText("A backup password is set.", { exact: false })).toHaveCount(0);
    await screenshots(page, "restore-result");

    // Undo: the pre-restore copy is chosen as a stored backup, checked and restored the same way.
    const undoRequests = await restoreRequests(page, async () => {
      await result.getByRole("button", { name: "Undo this restore" }).click();
      await expect(page.getByText(/^Stored backup: tracker-tracker-backup-.*nothing is uploaded\.$/)).toBeVisible();
      await expect(page.getByRole("button", { name: "Check (dry run)" })).toBeFocused();
      await page.getByRole("button", { name: "Check (dry run)" }).click();
      await expect(page.getByTestId("dry-run-report")).toContainText("Will restore");
      await expect(page.getByTestId("dry-run-report")).toBeFocused();
      await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
      await page.getByRole("button", { name: "Restore now" }).click();
      await expect(page.getByTestId("restore-result")).toContainText("Restore complete");
      await expect(page.getByTestId("restore-result")).toBeFocused();
    });
    expect(undoRequests.map((r) => new URL(r.url()).pathname)).toEqual(["/api/backup/history/restore", "/api/backup/history/restore"]);
    expect(await trackerNames(page)).toContain("Added after the backup");
    // The form follows the undo as well.
    await expect(page.getByLabel("Scheduled backups")).toBeChecked();
    await expect(page.getByLabel("Storage path on the server")).toHaveValue(ROUND_TRIP_STORE);
    await expect(page.locator("#backup_password-state")).toHaveText("A value is stored. It is never shown again.");
    await expect(page.getByText("A backup password is set.", { exact: false })).toBeVisible();
    // Still logged in; the pre-restore copy is in the history.
    await goto(page, "/settings/backups");
    await expect(page.getByRole("heading", { name: "Backups" })).toBeVisible();
    await expect(page.getByTestId("history-row").filter({ hasText: "Before a restore" }).first()).toBeVisible();
    await resetBackupSettings(page);
  });

  test("the history lists a scheduled backup and verifies it", async ({ page }) => {
    await ensureLoggedIn(page);
    fs.rmSync(STORE, { recursive: true, force: true });
    // Without a storage path, "run now" says what to set, records nothing, and the message stays.
    const cleared = await page.request.post("/api/backup/settings", {
      data: { input: { settings: { schedule_enabled: false, frequency: "daily", retention_count: 14, encrypt: false, storage_path: null } } },
    });
    expect(cleared.ok(), await cleared.text()).toBeTruthy();
    await goto(page, "/settings/backups");
    const rowsBefore = await page.getByTestId("history-row").count();
    await page.getByRole("button", { name: "Run a scheduled backup now" }).click();
    const refused = page.getByRole("alert").filter({ hasText: "No storage path is set" });
    await expect(refused).toBeVisible();
    await expect(page.getByRole("button", { name: "Run a scheduled backup now" })).toBeEnabled();
    await expect(refused).toBeVisible();
    await expect(page.getByTestId("history-row")).toHaveCount(rowsBefore);
    await expect(page.getByText("The last backup run failed")).toHaveCount(0);
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
    // A run started here is labelled as such, with its file name and where it is stored.
    const row = page.getByTestId("history-row").filter({ hasText: "Run by hand" }).first();
    await expect(row).toContainText("Completed");
    await expect(row).toContainText(STORE);
    await expect(row).toContainText(/tracker-tracker-backup-\d{8}T\d{6}Z\.json/);
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
    // The padlock is an SVG with a label, not an emoji that needs a font.
    await expect(addedTtbak.getByRole("img", { name: "Encrypted (.ttbak)" })).toBeVisible();
    await expect(page.getByText("🔒")).toHaveCount(0);
  });

  test("a restore from another instance: wrong source password, then the 2FA choice, kept and taken", async ({ page, browser }) => {
    // Another instance, another password, two-factor login on.
    const other = new ExtraServer(3198, "/tmp/tt-e2e-other");
    await other.start();
    const otherPassword = "the other instance pw";
    let file: string;
    let secret: string;
    try {
      const ctx = await browser.newContext({ baseURL: other.url, acceptDownloads: true });
      const p2 = await ctx.newPage();
      await goto(p2, "/");
      await p2.getByLabel("Password", { exact: true }).fill(otherPassword);
      await p2.getByLabel("Repeat the password").fill(otherPassword);
      await p2.getByRole("button", { name: "Set password" }).click();
      await expect(p2.getByRole("heading", { name: "Dashboard" })).toBeVisible();
      const begin = await (await p2.request.post("/api/security/totp/begin", { data: { password: otherPassword } })).json();
      secret = begin.secret_base32;
      const confirm = await p2.request.post("/api/security/totp/confirm", { data: { code: totp(secret) } });
      expect(confirm.ok()).toBeTruthy();
      file = await exportNow(p2);
      await ctx.close();
    } finally {
      await other.stop();
    }
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    const dryRun = async (sourcePassword: string) => {
      await page.locator("#restore-file").setInputFiles(file!);
      await expect(page.getByText("This backup comes from another instance")).toBeVisible();
      await page.getByLabel("Your current login password").fill(PASSWORD);
      await page.getByLabel("Login password of the instance this came from (optional)").fill(sourcePassword);
      await page.getByRole("button", { name: "Check (dry run)" }).click();
    };
    // A mistyped source password is said next to its field, before anything changes.
    await dryRun("not the other password");
    const source = page.locator("#restore-source-password");
    await expect(source).toBeFocused();
    await expect(source).toHaveAttribute("aria-invalid", "true");
    await expect(source).toHaveAttribute("aria-describedby", /\brestore-source-password-error\b/);
    await expect(page.locator("#restore-source-password-error")).toBeVisible();
    await expect(page.getByTestId("dry-run-report")).toHaveCount(0);

    // With the right one, 2FA would be turned on: the page says what that means and asks.
    await dryRun(otherPassword);
    const report = page.getByTestId("dry-run-report");
    await expect(report).toBeFocused();
    const choice = report.getByTestId("totp-choice");
    await expect(choice).toContainText("authenticator app (or a backup code) of the instance the backup came from");
    const keep = choice.getByLabel("Keep this instance's two-factor login as it is now");
    const take = choice.getByLabel("Take the backup's two-factor login");
    await expect(keep).toBeChecked();
    await expect(report.getByTestId("totp-notice")).toContainText("stay off");
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await page.getByRole("button", { name: "Restore now" }).click();
    await expect(page.getByTestId("restore-result").getByTestId("totp-notice")).toContainText("off");
    // Kept: the next login asks for the password only.
    const fresh = await browser.newContext({ baseURL: `http://127.0.0.1:${E2E_PORT}` });
    const login = await fresh.newPage();
    await goto(login, "/login");
    await expect(login.getByLabel("Two-factor code")).toHaveCount(0);
    await login.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await login.getByRole("button", { name: "Log in" }).click();
    await expect(login.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await fresh.close();

    // Taken: the report is checked again with that choice, and the next login asks for a code.
    await dryRun(otherPassword);
    await take.check();
    await expect(report.getByTestId("totp-notice")).toContainText("turned on with the backup's secret");
    await expect(take).toBeFocused();
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await page.getByRole("button", { name: "Restore now" }).click();
    await expect(page.getByTestId("restore-result").getByTestId("totp-notice")).toContainText("turned on");
    const fresh2 = await browser.newContext({ baseURL: `http://127.0.0.1:${E2E_PORT}` });
    const login2 = await fresh2.newPage();
    await goto(login2, "/login");
    await login2.getByLabel("Password", { exact: true }).fill(PASSWORD);
    // The code used at enrolment on the other instance cannot be replayed: the next step's.
    await login2.getByLabel("Two-factor code").fill(totp(secret!, Date.now() + 30_000));
    await login2.getByRole("button", { name: "Log in" }).click();
    await expect(login2.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await fresh2.close();
    // Leave this instance without 2FA for the tests that follow.
    const off = await page.request.post("/api/security/totp/disable", { data: { password: PASSWORD } });
    expect(off.ok(), await off.text()).toBeTruthy();
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
