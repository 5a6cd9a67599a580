import { Page, expect } from "@playwright/test";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const PASSWORD = "e2e password 12345";

/** Waits until the browser bundle has hydrated the page (the app sets data-hydrated on <body>). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1, { timeout: 30_000 });
}

export async function goto(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await hydrated(page);
}

/** Sets the password on first run, or logs in; ends on the dashboard. */
export async function ensureLoggedIn(page: Page, password = PASSWORD): Promise<void> {
  await goto(page, "/");
  if (page.url().endsWith("/setup")) {
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Repeat the password").fill(password);
    await page.getByRole("button", { name: "Set password" }).click();
  } else if (page.url().endsWith("/login")) {
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
  }
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await hydrated(page);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) — what an authenticator app shows. */
export function totp(secretBase32: string, atMs = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretBase32.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const bytes = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const h = crypto.createHmac("sha1", bytes).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return (n % 1_000_000).toString().padStart(6, "0");
}

/** Full-page screenshots (desktop, phone width, dark scheme) into end2end/screenshots (git-ignored);
 *  checks that the page fits the phone's width. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const dir = path.join(__dirname, "..", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(dir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(dir, `${name}-phone.png`), fullPage: true });
  // At phone width nothing makes the page scroll sideways (wide tables scroll in their card).
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(dir, `${name}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 720 });
}
