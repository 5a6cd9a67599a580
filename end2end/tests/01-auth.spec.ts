import { test, expect } from "@playwright/test";
import { PASSWORD, ensureLoggedIn, goto, hydrated, totp } from "../support/app";
import { ExtraServer } from "../support/server";

test("setup → login → logout", async ({ page }) => {
  await goto(page, "/");
  await expect(page).toHaveURL(/\/setup$/);
  // Bad input gets a message and nothing happens.
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("short");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 10 characters");

  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await hydrated(page);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);

  // Protected pages send you to the login page.
  await goto(page, "/settings/security");
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel("Password", { exact: true }).fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Incorrect password or code.");

  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
});

test("enrol TOTP, log out, log in with a code, turn it off", async ({ page }) => {
  await ensureLoggedIn(page);
  await page.getByRole("link", { name: "Security" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor login" })).toBeVisible();
  await page.getByRole("button", { name: "Set up two-factor login" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  await expect(page.getByRole("img", { name: "QR code of the two-factor secret" })).toBeVisible();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByTestId("backup-codes").locator("li")).toHaveCount(10);
  await expect(page.getByText("Two-factor login is on")).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  // The code used at enrolment cannot be replayed: use the next step's code.
  await page.getByLabel("Two-factor code").fill(totp(secret, Date.now() + 30_000));
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // Turn it off again so the other tests log in with the password alone.
  await goto(page, "/settings/security");
  await page.getByLabel("Current password (to change two-factor settings)").fill(PASSWORD);
  await page.getByRole("button", { name: "Turn off two-factor login" }).click();
  await expect(page.getByText("Two-factor login is off")).toBeVisible();
});

test("locked out after repeated failures", async ({ page }) => {
  // Its own instance, so the lock does not get in the way of the other tests.
  const server = new ExtraServer(3199, "/tmp/tt-e2e-lockout");
  await server.start();
  try {
    await goto(page, `${server.url}/`);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Set password" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await hydrated(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await hydrated(page);
    for (let i = 0; i < 4; i++) {
      await page.getByLabel("Password", { exact: true }).fill(`wrong password ${i}`);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page.getByRole("alert")).toContainText("Incorrect password or code.");
    }
    await page.getByLabel("Password", { exact: true }).fill("wrong password 5");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toContainText("Too many failed attempts");
    // Even the right password is refused while locked.
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toContainText("Too many failed attempts");
    await expect(page).toHaveURL(/\/login$/);
  } finally {
    await server.stop();
  }
});

test("the browser bundle is sent brotli-compressed from the build's .br file", async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith(".wasm"));
  await goto(page, "/login");
  const res = await wasm;
  expect(res.headers()["content-encoding"]).toBe("br");
  expect(res.headers()["content-type"]).toBe("application/wasm");
  const sent = (await res.request().sizes()).responseBodySize;
  const size = (await res.body()).length;
  // Brotli 11 takes the bundle to about a quarter; on-the-fly compression gets about a third.
  expect(sent).toBeLessThan(size * 0.3);
  await hydrated(page);
});
