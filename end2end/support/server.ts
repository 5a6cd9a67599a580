import { spawn, spawnSync, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The main server's port; TT_E2E_PORT moves it (two checkouts testing on one machine). */
export const E2E_PORT = Number(process.env.TT_E2E_PORT || 3100);
export const ROOT = path.resolve(__dirname, "..", "..");
/** The server under test: the release build, or the one the test command names (its dev build). */
export const BINARY = process.env.TT_E2E_BINARY || path.join(ROOT, "target", "release", "tracker-tracker");

export const chromiumLaunchOptions = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/** Shell command that starts the release server on a fresh data dir (relative to the repo root). */
export function startCommand(port: number, dataDir: string): string {
  const dir = path.join("end2end", dataDir);
  return `rm -rf ${dir} && mkdir -p ${dir} && TT_DATA_DIR=${dir} LEPTOS_SITE_ADDR=127.0.0.1:${port} ` +
    `TT_BASE_URL=http://127.0.0.1:${port} RUST_LOG=warn '${BINARY}' serve`;
}

/** A second, independent instance (another data dir, another port) for cross-instance tests. */
export class ExtraServer {
  private child?: ChildProcess;
  constructor(public port: number, public dataDir: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Fills the (fresh) data dir with generated data before the server starts. */
  generate(args: string[]): void {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.dataDir, { recursive: true });
    const r = spawnSync(BINARY, ["generate", ...args], { cwd: ROOT, env: { ...process.env, TT_DATA_DIR: this.dataDir, RUST_LOG: "warn" } });
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
    this.prepared = true;
  }

  private prepared = false;

  async start(): Promise<void> {
    if (!this.prepared) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      fs.mkdirSync(this.dataDir, { recursive: true });
    }
    this.child = spawn(BINARY, ["serve"], {
      cwd: ROOT,
      env: {
        ...process.env,
        TT_DATA_DIR: this.dataDir,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        TT_BASE_URL: this.url,
        RUST_LOG: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`${this.url}/api/auth/status`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server on port ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const done = new Promise((r) => this.child!.once("exit", r));
    this.child.kill("SIGTERM");
    await done;
    this.child = undefined;
  }
}
