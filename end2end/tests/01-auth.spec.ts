import { test, expect } from "@playwright/test";
import { PASSWORD, ensureLoggedIn, goto, hydrated, totp } from "../support/app";
import { E2E_PORT, ExtraServer, ROOT } from "../support/server";
import * as fs from "node:fs";
import * as path from "node:path";
import * as http from "node:http";

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
  // Setting it up needs the password: a wrong one is refused.
  await page.getByLabel("Current password (to set up two-factor login)").fill("not the password");
  await page.getByRole("button", { name: "Set up two-factor login" }).click();
  await expect(page.getByRole("region", { name: "Two-factor login" }).getByRole("alert")).toContainText("Incorrect password or code.");
  await page.getByLabel("Current password (to set up two-factor login)").fill(PASSWORD);
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

test("a form on another app of the same host cannot change settings (CSRF)", async ({ page }) => {
  await ensureLoggedIn(page);
  const before = await (await page.request.get("/api/security/overview")).json();
  // Another web app on the same host, another port: the same "site", so Chromium sends the
  // SameSite=Strict session cookie with its form posts. The classic text/plain form that smuggles
  // a JSON body into the API.
  const attackerPage = `<!doctype html><html><body>
    <form id="f" method="POST" enctype="text/plain" action="http://127.0.0.1:${E2E_PORT}/api/security/settings">
      <input name='{"input":{"session_timeout_minutes":60,"lockout_threshold":99,"lockout_minutes":1},"x":"' value='"}'>
    </form><script>document.getElementById("f").submit()</script></body></html>`;
  const attacker = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(attackerPage);
  });
  await new Promise<void>((resolve) => attacker.listen(3196, "127.0.0.1", resolve));
  try {
    const posted = page.waitForResponse((r) => r.url().endsWith("/api/security/settings") && r.request().method() === "POST");
    await page.goto("http://127.0.0.1:3196/");
    const res = await posted;
    const sent = await res.request().allHeaders();
    expect(sent["cookie"] ?? "", "the browser did send the session cookie").toContain("tt_session=");
    expect(sent["sec-fetch-site"]).toBe("same-site");
    expect(res.status()).toBe(403);
    expect((await res.json()).kind).toBe("forbidden");
  } finally {
    attacker.close();
  }
  const after = await (await page.request.get("/api/security/overview")).json();
  expect(after.settings).toEqual(before.settings);
  expect(after.settings.lockout_threshold).not.toBe(99);
});

test("the browser bundle is sent brotli-compressed from the build's .br file", async ({ page }) => {
  // The main module (the page's lazy chunks are small files of their own).
  const wasm = page.waitForResponse((r) => r.url().endsWith("/pkg/tracker-tracker.wasm"));
  await goto(page, "/login");
  const res = await wasm;
  expect(res.headers()["content-encoding"]).toBe("br");
  expect(res.headers()["content-type"]).toBe("application/wasm");
  const sent = (await res.request().sizes()).responseBodySize;
  // Exactly the build's brotli-11 file, not a compression made on the fly.
  expect(sent).toBe(fs.statSync(path.join(ROOT, "target", "site", "pkg", "tracker-tracker.wasm.br")).size);
  expect((await res.body()).length).toBe(fs.statSync(path.join(ROOT, "target", "site", "pkg", "tracker-tracker.wasm")).size);
  await hydrated(page);
});
