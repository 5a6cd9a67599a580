import { test, expect, Page } from "@playwright/test";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { ensureLoggedIn, goto, screenshots } from "../support/app";

/** The page's HTML must never carry a stored secret. */
async function expectNoSecret(page: Page, secret: string): Promise<void> {
  expect(await page.content()).not.toContain(secret);
}

test("download client: refuse bad input, create, edit keeping the password, delete", async ({ page }) => {
  await ensureLoggedIn(page);
  await goto(page, "/clients");
  await page.getByRole("button", { name: "Add a client" }).click();
  await page.getByLabel("Name", { exact: true }).fill("E2E seedbox");
  await page.getByLabel("Host").fill("10.0.0.2");
  await page.getByLabel("Port").fill("70000");
  await page.getByLabel("Username").fill("e2e-admin");
  await page.getByLabel("Password", { exact: true }).fill("E2eClientPa55");
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Port" })).toContainText("from 1 to 65535");

  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Default client (used where one client is needed)").check();
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page.getByText("Saved “E2E seedbox”.")).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: "E2E seedbox" });
  await expect(row).toContainText("Default");
  await expect(row).toContainText("http://10.0.0.2:8080");
  await expectNoSecret(page, "E2eClientPa55");

  // Edit: the password is shown as stored, never as its value; kept when left empty.
  await page.getByRole("button", { name: "Edit E2E seedbox" }).click();
  await expect(page.locator("#client-password-state")).toHaveText("A value is stored. It is never shown again.");
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
  await page.getByLabel("Name", { exact: true }).fill("E2E seedbox 2");
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page.getByText("Saved “E2E seedbox 2”.")).toBeVisible();
  await expectNoSecret(page, "E2eClientPa55");

  // Delete asks first.
  await page.getByRole("button", { name: "Delete E2E seedbox 2" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("row").filter({ hasText: "E2E seedbox 2" })).toHaveCount(1);
  await page.getByRole("button", { name: "Delete E2E seedbox 2" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("Client deleted.")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "E2E seedbox 2" })).toHaveCount(0);
});

test("webhook target: create, send a test to a local receiver, see the delivery", async ({ page }) => {
  const received: { path: string; body: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await ensureLoggedIn(page);
    await goto(page, "/notifications");
    await page.getByRole("button", { name: "Add a target" }).click();
    await page.getByLabel("Name", { exact: true }).fill("E2E hook");
    await page.getByLabel("Type").selectOption({ label: "Generic webhook" });
    await page.getByLabel("Webhook URL").fill("ftp://127.0.0.1/nope");
    await page.getByRole("button", { name: "Save target" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "http://" })).toContainText("must be a web address");

    await page.getByLabel("Webhook URL").fill(`http://127.0.0.1:${port}/e2e-hook/SecretPart42`);
    await page.getByLabel("Backup failed").check();
    await page.getByRole("button", { name: "Save target" }).click();
    await expect(page.getByText("Saved “E2E hook”.")).toBeVisible();
    const row = page.getByRole("row").filter({ hasText: "E2E hook" });
    await expect(row).toContainText("Backup failed");
    await expect(row).toContainText(`http://127.0.0.1:${port}`);
    await expectNoSecret(page, "SecretPart42");

    await page.getByRole("button", { name: "Send a test to E2E hook" }).click();
    await expect(page.getByText(/Test sent at/)).toBeVisible();
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe("/e2e-hook/SecretPart42");
    expect(JSON.parse(received[0].body)).toMatchObject({ event: "test", app: "tracker-tracker" });
    const deliveries = page.getByRole("region", { name: "Recent deliveries" });
    await expect(deliveries.getByRole("row").filter({ hasText: "E2E hook" }).first()).toContainText("Sent");
  } finally {
    receiver.close();
  }
  // The receiver is down now: the test fails with a reason, recorded as failed.
  await page.getByRole("button", { name: "Send a test to E2E hook" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "was not delivered" })).toContainText(`connection refused by 127.0.0.1:${port}`);
  await expect(page.getByRole("region", { name: "Recent deliveries" }).getByRole("row").nth(1)).toContainText("Failed");
  await expectNoSecret(page, "SecretPart42");
  await screenshots(page, "notifications");
});

test("tag group and general settings forms", async ({ page }) => {
  await ensureLoggedIn(page);
  await goto(page, "/tag-groups");
  await page.getByRole("button", { name: "Add a tag group" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Content");
  await page.getByRole("button", { name: "Add a tag" }).click();
  await page.getByLabel("Tag", { exact: true }).fill("movies");
  await page.getByLabel("Colour").fill("red");
  await page.getByRole("button", { name: "Save tag group" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Colour" })).toContainText("colour like #3b82f6");
  await page.getByLabel("Colour").fill("#FF0000");
  await page.getByRole("button", { name: "Save tag group" }).click();
  await expect(page.getByRole("heading", { name: "Content" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Content" })).toContainText("movies");

  await goto(page, "/settings/general");
  await page.getByLabel("Poll interval (minutes)").fill("2");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Poll interval" })).toContainText("from 5 to 1440");
  await page.getByLabel("Poll interval (minutes)").fill("30");
  await page.getByLabel("Proxy password (optional)").fill("E2eProxyPw");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Settings saved.")).toBeVisible();
  await goto(page, "/settings/general");
  await expect(page.getByLabel("Poll interval (minutes)")).toHaveValue("30");
  await expect(page.locator("#proxy_password-state")).toHaveText("A value is stored. It is never shown again.");
  await expectNoSecret(page, "E2eProxyPw");
});
