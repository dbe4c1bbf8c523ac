/**
 * The first lines of a report, the ones a reader trusts most, built so they cannot mislead:
 * - throughput is what was achieved against what was offered, per consumer group, and "sustained"
 *   only when the backlog stayed bounded; at one offered rate nobody is "fastest" by noise;
 * - tail latency is ranked by the percentile itself;
 * - a run that lost or duplicated messages, was invalid or did not finish is never named best
 *   without saying so next to its name;
 * - each names its runs as links to them (`HeadlinePart.run`).
 */
import { type FindMaxRecord, trialRunId } from "../core/find-max.js";
import type { Comparison, RatioRow } from "./compare.js";
import {
  caveats,
  coordinatedOmissionRatio,
  fmtCount,
  fmtMs,
  fmtRate,
  fmtRatio,
  fmtSpan,
  forbiddenSummary,
  keeping,
  measured,
  offeredRate,
  type ReportRun,
  tailBlown,
} from "./figures.js";

/** Plain text, a link to a run, or a caveat to show as one (emphasised). */
export type HeadlinePart =
  | { readonly text: string }
  | { readonly run: ReportRun; readonly text: string }
  | { readonly caveat: string };

export interface Headline {
  readonly label: string;
  readonly parts: readonly HeadlinePart[];
  /** `alarm`: a failure (invalid verdict, error); `caveat`: read the fine print; `plain`: context. */
  readonly tone: "alarm" | "caveat" | "plain";
}

/** The headline as one line of text (Markdown without links, the terminal, tests). */
export function headlineText(h: Headline): string {
  return h.parts.map((p) => ("caveat" in p ? p.caveat : p.text)).join("");
}

/** Runs named in a list before "and N more". */
const LISTED = 4;
/** Loss and duplicates below this share of acknowledged messages make a run "nearly clean". */
const MINOR_SHARE = 0.001;

const text = (t: string): HeadlinePart => ({ text: t });
const caveat = (t: string): HeadlinePart => ({ caveat: t });

function listRuns(
  runs: readonly ReportRun[],
  name: (r: ReportRun) => string,
  detail: (r: ReportRun) => string,
): HeadlinePart[] {
  const out: HeadlinePart[] = [];
  runs.slice(0, LISTED).forEach((r, i) => {
    if (i > 0) out.push(text("; "));
    out.push({ run: r, text: name(r) });
    const d = detail(r);
    if (d !== "") out.push(text(` (${d})`));
  });
  if (runs.length > LISTED) out.push(text(`; and ${runs.length - LISTED} more`));
  return out;
}

/** ` — lost 6,020 of 28,000` after a run's name, or nothing for a clean run. */
function caveatParts(r: ReportRun): HeadlinePart[] {
  const c = caveats(r.result);
  return c.length === 0 ? [] : [text(" — "), caveat(c.join(", "))];
}

/** 0 clean, 1 nearly (valid, under 0.1 % lost or delivered twice), 2 otherwise. */
function severity(r: ReportRun): number {
  const res = r.result;
  if (caveats(res).length === 0) return 0;
  const v = res.verdict;
  if (res.status !== "completed" || !v || !v.valid) return 2;
  const bad =
    (v.counts.lost ?? 0) + (v.counts["duplicate-delivery"] ?? 0) + (v.counts["duplicate-processing"] ?? 0);
  return bad <= MINOR_SHARE * Math.max(1, v.messages.acknowledged) ? 1 : 2;
}

