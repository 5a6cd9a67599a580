import { test, expect } from "@playwright/test";
import { ensureLoggedIn, goto } from "../support/app";

// At phone width (390×844) the navigation takes its own height only (it used to take the spare
// height of short pages: the Dashboard heading started at y≈633), wide tables become labelled
// cards, and nothing makes the page scroll sideways.
test("phone width: each page starts near the top, tables are cards, nothing scrolls sideways", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await ensureLoggedIn(page);
  for (const [url, heading] of [
    ["/", "Dashboard"],
    ["/trackers", "Trackers"],
    ["/notifications", "Notifications"],
    ["/settings/backups", "Backups"],
  ]) {
    await goto(page, url);
    const box = await page.getByRole("heading", { name: heading, level: 1 }).boundingBox();
    expect(box, `${url}: heading`).not.toBeNull();
    expect(box!.y, `${url}: the heading starts near the top`).toBeLessThan(260);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${url}: no sideways scrolling`).toBeLessThanOrEqual(390);
  }
  // A table row is a card: each cell on its own line, with its column's name.
  await goto(page, "/trackers");
  const cell = page.locator("table.stack td[data-label]").first();
  await expect(cell).toBeVisible();
  expect(await cell.evaluate((el) => getComputedStyle(el).display)).toBe("block");
  expect(await cell.evaluate((el) => getComputedStyle(el, "::before").content)).not.toBe("none");

  // The tracker chart (drawn by 02-trackers) fits the screen and its labels stay readable.
  await page.getByRole("link", { name: "E2E Tracker" }).first().click();
  const chart = page.getByTestId("upload-chart");
  await expect(chart).toBeVisible();
  expect((await chart.boundingBox())!.width, "the chart fits the screen").toBeLessThanOrEqual(390);
  const label = chart.locator("text").first();
  expect((await label.boundingBox())!.height, "its axis labels are drawn at least 9 px tall").toBeGreaterThanOrEqual(9);
});
