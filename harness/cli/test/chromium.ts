/**
 * Headless Chromium for the report tests (Debian's /usr/bin/chromium driven by playwright-core):
 * one launch configuration, and a report opened the way a reader opens it, from the file.
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

/** What a reader's screen shows first: a laptop-sized viewport. */
export const VIEWPORT = { width: 1400, height: 1000 } as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Opens report.html from disk and waits until its charts are drawn; `requests` collects any fetch. */
export async function openReport(
  browser: Browser,
  htmlPath: string,
): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const requests: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(pathToFileURL(htmlPath).href);
  await page.waitForSelector("figure.chart svg .role-mark", { state: "attached", timeout: 15_000 });
  return { page, requests };
}

/** The first screen and the whole page, as `<stem>-first.png` and `<stem>-full.png`. */
export async function screenshots(page: Page, stem: string): Promise<string[]> {
  const first = `${stem}-first.png`;
  const full = `${stem}-full.png`;
  await page.screenshot({ path: first });
  await page.screenshot({ path: full, fullPage: true });
  return [first, full];
}
