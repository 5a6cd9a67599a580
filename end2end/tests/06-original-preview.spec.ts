import { test, expect, Page, Request } from "@playwright/test";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PASSWORD, ensureLoggedIn, goto, hydrated, screenshots, totp } from "../support/app";
import { expectNoUpload, isRestoreRequest, requestsDuring } from "../support/network";

// Backups of the original Tracker Tracker (the Node.js app), written by the test-only writer of
// crates/original-backup: see end2end/fixtures/README.md for the command that regenerates them.
const FIXTURES = path.join(__dirname, "..", "fixtures");
const PLAIN = path.join(FIXTURES, "original-2.8.9.json");
const TTBAK = path.join(FIXTURES, "original-2.3.0.ttbak");
const BACKUP_PASSWORD = "original backup pw 1";
// The original instance's login password, which seals the fixtures' secrets (fixtures/README.md).
const ORIGINAL_LOGIN_PASSWORD = "original login pw 1";
// The original instance's TOTP secret (base32; writer::TEST_TOTP_SECRET, fixtures/README.md).
const ORIGINAL_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const TMP = path.join(__dirname, "..", ".tmp");

type Manifest = { version: number; appVersion: string; instanceUrl?: string; createdAt: string; counts: Record<string, number> };

/** The manifest of a plain original backup, read here in Node: what the page must show. */
function plainManifest(file: string): Manifest {
  return JSON.parse(fs.readFileSync(file, "utf8")).manifest;
}

/** The payload inside an original .ttbak, decrypted here in Node as the original app does
 *  (scrypt of the password with the salt's hex text, AES-256-GCM over iv ‖ tag ‖ ciphertext):
 *  an independent check of what the page decrypts in WebAssembly. */
function ttbakPayload(file: string, password: string): any {
  const env = JSON.parse(fs.readFileSync(file, "utf8"));
  const key = crypto.scryptSync(password, env.encryptionSalt, 32, { N: 16384, r: 8, p: 1 });
  const sealed = Buffer.from(env.ciphertext, "base64");
  const d = crypto.createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(12, 28));
  const plain = Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
  return JSON.parse(plain.toString("utf8"));
}

function ttbakManifest(file: string, password: string): Manifest {
  return ttbakPayload(file, password).manifest;
}

/** An original .ttbak of `payload` in .tmp/`name`, made as the original app's
 *  encryptBackupPayload does: JSON.stringify, scrypt of the password with a fresh salt's hex
 *  text, one AES-256-GCM, base64(iv ‖ tag ‖ ct). */
function sealTtbak(payload: any, password: string, name: string): string {
  const salt = crypto.randomBytes(32).toString("hex");
  const key = crypto.scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([c.update(JSON.stringify(payload), "utf8"), c.final()]);
  const env = { format: "tracker-tracker-encrypted-backup", version: 1, createdAt: new Date().toISOString(), encryptionSalt: salt,
    ciphertext: Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64") };
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, name);
  fs.writeFileSync(file, JSON.stringify(env));
  return file;
}

/** A bigger original .ttbak: the plain fixture with `copies` times its snapshots (new ids,
 *  counts updated). */
function bigTtbak(copies: number, password: string): { file: string; manifest: Manifest } {
  const payload = JSON.parse(fs.readFileSync(PLAIN, "utf8"));
  const snaps = payload.trackerSnapshots as any[];
  let id = Math.max(...snaps.map((x) => x.id));
  const more: any[] = [];
  for (let c = 1; c < copies; c++) for (const x of snaps) more.push({ ...x, id: ++id });
  payload.trackerSnapshots = snaps.concat(more);
  payload.manifest.counts.trackerSnapshots = payload.trackerSnapshots.length;
  return { file: sealTtbak(payload, password, "original-big.ttbak"), manifest: payload.manifest };
}

/** A folder of this run for a restored backup storage path: the fixtures keep the original's
 *  default (/data/backups), which a test running as root would create on the host. */
