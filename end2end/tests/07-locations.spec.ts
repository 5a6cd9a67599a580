import { test, expect, Page } from "@playwright/test";
import { PASSWORD, ensureLoggedIn, goto, screenshots } from "../support/app";
import { ExtraServer } from "../support/server";

// Off-site backup locations against the S3 server the test services start (scripts/services.sh:
// moto on loopback, TT_TEST_S3_*). Instance A adds the location, tests it and runs a backup that
// is copied there and verified; a second, fresh instance B adds the same location, sees the
// backup and restores it.
const S3 = {
  endpoint: process.env.TT_TEST_S3_ENDPOINT,
  region: process.env.TT_TEST_S3_REGION,
  bucket: process.env.TT_TEST_S3_BUCKET,
  key: process.env.TT_TEST_S3_ACCESS_KEY_ID,
  secret: process.env.TT_TEST_S3_SECRET_KEY,
};
const STORE = "/tmp/tt-e2e-locations-a";
const BACKUP_PASSWORD = "e2e backup password";
// A prefix of its own per run: earlier runs' objects in the bucket do not count.
const PREFIX = `e2e-${Date.now()}`;
const TRACKER = `Location tracker ${Date.now()}`;

/** Fills the add-location form for the moto bucket (the form must be open). */
async function fillS3(page: Page, name: string): Promise<void> {
  const form = page.getByTestId("location-form");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Endpoint URL").fill(S3.endpoint!);
  await form.getByLabel("Region").fill(S3.region!);
  await form.getByLabel("Bucket").fill(S3.bucket!);
  await form.getByLabel("Key prefix").fill(PREFIX);
  await form.getByLabel("Access key id").fill(S3.key!);
  await form.getByLabel("Secret key").fill(S3.secret!);
  await form.getByLabel(/^Path-style addressing/).check();
  // Encryption is required by default.
  await expect(form.getByLabel(/^Require encryption/)).toBeChecked();
}