function throughputHeadline(runs: readonly ReportRun[], name: (r: ReportRun) => string): Headline | null {
  if (runs.length === 0) return null;
  const kept = new Map(runs.map((r) => [r, keeping(r.result)]));
  const k = (r: ReportRun) => kept.get(r) as ReturnType<typeof keeping>;
  const offers = new Set(runs.map((r) => offeredRate(r.result)));
  const [only] = [...offers];
  const perGroup = (r: ReportRun) => {
    const x = k(r);
    return x.groups > 1
      ? `${fmtRate(x.consumedPerGroup)} msg/s consumed per group × ${x.groups} groups`
      : `${fmtRate(x.consumedPerGroup)} msg/s consumed`;
  };
  if (offers.size === 1 && only !== null && only !== undefined) {
    // One offered rate: nobody is "fastest", each run kept up or did not.
    const sustained = runs.filter((r) => k(r).sustained);
    const short = runs.filter((r) => !k(r).sustained);
    const parts: HeadlinePart[] = [
      text(
        `offered ${fmtRate(only)} msg/s; ${sustained.length} of ${runs.length} run${runs.length === 1 ? "" : "s"} sustained it`,
      ),
    ];
    if (short.length > 0) {
      parts.push(text(". Not sustained: "));
      parts.push(...listRuns(short, name, (r) => k(r).shortfall ?? ""));
    }
    return { label: "Throughput", parts, tone: short.length > 0 ? "caveat" : "plain" };
  }
  // Rates differ (a sweep, or max): the highest rate a run sustained.
  const byPublished = [...runs].sort(
    (a, b) => b.result.throughput.publishMsgsPerSec - a.result.throughput.publishMsgsPerSec,
  );
  const best = byPublished.find((r) => k(r).sustained);
  const top = byPublished[0] as ReportRun;
  const parts: HeadlinePart[] = [];
  if (best) {
    parts.push(
      { run: best, text: name(best) },
      text(`: ${fmtRate(best.result.throughput.publishMsgsPerSec)} msg/s published, ${perGroup(best)}`),
      ...caveatParts(best),
    );
    if (top !== best) {
      parts.push(
        text(". Higher but not sustained: "),
        { run: top, text: name(top) },
        text(
          ` ${fmtRate(top.result.throughput.publishMsgsPerSec)} msg/s published (${k(top).shortfall ?? ""})`,
        ),
      );
    }
    return {
      label: "Highest sustained throughput",
      parts,
      tone: caveats(best.result).length > 0 ? "caveat" : "plain",
    };
  }
  parts.push(
    text("no run sustained its rate. Highest published: "),
    { run: top, text: name(top) },
    text(
      ` ${fmtRate(top.result.throughput.publishMsgsPerSec)} msg/s, ${perGroup(top)} (${k(top).shortfall ?? ""})`,
    ),
    ...caveatParts(top),
  );
  return { label: "Throughput", parts, tone: "caveat" };
}

function lowestP99Headline(runs: readonly ReportRun[], name: (r: ReportRun) => string): Headline | null {
  const withE2e = runs.filter((r) => r.result.latency.endToEnd.corrected.count > 0);
  if (withE2e.length === 0) return null;
  const p99 = (r: ReportRun) => r.result.latency.endToEnd.corrected.p99Ms;
  const sorted = [...withE2e].sort((a, b) => p99(a) - p99(b));
  const best = sorted[0] as ReportRun;
  const least = Math.min(...sorted.map(severity));
  const preferred = sorted.find((r) => severity(r) === least) as ReportRun;
  const figure = (r: ReportRun) =>
    `: ${fmtMs(p99(r))} (p50 ${fmtMs(r.result.latency.endToEnd.corrected.p50Ms)})`;
  if (preferred === best) {
    const parts: HeadlinePart[] = [{ run: best, text: name(best) }, text(figure(best)), ...caveatParts(best)];
    if (caveats(best.result).length > 0) parts.push(text(": its latency covers only what was delivered"));
    return {
      label: "Lowest end-to-end p99",
      parts,
      tone: caveats(best.result).length > 0 ? "caveat" : "plain",
    };
  }
  // Lower p99s that came with loss or duplicates are named beside it, with what they lost.
  const lower = sorted.slice(0, sorted.indexOf(preferred));
  const among =
    least === 0
      ? "among runs that lost and duplicated nothing"
      : "among runs that lost or duplicated under 0.1 %";
  const parts: HeadlinePart[] = [
    { run: preferred, text: name(preferred) },
    text(`${figure(preferred)}, ${among}`),
    ...caveatParts(preferred),
    text(". Lower, but: "),
  ];
  lower.slice(0, LISTED).forEach((r, i) => {
    if (i > 0) parts.push(text("; "));
    parts.push({ run: r, text: name(r) }, text(` ${fmtMs(p99(r))} `), caveat(caveats(r.result).join(", ")));
  });
  if (lower.length > LISTED) parts.push(text(`; and ${lower.length - LISTED} more`));
  return { label: "Lowest end-to-end p99", parts, tone: "caveat" };
}