function storeDir(): string {
  const dir = path.join(TMP, "original-store");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The preview shows the manifest: version, date, instance URL, every count, and what they are worth. */
async function expectManifestShown(page: Page, m: Manifest): Promise<void> {
  const preview = page.getByTestId("backup-preview");
  await expect(preview).toBeVisible();
  await expect(preview).toHaveAttribute("data-made-by", "original");
  await expect(page.getByTestId("made-by-original")).toContainText("made by the original Tracker Tracker");
  await expect(page.getByTestId("original-app-version")).toHaveText(`The original Tracker Tracker ${m.appVersion}`);
  // createdAt is an ISO time in UTC with milliseconds; the page shows it to the second.
  await expect(page.getByTestId("original-created")).toHaveText(m.createdAt.slice(0, 19).replace("T", " "));
  await expect(page.getByTestId("original-instance")).toHaveText(m.instanceUrl ?? "not recorded");
  expect(Object.keys(m.counts).length).toBeGreaterThan(5);
  for (const [section, n] of Object.entries(m.counts)) {
    await expect(preview.locator(`dd[data-section=${section}]`)).toHaveText(String(n));
  }
  await expect(page.getByTestId("original-counts-note")).toContainText("the original never checks them");
  await expect(page.getByTestId("original-counts-note")).toContainText("The dry run reads every record and counts for real.");
  await expect(page.getByTestId("original-secrets-note")).toContainText("sealed with the original app's login password");
  // The preview takes the focus; the dry run may now be asked for.
  await expect(page.locator("#restore-preview")).toBeFocused();
  await expect(page.getByRole("button", { name: "Check (dry run)" })).toBeEnabled();
}

test.describe.serial("Backups of the original Tracker Tracker", () => {
  test("an original .json shows its manifest at once, before any upload", async ({ page }) => {
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    const m = plainManifest(PLAIN);
    expect(m.appVersion).toBe("2.8.9");
    const requests = await requestsDuring(page, async () => {
      await page.locator("#restore-file").setInputFiles(PLAIN);
      await expectManifestShown(page, m);
      await expect(page.getByText("Read in this browser from the start of the file.", { exact: true })).toBeVisible();
      await expect(page.getByText(/not a Tracker Tracker backup/)).toHaveCount(0);
      await expect(page.getByTestId("restore-announce")).toHaveText("A backup of the original Tracker Tracker was read: what its manifest says is shown below.");
    });
    expectNoUpload(requests);
    await screenshots(page, "backups-original-json");
  });

  test("an original .ttbak asks for its password, says a wrong one, then decrypts in the browser", async ({ page }) => {
    await ensureLoggedIn(page);
    // Chromium leaves a File's bytes out of the request body it reports (playwright#6479), so
    // the File the page hands to the upload is read back here, in the page.
    await page.addInitScript(() => {
      const send = XMLHttpRequest.prototype.send;
      XMLHttpRequest.prototype.send = function (body?: Document | XMLHttpRequestBodyInit | null) {
        const file = body instanceof FormData ? body.get("file") : null;
        if (file instanceof File) (window as any).__sentFile = file.text();
        return send.call(this, body);
      };
    });
    await goto(page, "/settings/backups");
    const m = ttbakManifest(TTBAK, BACKUP_PASSWORD);
    expect(m.appVersion).toBe("2.3.0");
    const requests = await requestsDuring(page, async () => {
      await page.locator("#restore-file").setInputFiles(TTBAK);
      await expect(page.getByTestId("made-by-original")).toContainText("encrypted backup made by the original Tracker Tracker");
      const field = page.locator("#preview-password");
      await expect(field).toBeFocused();
      await expect(page.getByRole("button", { name: "Check (dry run)" })).toBeDisabled();

      // A wrong password first: said at the field, which keeps the focus; nothing is shown.
      await page.getByLabel("Backup password", { exact: true }).fill("wrong password 1");
      await page.getByRole("button", { name: "Open backup" }).click();
      await expect(page.getByRole("alert").filter({ hasText: "password is wrong" })).toBeVisible();
      await expect(field).toBeFocused();
      await expect(field).toHaveAttribute("aria-invalid", "true");
      await expect(page.locator("#preview-password-error")).toContainText(
        "The backup password is wrong: this backup of the original Tracker Tracker does not open with it.",
      );
      await expect(page.getByTestId("backup-preview")).toHaveCount(0);

      // The right one: decrypted and authenticated here, then the manifest inside is shown.
      await page.getByLabel("Backup password", { exact: true }).fill(BACKUP_PASSWORD);
      await page.getByRole("button", { name: "Open backup" }).click();
      await expectManifestShown(page, m);
      await expect(page.getByText(/Decrypted and checked in this browser: all .* of the backup are authentic\./)).toBeVisible();
      await expect(page.getByText(/password is wrong/)).toHaveCount(0);
    });
    expectNoUpload(requests);

    // Going on sends what a native file sends: the original file as it is, with its backup
    // password, for the server to decrypt. (Caught here: the server's import is not this test's.)
    let sent: Request | undefined;
    await page.route("**/api/backup/restore", async (route) => {
      sent = route.request();
      await route.abort();
    });
    await page.getByLabel("Your current login password").fill(PASSWORD);
    await page.getByRole("button", { name: "Check (dry run)" }).click();
    await expect.poll(() => sent !== undefined).toBe(true);
    const body = sent!.postDataBuffer()!;
    expect(sent!.method()).toBe("POST");
    expect(body.includes(`name="backup_password"\r\n\r\n${BACKUP_PASSWORD}\r\n`)).toBe(true);
    expect(body.includes('name="dry_run"\r\n\r\ntrue\r\n')).toBe(true);
    expect(body.includes('filename="original-2.3.0.ttbak"')).toBe(true);
    const sentFile = await page.evaluate(() => (window as any).__sentFile);
    expect(sentFile === fs.readFileSync(TTBAK, "utf8"), "the original file, byte for byte").toBe(true);
  });

  test("a multi-megabyte original .ttbak decrypts with progress, the page responsive throughout", async ({ page }) => {
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    const { file, manifest } = bigTtbak(250, BACKUP_PASSWORD);
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(8 * 1024 * 1024);
    // In the page: the longest gap between timer ticks (a frozen page stops them), and every
    // value the progress bar shows.
    await page.evaluate(() => {
      const w = window as any;
      w.__gaps = [];
      w.__progress = [];
      let last = performance.now();
      w.__ticker = setInterval(() => {
        const now = performance.now();
        w.__gaps.push(now - last);
        last = now;
        const bar = document.querySelector("#decrypt-progress");
        if (bar) w.__progress.push(bar.getAttribute("value"));
      }, 10);
    });
    const started = Date.now();
    const requests = await requestsDuring(page, async () => {
      await page.locator("#restore-file").setInputFiles(file);
      await page.getByLabel("Backup password", { exact: true }).fill(BACKUP_PASSWORD);
      await page.getByRole("button", { name: "Open backup" }).click();
      const preview = page.getByTestId("backup-preview");
      await expect(preview).toBeVisible({ timeout: 60_000 });
      await expect(preview.locator("dd[data-section=trackerSnapshots]")).toHaveText(String(manifest.counts.trackerSnapshots));
    });
    const elapsed = Date.now() - started;
    expectNoUpload(requests);
    const { gaps, progress } = await page.evaluate(() => {
      const w = window as any;
      clearInterval(w.__ticker);
      return { gaps: w.__gaps as number[], progress: w.__progress as string[] };
    });
    const longest = Math.max(...gaps);
    console.log(`original .ttbak of ${(size / 1048576).toFixed(1)} MiB decrypted in the browser in ${elapsed} ms; longest pause of the page ${longest.toFixed(0)} ms`);
    // The key derivation is one step of its own; every other step is a 1 MiB slice.
    expect(longest).toBeLessThan(1000);
    const shown = [...new Set(progress)].map(Number);
    expect(shown.filter((v) => v > 0 && v < 100).length, `progress values shown: ${shown}`).toBeGreaterThan(3);
  });
  test("an original .json is checked and restored through the page: its report, then its trackers", async ({ page }) => {
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    // The fixture with its storage path moved to a folder of this run (see storeDir).
    const payload = JSON.parse(fs.readFileSync(PLAIN, "utf8"));
    payload.settings.backupStoragePath = storeDir();
    const file = path.join(TMP, "original-2.8.9-restore.json");
    fs.writeFileSync(file, JSON.stringify(payload));
    const names = (payload.trackers as any[]).map((t) => t.name).sort();
    await page.locator("#restore-file").setInputFiles(file);
    await expect(page.getByTestId("backup-preview")).toBeVisible();
    await page.getByLabel("Your current login password").fill(PASSWORD);
    await page.getByLabel("Login password of the instance this came from (optional)").fill(ORIGINAL_LOGIN_PASSWORD);
    await page.getByRole("button", { name: "Check (dry run)" }).click();
    const report = page.getByTestId("dry-run-report");
    await expect(report).toContainText("Will restore");
    await expect(report).toBeFocused();
    // The original's own part of the report, from the server: per section of its file, the
    // secrets opened with the given source password, and what behaves differently here.
    const original = report.getByTestId("original-report");
    await expect(original).toContainText(`From the original Tracker Tracker ${payload.manifest.appVersion}`);
    await expect(original.getByTestId("original-sections").locator('li[data-section="trackers"]')).toHaveText(
      `trackers: ${names.length} → ${names.length} carried, 0 skipped`,
    );
    await expect(original.getByTestId("original-sections").locator('li[data-section="trackerSnapshots"]')).toHaveText(
      `trackerSnapshots: ${payload.trackerSnapshots.length} → ${payload.trackerSnapshots.length} carried, 0 skipped`,
    );
    await expect(original.getByTestId("original-secrets")).toContainText("They opened with the login password you gave for the original instance.");
    await expect(original.getByTestId("original-behaviour")).toContainText("Sundays");
    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await page.getByRole("button", { name: "Restore now" }).click();
    const result = page.getByTestId("restore-result");
    await expect(result).toContainText("Restore complete");
    await expect(result.getByTestId("original-report")).toBeVisible();
    const r = await page.request.get("/api/trackers/list");
    expect(((await r.json()) as any[]).map((t) => t.config.name).sort()).toEqual(names);
    await screenshots(page, "backups-original-restored");
  });
});

test.describe.serial("An original .ttbak restored through the page", () => {
  test("counts before any upload, dry run, restore, its trackers' history charts, then its 2FA at the next login", async ({ page }) => {
    await ensureLoggedIn(page);
    await goto(page, "/settings/backups");
    // The writer's 2.3.0 .ttbak with its storage path moved to a folder of this run (see
    // storeDir), sealed again as the original app does.
    const payload = ttbakPayload(TTBAK, BACKUP_PASSWORD);
    payload.settings.backupStoragePath = storeDir();
    const file = sealTtbak(payload, BACKUP_PASSWORD, "original-2.3.0-restore.ttbak");
    const trackers = payload.trackers as any[];
    const snapshots = payload.trackerSnapshots as any[];
    expect(trackers.length).toBeGreaterThan(1);

    // Chosen and opened with its backup password: the counts are shown before anything is sent.
    const opening = await requestsDuring(page, async () => {
      await page.locator("#restore-file").setInputFiles(file);
      await expect(page.locator("#preview-password")).toBeFocused();
      await page.getByLabel("Backup password", { exact: true }).fill(BACKUP_PASSWORD);
      await page.getByRole("button", { name: "Open backup" }).click();
      await expectManifestShown(page, payload.manifest);
    });
    expectNoUpload(opening);

    // The dry run, with the original's login password for its secrets: one upload, nothing changed.
    const before = ((await (await page.request.get("/api/trackers/list")).json()) as any[]).map((t) => t.config.name).sort();
    const report = page.getByTestId("dry-run-report");
    const checking = await requestsDuring(
      page,
      async () => {
        await page.getByLabel("Your current login password").fill(PASSWORD);
        await page.getByLabel("Login password of the instance this came from (optional)").fill(ORIGINAL_LOGIN_PASSWORD);
        await page.getByRole("button", { name: "Check (dry run)" }).click();
        await expect(report).toContainText("Will restore");
      },
      isRestoreRequest,
    );
    expect(checking.map((r) => `${r.method()} ${new URL(r.url()).pathname}`)).toEqual(["POST /api/backup/restore"]);
    expect(((await (await page.request.get("/api/trackers/list")).json()) as any[]).map((t) => t.config.name).sort()).toEqual(before);
    await expect(report).toBeFocused();
    const original = report.getByTestId("original-report");
    await expect(original).toContainText(`From the original Tracker Tracker ${payload.manifest.appVersion}`);
    const sections = original.getByTestId("original-sections");
    await expect(sections.locator('li[data-section="trackers"]')).toHaveText(`trackers: ${trackers.length} → ${trackers.length} carried, 0 skipped`);
    await expect(sections.locator('li[data-section="trackerSnapshots"]')).toHaveText(
      `trackerSnapshots: ${snapshots.length} → ${snapshots.length} carried, 0 skipped`,
    );
    await expect(original.getByTestId("original-secrets")).toContainText("They opened with the login password you gave for the original instance.");
    // The original's two-factor secret opened with that password: taking it is offered.
    const take = report.getByTestId("totp-choice").getByLabel("Take the backup's two-factor login");
    await take.check();
    await expect(report.getByTestId("totp-notice")).toContainText("turned on with the backup's secret");

    await page.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
    await page.getByRole("button", { name: "Restore now" }).click();
    const result = page.getByTestId("restore-result");
    await expect(result).toContainText("Restore complete");
    await expect(result.getByTestId("totp-notice")).toContainText("turned on");

    // Every tracker, and on its page the chart of its imported history: one point per snapshot
    // (far fewer than the chart's 500, so none is left out), from its first day to its last.
    await goto(page, "/trackers");
    for (const t of trackers) await expect(page.getByRole("link", { name: t.name, exact: true })).toBeVisible();
    for (const t of trackers) {
      const own = snapshots.filter((s) => s.trackerId === t.id).map((s) => s.polledAt as string).sort();
      expect(own.length).toBeGreaterThan(1);
      await goto(page, "/trackers");
      await page.getByRole("link", { name: t.name, exact: true }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(new RegExp(`${t.name}$`));
      const chart = page.getByTestId("upload-chart");
      await expect(chart).toBeVisible();
      const [first, last] = [own[0].slice(0, 10), own[own.length - 1].slice(0, 10)];
      await expect(chart).toHaveAttribute("aria-label", new RegExp(`^Upload and download: from ${first} to ${last}, uploaded grew from `));
      const lines = chart.locator("path");
      await expect(lines).toHaveCount(2);
      for (const d of [await lines.nth(0).getAttribute("d"), await lines.nth(1).getAttribute("d")]) {
        expect(d!.match(/[ML]/g)!.length, `points of ${t.name}'s chart`).toBe(own.length);
      }
      await expect(page.getByText(`1–25 of ${own.length}`, { exact: true })).toBeVisible();
    }
    await screenshots(page, "tracker-original-history");

    // The next login asks for a code of the original's authenticator; the login password stays.
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await hydrated(page);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    // A code of another time step is refused...
    await page.getByLabel("Two-factor code").fill(totp(ORIGINAL_TOTP_SECRET, Date.now() - 10 * 60_000));
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Incorrect password or code." })).toBeVisible();
    // ...and the one computed now from the original's secret lets the person in.
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Two-factor code").fill(totp(ORIGINAL_TOTP_SECRET));
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

    // Leave this instance without 2FA for the tests that follow.
    const off = await page.request.post("/api/security/totp/disable", { data: { password: PASSWORD } });
    expect(off.ok(), await off.text()).toBeTruthy();
  });
});
