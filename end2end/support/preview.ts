import { Page, expect, request as playwrightRequest } from "@playwright/test";
import * as fs from "node:fs";
import { ExtraServer } from "./server";

/** A native .ttbak of a generated instance (`generateArgs` for `tracker-tracker generate`),
 *  exported through the API with the one-off backup password `backupPassword` into `file`. */
export async function generatedTtbak(server: ExtraServer, generateArgs: string[], loginPassword: string, backupPassword: string, file: string): Promise<void> {
  server.generate([...generateArgs, "--password", loginPassword]);
  await server.start();
  try {
    const api = await playwrightRequest.newContext({ baseURL: server.url });
    const login = await api.post("/api/auth/login", { data: { password: loginPassword, code: null } });
    expect(login.ok(), await login.text()).toBeTruthy();
    const r = await api.post("/api/backup/export", { form: { password: backupPassword }, timeout: 600_000 });
    expect(r.ok(), `export: HTTP ${r.status()}`).toBeTruthy();
    fs.writeFileSync(file, await r.body());
    await api.dispose();
  } finally {
    await server.stop();
  }
}

/** What one preview of a .ttbak in the page measured. */
export type PreviewRun = {
  bytes: number;
  /** The worker's figures (the preview's timing note): key derivation, reads, all of it. */
  kdfMs: number;
  readMs: number;
  totalMs: number;
  /** From the click on "Open backup" to the preview shown. */
  wallMs: number;
  /** Every long task (> 50 ms) of the page from the file's choice to the preview, in ms. */
  longTasks: number[];
};

/** Chooses `file` on the Backups page (already open), opens it with `password` and waits for the
 *  preview, recording the page's long tasks throughout; `during` runs while it decrypts. */
export async function previewTtbak(page: Page, file: string, password: string, during?: () => Promise<void>): Promise<PreviewRun> {
  await page.evaluate(() => {
    const w = window as any;
    w.__longTasks = [];
    w.__longTaskObserver?.disconnect();
    w.__longTaskObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    });
    w.__longTaskObserver.observe({ type: "longtask" });
  });
  await page.locator("#restore-file").setInputFiles(file);
  await page.getByLabel("Backup password", { exact: true }).fill(password);
  const started = Date.now();
  await page.getByRole("button", { name: "Open backup" }).click();
  if (during) await during();
  const timing = page.getByTestId("preview-timing");
  await expect(timing).toBeVisible({ timeout: 600_000 });
  const wallMs = Date.now() - started;
  const ms = async (name: string) => Number(await timing.getAttribute(`data-${name}-ms`));
  const run: PreviewRun = {
    bytes: fs.statSync(file).size,
    kdfMs: await ms("kdf"),
    readMs: await ms("read"),
    totalMs: await ms("total"),
    wallMs,
    longTasks: [],
  };
  // A long task is reported once it ended: give the observer a frame to deliver the last ones.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  run.longTasks = await page.evaluate(() => {
    const w = window as any;
    w.__longTaskObserver.disconnect();
    return w.__longTasks as number[];
  });
  return run;
}

/** MB (10^6 bytes) of file per second of checking, the key derivation apart. */
export function mbPerSecond(run: PreviewRun): number {
  return run.bytes / 1e6 / ((run.totalMs - run.kdfMs) / 1000);
}

export function describeRun(run: PreviewRun): string {
  const longest = run.longTasks.length ? Math.max(...run.longTasks).toFixed(0) : "0";
  return (
    `${(run.bytes / 1e6).toFixed(1)} MB .ttbak: key derivation ${run.kdfMs.toFixed(0)} ms, checked in ${run.totalMs.toFixed(0)} ms ` +
    `(reads ${run.readMs.toFixed(0)} ms; ${mbPerSecond(run).toFixed(1)} MB/s without the key derivation, ` +
    `${(run.bytes / 1e6 / (run.totalMs / 1000)).toFixed(1)} MB/s with it); ${run.wallMs} ms from the click; ` +
    `${run.longTasks.length} long tasks on the page, the longest ${longest} ms`
  );
}