function highestTailHeadline(runs: readonly ReportRun[], name: (r: ReportRun) => string): Headline | null {
  const withE2e = runs.filter((r) => r.result.latency.endToEnd.corrected.count > 0);
  if (withE2e.length === 0) return null;
  const worst = [...withE2e].sort(
    (a, b) => b.result.latency.endToEnd.corrected.p999Ms - a.result.latency.endToEnd.corrected.p999Ms,
  )[0] as ReportRun;
  const e = worst.result.latency.endToEnd.corrected;
  const faulted = (worst.result.faults ?? []).length > 0;
  return {
    label: "Highest end-to-end p99.9",
    parts: [
      { run: worst, text: name(worst) },
      text(`: ${fmtMs(e.p999Ms)} (p99 ${fmtMs(e.p99Ms)}, p50 ${fmtMs(e.p50Ms)}, max ${fmtMs(e.maxMs)})`),
      ...(faulted ? [text("; faults were injected: see when under Over time")] : []),
    ],
    tone: tailBlown(worst.result) && !faulted ? "alarm" : "plain",
  };
}

/** Corrected over uncorrected p99 from which the gap is worth a line. */
const CO_NOTE_RATIO = 1.5;
/** ...and from which it is an alarm. */
const CO_ALARM_RATIO = 10;

function coordinatedOmissionHeadline(
  runs: readonly ReportRun[],
  name: (r: ReportRun) => string,
): Headline | null {
  const withE2e = runs.filter((r) => r.result.latency.endToEnd.corrected.count > 0);
  if (withE2e.length === 0) return null;
  const co = [...withE2e].sort(
    (a, b) => coordinatedOmissionRatio(b.result) - coordinatedOmissionRatio(a.result),
  )[0] as ReportRun;
  const ratio = coordinatedOmissionRatio(co.result);
  if (ratio < CO_NOTE_RATIO) return null;
  const e = co.result.latency.endToEnd;
  const faulted = (co.result.faults ?? []).length > 0;
  return {
    label: "Coordinated omission",
    parts: [
      { run: co, text: name(co) },
      text(
        `: corrected p99 ${fmtMs(e.corrected.p99Ms)} vs ${fmtMs(e.uncorrected.p99Ms)} uncorrected (${fmtRatio(ratio)}): ` +
          `the producer fell behind its schedule${faulted ? " (faults were injected)" : ""}`,
      ),
    ],
    // Expected while faults stall the producer; without faults it means the producer could not keep up.
    tone: ratio >= CO_ALARM_RATIO && !faulted ? "alarm" : "plain",
  };
}

function faultsHeadline(runs: readonly ReportRun[]): Headline | null {
  // Per kind: in how many runs, and when (a broker's restart takes its own time, so spans vary).
  const kinds = new Map<string, { runs: number; spans: Set<string>; from: number; to: number }>();
  for (const r of runs) {
    const seen = new Set<string>();
    for (const f of r.result.faults ?? []) {
      const k = kinds.get(f.kind) ?? { runs: 0, spans: new Set<string>(), from: f.startS, to: f.endS };
      if (!seen.has(f.kind)) k.runs++;
      seen.add(f.kind);
      k.spans.add(fmtSpan(f.startS, f.endS));
      k.from = Math.min(k.from, f.startS);
      k.to = Math.max(k.to, f.endS);
      kinds.set(f.kind, k);
    }
  }
  if (kinds.size === 0) return null;
  const parts = [...kinds].map(([kind, k]) => {
    const when =
      k.spans.size === 1 ? [...k.spans][0] : `between ${fmtSpan(k.from, k.to).replace("–", " and ")}`;
    return `${kind} ${when}${k.runs === runs.length ? "" : ` (${k.runs} of ${runs.length} runs)`}`;
  });
  const every = [...kinds.values()].every((k) => k.runs === runs.length);
  return {
    label: "Faults injected",
    parts: [text(parts.join(", ") + (every ? ", in every run" : ""))],
    tone: "plain",
  };
}

