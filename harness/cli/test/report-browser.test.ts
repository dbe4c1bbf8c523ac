/**
 * A real run, then its report.html in headless Chromium (Debian's, driven by playwright-core):
 * waits for the charts, checks each is drawn, that hostile input stayed text, and saves a
 * screenshot beside the report.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { main } from "../cli.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const required = process.env.BROKERBENCH_REQUIRE_SERVICES === "1";
const skip = !haveChromium && !required;
if (skip) console.log(`reports browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

/** The embedded reference broker: no service needed, a run takes seconds. */
const ADAPTER = "reference";

/** What a hostile workload name and matrix label try; the report must show them as text. */
const HOSTILE_NAME = `evil<script>window.__pwned=1</script>`;
const HOSTILE_LABEL = `<img src=x onerror="window.__pwned=2">`;

/** Two short runs sweeping the rate: enough for every chart, including latency vs rate. */
const WORKLOAD = `name: '${HOSTILE_NAME}'
description: report browser test
partitions: 1
messageSize: 100
batchSize: 10
delivery: pull
durationS: 2
warmupS: 0.5
matrix:
  rate: [1000, 3000]
  mode:
    '${HOSTILE_LABEL}': { groups: 1 }
`;

describe.skipIf(skip)(`report.html of a real run in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let dir: string;
  let exitCode: number;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and BROKERBENCH_REQUIRE_SERVICES=1`);
    const work = await mkdtemp(join(tmpdir(), "bb-browser-"));
    const workload = join(work, "hostile.yaml");
    await writeFile(workload, WORKLOAD);
    dir = join(work, "results");
    exitCode = await main([
      "run",
      workload,
      "--adapter",
      ADAPTER,
      "--out",
      dir,
      "--report",
      "html,svg,png,md,omb",
    ]);
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
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it(`runs two ${ADAPTER} runs and reports them`, async () => {
    expect(exitCode).toBeLessThanOrEqual(1); // 1: a verdict failed, still a report
    const entries = await readdir(dir);
    expect(entries).toContain("report.html");
    const runs = entries.filter((e) => e.includes("rate="));
    expect(runs).toHaveLength(2);
    // A run that errored has no figures to chart: say why here rather than time out below.
    for (const run of runs) {
      const r = JSON.parse(await readFile(join(dir, run, "results.json"), "utf8")) as RunResult;
      expect(`${r.status}: ${r.reason ?? ""}`).toBe("completed: ");
    }
  });

  it("shows every chart drawn, hostile input as text, and saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    await page.waitForSelector("figure.chart svg .role-mark", { state: "attached", timeout: 15_000 });

    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const box = f.querySelector("svg")?.getBoundingClientRect();
        return {
          id: f.getAttribute("data-chart"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: f.querySelectorAll("svg .role-mark path, svg .role-mark rect, svg .role-mark line").length,
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual([
      "throughput",
      "backlog",
      "latency",
      "comparison",
      "latency-vs-rate",
    ]);
    for (const c of charts) {
      expect(c.width, `${c.id} width`).toBeGreaterThan(300);
      expect(c.height, `${c.id} height`).toBeGreaterThan(150);
      expect(c.marks, `${c.id} marks`).toBeGreaterThan(0);
    }
    // Lines have ink: a path with a non-trivial `d`, not an empty mark container.
    const inked = await page.$$eval(
      "figure#chart-latency svg .role-mark path",
      (paths) => paths.filter((p) => (p.getAttribute("d") ?? "").length > 20).length,
    );
    expect(inked).toBeGreaterThanOrEqual(8); // 2 runs × 2 measures × corrected/uncorrected

    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.getByText(HOSTILE_NAME).count()).toBeGreaterThan(0);
    expect(await page.locator("table.runs td", { hasText: HOSTILE_LABEL }).count()).toBe(2);
    expect(requests).toEqual([]);

    const screenshot = join(dir, "report-screenshot.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  }, 90_000); // Chromium on a loaded 2-core machine: seconds normally, tens of seconds at worst
});
