import { expect, Page, Request } from "@playwright/test";

/** Every request the page makes while `body` runs (the browser's network log), or only those
 *  `keep` accepts. */
export async function requestsDuring(page: Page, body: () => Promise<void>, keep: (r: Request) => boolean = () => true): Promise<Request[]> {
  const seen: Request[] = [];
  const listener = (r: Request) => {
    if (keep(r)) seen.push(r);
  };
  page.on("request", listener);
  try {
    await body();
  } finally {
    page.off("request", listener);
  }
  return seen;
}

/** A request to one of the restore endpoints (an upload, or a stored backup's restore). */
export function isRestoreRequest(r: Request): boolean {
  return r.url().includes("/api/backup/restore") || r.url().includes("/api/backup/history/restore");
}

/** Nothing was sent: no restore request, and no request but plain GETs. */
export function expectNoUpload(requests: Request[]): void {
  expect(requests.filter(isRestoreRequest).map((r) => r.url()), "no restore request").toEqual([]);
  expect(requests.filter((r) => r.method() !== "GET").map((r) => `${r.method()} ${r.url()}`), "nothing posted").toEqual([]);
}