function verdictHeadline(
  runs: readonly ReportRun[],
  name: (r: ReportRun) => string,
  prefix: string,
): Headline | null {
  const judged = runs.filter((r) => r.result.verdict !== null && r.result.verdict !== undefined);
  if (judged.length === 0) return null;
  const invalid = judged.filter((r) => r.result.verdict?.valid === false);
  if (invalid.length === 0)
    return { label: `${prefix}Verdicts`, parts: [text(`all ${judged.length} valid`)], tone: "plain" };
  return {
    label: `${prefix}Verdicts`,
    parts: [
      text(`${invalid.length} of ${judged.length} invalid: `),
      ...listRuns(invalid, name, (r) => forbiddenSummary(r.result)),
    ],
    tone: "alarm",
  };
}

function notRunHeadline(runs: readonly ReportRun[], name: (r: ReportRun) => string): Headline | null {
  const unsupported = runs.filter((r) => r.result.status === "not-supported");
  const others = runs.filter((r) => r.result.status !== "completed" && r.result.status !== "not-supported");
  if (unsupported.length === 0 && others.length === 0) return null;
  const parts: HeadlinePart[] = [];
  if (unsupported.length > 0)
    parts.push(
      text(
        `${unsupported.length} point${unsupported.length === 1 ? "" : "s"} not supported by their adapter (table under the runs)`,
      ),
    );
  const statuses = [...new Set(others.map((r) => r.result.status))];
  for (const status of statuses) {
    const these = others.filter((r) => r.result.status === status);
    if (parts.length > 0) parts.push(text("; "));
    parts.push(text(`${these.length} ${status}: `));
    parts.push(...listRuns(these, name, (r) => r.result.reason ?? "no reason given"));
  }
  return {
    label: others.length > 0 ? "Not run to the end" : "Not run",
    parts,
    tone: others.some((r) => r.result.status === "error") ? "alarm" : others.length > 0 ? "caveat" : "plain",
  };
}

/**
 * `rate: find-max`: the highest rate that held under the search's own bound (sustained, verdict
 * not invalid, e2e p99 within the bound), linked to its trial, with why the next rate up failed.
 */
function findMaxHeadlines(
  searches: readonly FindMaxRecord[],
  runs: readonly ReportRun[],
  name: (r: ReportRun) => string,
): Headline[] {
  const trial = (s: FindMaxRecord, rate: number) =>
    runs.find((r) => r.result.runId === trialRunId(s.runId, rate)) ?? null;
  return searches.map((s) => {
    const { result: f, criteria: c } = s;
    const parts: HeadlinePart[] = [];
    const held = f.maxRate === null ? null : trial(s, f.maxRate);
    if (f.maxRate === null) parts.push(text(`${s.runId} on ${s.adapter}: no rate held`));
    else {
      parts.push(held ? { run: held, text: name(held) } : text(`${s.runId} on ${s.adapter}`));
      parts.push(text(`: ${fmtRate(f.maxRate)} msg/s`));
    }
    parts.push(text(` (sustained, e2e p99 ≤ ${fmtMs(c.p99Ms)})`));
    if (f.firstFailing !== null) {
      const failed = trial(s, f.firstFailing.rate);
      parts.push(text("; "));
      parts.push(
        failed
          ? { run: failed, text: `${fmtRate(f.firstFailing.rate)} msg/s` }
          : text(`${fmtRate(f.firstFailing.rate)} msg/s`),
      );
      parts.push(text(" did not: "), caveat(f.firstFailing.reason ?? "did not hold"));
    } else if (f.capped)
      parts.push(text(`; every rate up to ${fmtRate(c.maxRate)} msg/s held: it may go higher`));
    parts.push(text(`; ${f.trials.length} trial${f.trials.length === 1 ? "" : "s"}`));
    return {
      label: "Highest sustainable rate (find-max)",
      parts,
      tone: f.maxRate === null ? "caveat" : "plain",
    };
  });
}

