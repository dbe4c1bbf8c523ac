/**
 * Opens report.html in headless Chromium (Debian's, driven by playwright-core), waits for the
 * charts, checks each is drawn, that input strings stayed text, and saves a screenshot.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../harness/results.js";
import { writeReports } from "../write.js";
import { matrixResults, runResult } from "./fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const required = process.env.BROKERBENCH_REQUIRE_SERVICES === "1";
const skip = !haveChromium && !required;
if (skip) console.log(`reports browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

/** What a hostile run name tries; the report must show it as text. */
const HOSTILE = `evil<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

async function writeResultsDir(results: readonly RunResult[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bb-browser-"));
  for (const [i, r] of results.entries()) {
    await mkdir(join(dir, `run-${i}`), { recursive: true });
    await writeFile(join(dir, `run-${i}`, "results.json"), JSON.stringify(r));
  }
  return dir;
}

describe.skipIf(skip)(`report.html in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and BROKERBENCH_REQUIRE_SERVICES=1`);
    const hostile = runResult({
      runId: HOSTILE,
      seed: 7,
      lost: 2,
      matrix: { delivery: "push", partitions: HOSTILE },
    });
    dir = await writeResultsDir([
      ...matrixResults(),
      { ...hostile, adapter: { ...hostile.adapter, name: HOSTILE } },
    ]);
    await writeReports(dir);
    browser = await chromium.launch({
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
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows every chart drawn, the hostile name as text, and saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    await page.waitForSelector("figure.chart svg .role-mark", { state: "attached" });

    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        return {
          id: f.getAttribute("data-chart"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: f.querySelectorAll("svg .role-mark path, svg .role-mark rect, svg .role-mark line").length,
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(["throughput", "backlog", "latency", "comparison"]);
    for (const c of charts) {
      expect(c.width, `${c.id} width`).toBeGreaterThan(300);
      expect(c.height, `${c.id} height`).toBeGreaterThan(150);
      expect(c.marks, `${c.id} marks`).toBeGreaterThan(0);
    }

    // The hostile name: shown as text in the tables, never run or parsed as markup.
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("table.runs td", { hasText: HOSTILE }).count()).toBeGreaterThan(0);
    expect(await page.locator("table.verdicts tr.row-bad td", { hasText: HOSTILE }).count()).toBe(1);
    expect(requests).toEqual([]);

    const screenshot = join(dir, "report-screenshot.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  });
});