test.describe.serial("Backup locations", () => {
  // Without the test services this is skipped, except under CI (where it must run).
  test.skip(!(S3.endpoint && S3.secret) && !process.env.CI, "needs the test services (scripts/test.sh, or scripts/services.sh around the command)");

  test("add an S3 location, test it, run a backup verified there, restore it on a fresh instance", async ({ page, browser }) => {
    await ensureLoggedIn(page);
    // Preconditions by the API: a storage path, encryption with a backup password, a tracker to find again.
    const settings = await page.request.post("/api/backup/settings", {
      data: { input: { settings: { schedule_enabled: false, frequency: "daily", retention_count: 14, encrypt: true, storage_path: STORE },
        backup_password: { value: BACKUP_PASSWORD, clear: false } } },
    });
    expect(settings.ok(), await settings.text()).toBeTruthy();
    const tracker = await page.request.post("/api/trackers/save", {
      data: { input: { id: null, config: { name: TRACKER, base_url: "https://e2e.example", platform: "unit3d", api_path: "", color: "#123456",
        client_tag: null, is_active: true, is_favorite: false, sort_order: 0, joined_at: null }, api_token: { value: "tok-e2e", clear: false } } },
    });
    expect(tracker.ok(), await tracker.text()).toBeTruthy();

    await goto(page, "/settings/backups");
    const section = page.getByRole("region", { name: "Locations", exact: true });
    await expect(section.getByTestId("local-location")).toContainText(STORE);
    await section.getByRole("button", { name: "Add a location" }).click();
    // A field error is said next to its field and the field points to it.
    const form = page.getByTestId("location-form");
    await form.getByLabel("Name").fill("Moto");
    await form.getByLabel("Endpoint URL").fill("not a url");
    await form.getByRole("button", { name: "Save" }).click();
    const endpoint = form.locator("#loc-endpoint");
    await expect(endpoint).toHaveAttribute("aria-invalid", "true");
    await expect(endpoint).toHaveAttribute("aria-describedby", /\bloc-endpoint-error\b/);
    await expect(endpoint).toBeFocused();

    await fillS3(page, "Moto");
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByTestId("connection-test-message")).toHaveText(
      new RegExp(`^Connected to .*${S3.bucket}.*: listed it, wrote a test object, read it back and deleted it\\.$`),
    );
    await form.getByRole("button", { name: "Save" }).click();
    await expect(section.getByTestId("locations-notice")).toHaveText("Saved the location “Moto”.");
    const location = section.getByTestId("location").filter({ hasText: "Moto" });
    await expect(location).toContainText("Encrypted copies only.");
    // The secret is never sent back: editing shows only that one is stored.
    await location.getByRole("button", { name: "Edit Moto" }).click();
    await expect(page.locator("#loc-secret-key")).toHaveValue("");
    await expect(page.locator("#loc-secret-key-state")).toHaveText("A value is stored. It is never shown again.");
    await page.getByTestId("location-form").getByRole("button", { name: "Cancel" }).click();

    // Run now: the backup is written here, then copied to the location and verified there.
    await page.getByRole("button", { name: "Run a scheduled backup now" }).click();
    const row = page.getByTestId("history-row").first();
    await expect(row.getByTestId("history-copy")).toHaveText("Moto: Uploaded and verified", { timeout: 60_000 });
    const fileName = (await row.locator("td.history-file code").first().textContent())!.trim();
    expect(fileName).toMatch(/^tracker-tracker-backup-\d{8}T\d{6}Z(-\d+)?\.ttbak$/);
    // The copy can be read back again there; the backup can be pinned.
    await row.getByRole("button", { name: "Verify the copy in Moto" }).click();
    await expect(page.getByTestId("history-notice")).toHaveText("The copy in Moto was read back whole: it matches.");
    await page.getByTestId("history-row").first().getByRole("button", { name: `Pin ${fileName}` }).click();
    await expect(page.getByTestId("history-notice")).toHaveText(`Pinned ${fileName}: retention never deletes it, here or in any location.`);
    await expect(page.getByTestId("history-row").first().getByRole("button", { name: `Unpin ${fileName}` })).toHaveAttribute("aria-pressed", "true");

    // Two more runs: three copies there, the first one pinned.
    const names = [fileName];
    for (let i = 0; i < 2; i++) {
      await page.getByRole("button", { name: "Run a scheduled backup now" }).click();
      const newest = page.getByTestId("history-row").first();
      await expect(newest.locator("td.history-file code").first()).not.toHaveText(names[names.length - 1]);
      await expect(newest.getByTestId("history-copy")).toHaveText("Moto: Uploaded and verified", { timeout: 60_000 });
      names.push((await newest.locator("td.history-file code").first().textContent())!.trim());
    }
    const [pinned, middle, newest] = names;

    // A new retention policy: before it is saved, its preview says which backups it would delete
    // there (the middle one: the newest is kept by the policy, the first one by its pin).
    await section.getByRole("button", { name: "Edit Moto" }).click();
    const edit = page.getByTestId("location-form");
    await edit.getByLabel("Backups to keep (1–365)").fill("1");
    await edit.getByRole("button", { name: "Preview what this policy deletes" }).click();
    const preview = edit.getByTestId("retention-preview");
    await expect(preview).toContainText("This policy (the last 1) would delete 1 of the 3 backups there at the next run:");
    // The list right under the sentence is what goes; the kept ones are folded away below it.
    await expect(preview.locator(":scope > ul > li code")).toHaveText([middle]);
    await expect(preview.locator("details li code")).toHaveText([newest, pinned]);
    // A calendar policy on the storage path too, previewed the same way.
    const config = page.getByRole("region", { name: /^Configuration/ });
    await config.getByLabel("Retention on this server").selectOption("calendar");
    await config.getByLabel("Days with one each (0–366)").fill("7");
    await config.getByRole("button", { name: "Preview what this policy deletes" }).click();
    await expect(config.getByTestId("retention-preview")).toContainText("deletes none of the 3 backups there now.");
    await config.getByRole("button", { name: "Discard changes" }).click();
    // Its preview seen, the policy saves.
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(section.getByTestId("locations-notice")).toHaveText("Saved the location “Moto”.");
    await expect(section.getByTestId("location").filter({ hasText: "Moto" })).toContainText("Keeps the last 1.");
    // The next run applies it there: the middle one and the one before this run are gone from the
    // bucket (read through the location's listing, which lists the bucket itself), the pinned and
    // the newest stay.
    await page.getByRole("button", { name: "Run a scheduled backup now" }).click();
    const latest = page.getByTestId("history-row").first();
    await expect(latest.locator("td.history-file code").first()).not.toHaveText(newest);
    await expect(latest.getByTestId("history-copy")).toHaveText("Moto: Uploaded and verified", { timeout: 60_000 });
    const last = (await latest.locator("td.history-file code").first().textContent())!.trim();
    const locations = await (await page.request.get("/api/backup/locations")).json();
    const id = locations.find((l: { settings: { name: string } }) => l.settings.name === "Moto").id;
    const held = await page.request.get(`/api/backup/locations/backups?id=${id}`);
    expect(held.ok(), await held.text()).toBeTruthy();
    const there = ((await held.json()) as { file_name: string }[]).map((b) => b.file_name).sort();
    expect(there).toEqual([pinned, last].sort());
    await section.getByRole("button", { name: "Show the backups in Moto" }).click();
    await expect(section.getByTestId("held-backup")).toHaveCount(2);
    await section.getByRole("button", { name: "Edit Moto" }).click();
    await screenshots(page, "backups-locations");
    await page.getByTestId("location-form").getByRole("button", { name: "Cancel" }).click();

    // A fresh instance: set a password, add the same location, see the backup there, restore it.
    const b = new ExtraServer(3196, "/tmp/tt-e2e-locations-b");
    await b.start();
    try {
      const ctx = await browser.newContext({ baseURL: b.url });
      const p2 = await ctx.newPage();
      await ensureLoggedIn(p2);
      await goto(p2, "/settings/backups");
      const s2 = p2.getByRole("region", { name: "Locations", exact: true });
      await s2.getByRole("button", { name: "Add a location" }).click();
      await fillS3(p2, "Moto");
      await p2.getByTestId("location-form").getByRole("button", { name: "Save" }).click();
      await expect(s2.getByTestId("locations-notice")).toHaveText("Saved the location “Moto”.");
      await s2.getByRole("button", { name: "Show the backups in Moto" }).click();
      const held = s2.getByTestId("held-backup").filter({ hasText: fileName });
      await expect(held).toHaveCount(1);
      await expect(held).toContainText("Encrypted");
      // An encrypted backup's header is inside the encryption: another instance cannot read who wrote it.
      await expect(held).toContainText("Unknown (encrypted; written by another instance)");
      await held.getByRole("button", { name: `Restore ${fileName}` }).click();

      const restore = p2.getByRole("region", { name: "Restore", exact: true });
      await expect(restore.getByTestId("restore-remote-source")).toContainText(fileName);
      await p2.getByLabel("Your current login password").fill(PASSWORD);
      await p2.getByLabel("Backup password (if not the stored one)").fill(BACKUP_PASSWORD);
      await p2.getByRole("button", { name: "Check (dry run)" }).click();
      const report = p2.getByTestId("dry-run-report");
      await expect(report).toBeFocused();
      await expect(p2.getByTestId("restore-announce")).toHaveText("Dry run done: nothing changed yet. What the restore will do is shown below.");
      await p2.getByLabel("Type RESTORE to replace all current data with this backup").fill("RESTORE");
      await p2.getByRole("button", { name: "Restore now" }).click();
      await expect(p2.getByTestId("restore-result")).toBeVisible({ timeout: 60_000 });
      await expect(p2.getByTestId("restore-announce")).toHaveText("Restore complete.");

      // The restored data: the tracker of instance A, and the location it had.
      await goto(p2, "/");
      await expect(p2.getByText(TRACKER).first()).toBeVisible();
      await goto(p2, "/settings/backups");
      await expect(p2.getByRole("region", { name: "Locations", exact: true }).getByTestId("location").filter({ hasText: "Moto" })).toHaveCount(1);
      await ctx.close();
    } finally {
      await b.stop();
    }
  });
});