/** The headlines of one result set (or of each set's runs when several are reported). */
export function headlines(
  runs: readonly ReportRun[],
  name: (r: ReportRun) => string,
  options: { readonly multiSet?: boolean; readonly searches?: readonly FindMaxRecord[] } = {},
): Headline[] {
  const done = measured(runs);
  const out: (Headline | null)[] = [];
  if (options.multiSet) {
    // A comparison's headlines are its differences (compare.ts); per set, only what failed.
    for (const set of [...new Set(runs.map((r) => r.set))]) {
      const these = runs.filter((r) => r.set === set);
      out.push(verdictHeadline(these, name, `${set}: `));
    }
    out.push(notRunHeadline(runs, name));
    return out.filter((h): h is Headline => h !== null);
  }
  out.push(
    ...findMaxHeadlines(options.searches ?? [], runs, name),
    throughputHeadline(done, name),
    lowestP99Headline(done, name),
    highestTailHeadline(done, name),
    coordinatedOmissionHeadline(done, name),
    faultsHeadline(done),
    verdictHeadline(runs, name, ""),
    notRunHeadline(runs, name),
  );
  return out.filter((h): h is Headline => h !== null);
}

function fmtFigure(v: number, unit: string): string {
  return unit === "ms" ? fmtMs(v) : `${unit === "msg/s" ? fmtRate(v) : fmtCount(v)} ${unit}`;
}

function movedText(r: RatioRow): string {
  const ratio = r.ratio === null ? "from 0" : fmtRatio(r.ratio);
  return `${r.point}: ${r.figure} ${ratio} (${fmtFigure(r.old, r.unit)} → ${fmtFigure(r.new, r.unit)}${r.note ? `; ${r.note}` : ""})`;
}

/** A comparison's first lines: what differs between the sets, then what got worse or better. */
export function comparisonHeadlines(c: Comparison): Headline[] {
  const vs = `${c.newLabel} vs ${c.oldLabel}`;
  const out: Headline[] = [];
  const diffs = c.differences.map((d) => {
    const values = d.values
      .slice(0, 2)
      .map(
        (v) =>
          `${v.old} → ${v.new}${d.values.length > 1 || v.points.length < c.matched ? ` (${v.points.length} of ${c.matched} runs)` : ""}`,
      );
    return `${d.name} ${values.join(", ")}${d.values.length > 2 ? ", …" : ""}`;
  });
  out.push({
    label: `${vs}: what differs`,
    parts: [
      text(
        diffs.length === 0
          ? `nothing: the ${c.matched} matched runs share every parameter, setting, version and the machine`
          : `${diffs.slice(0, 6).join("; ")}${diffs.length > 6 ? `; and ${diffs.length - 6} more (table below)` : ""}` +
              ` (${c.matched} runs matched by workload, matrix point and adapter)`,
      ),
    ],
    tone: "plain",
  });
  const floor = `${(c.tolerance * 100).toFixed(0)} % and ${fmtMs(c.absTolerance.ms)} / ${fmtRate(c.absTolerance["msg/s"])} msg/s / ${fmtCount(c.absTolerance.msgs)} msgs`;
  const verdictsWorse = c.verdictChanges.filter((v) => v.change === "worse");
  for (const v of verdictsWorse) {
    out.push({
      label: `${vs}: verdict`,
      parts: [text(`${v.point}: ${v.old} → `), caveat(v.new)],
      tone: "alarm",
    });
  }
  for (const change of ["worse", "better"] as const) {
    const rows = c.rows.filter((r) => r.change === change);
    out.push({
      label: `${vs}: ${change}`,
      parts:
        rows.length === 0
          ? [text(`no figure ${change} by more than ${floor}`)]
          : [
              text(`${rows.length} figure${rows.length === 1 ? "" : "s"} by more than ${floor}: `),
              text(
                rows.slice(0, 3).map(movedText).join("; ") +
                  (rows.length > 3 ? `; and ${rows.length - 3} more` : ""),
              ),
            ],
      tone: change === "worse" && rows.length > 0 ? "alarm" : "plain",
    });
  }
  const scaled = c.rows.filter((r) => r.note !== null && r.change === "same");
  if (scaled.length > 0) {
    out.push({
      label: `${vs}: throughput`,
      parts: [
        text(
          `${scaled.length} of ${c.rows.filter((r) => r.note !== null).length} throughput figures moved as the offered rate did ` +
            `(${scaled[0]?.note ?? ""}): not flagged`,
        ),
      ],
      tone: "plain",
    });
  }
  return out;
}
