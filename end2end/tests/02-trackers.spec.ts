import { test, expect } from "@playwright/test";
import { ensureLoggedIn, goto, screenshots } from "../support/app";

test("create a tracker with a token, add a manual snapshot, see it in the history", async ({ page }) => {
  await ensureLoggedIn(page);
  await page.getByRole("link", { name: "Trackers" }).click();
  await expect(page.getByRole("heading", { name: "Trackers", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Add a tracker" }).click();

  // Bad input is refused with a message.
  await page.getByLabel("Name").fill("E2E Tracker");
  await page.getByLabel("Base URL").fill("ftp://tracker.example");
  await page.getByRole("button", { name: "Save tracker" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "http:// or https://" })).toBeVisible();

  await page.getByLabel("Base URL").fill("https://tracker.example");
  await page.getByLabel("API token").fill("e2e-secret-token");
  await screenshots(page, "tracker-form");
  await page.getByRole("button", { name: "Save tracker" }).click();
  await expect(page.getByText("Saved “E2E Tracker”.")).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: "E2E Tracker" });
  await expect(row.getByText("Set")).toBeVisible();
  // The token is never sent back to the browser.
  expect(await page.content()).not.toContain("e2e-secret-token");

  await row.getByRole("link", { name: "E2E Tracker" }).click();
  await expect(page.getByRole("heading", { name: "E2E Tracker" })).toBeVisible();
  await page.getByLabel("Uploaded").fill("1.5 TiB");
  await page.getByLabel("Downloaded").fill("500 GiB");
  await page.getByLabel("Seeding", { exact: true }).fill("42");
  await page.getByRole("button", { name: "Add snapshot" }).click();
  await expect(page.getByText("Snapshot added")).toBeVisible();
  const history = page.getByTestId("snapshot-row");
  await expect(history).toHaveCount(1);
  await expect(history.first()).toContainText("1.50 TiB");
  await expect(history.first()).toContainText("500.00 GiB");
  await expect(history.first()).toContainText("42");
  await expect(history.first()).toContainText("manual");

  // A second snapshot draws the chart.
  await page.getByLabel("Uploaded").fill("1.6 TiB");
  await page.getByLabel("Downloaded").fill("510 GiB");
  await page.getByRole("button", { name: "Add snapshot" }).click();
  await expect(history).toHaveCount(2);
  await expect(page.getByTestId("upload-chart")).toBeVisible();
  await screenshots(page, "tracker-detail");

  // After a reload the history is still there (it is stored, not just shown).
  await goto(page, page.url());
  await expect(page.getByTestId("snapshot-row")).toHaveCount(2);
});
