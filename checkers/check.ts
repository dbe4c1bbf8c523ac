/**
 * The checkers end to end: read a history once into the shared index, run every family over it,
 * and assemble the verdict for an expectation.
 */

import { closeSync, openSync, readSync } from "node:fs";
import { isCompact } from "../core/history/compact.js";
import { checkCausal } from "./causal.js";
import { checkDelivery } from "./delivery.js";
import { NotAHistoryError } from "./errors.js";
import { DEFAULT_EXPECTATION, forbiddenBy } from "./expectation.js";
import { Findings, LOG } from "./findings.js";
import { HistoryBuilder, type HistoryIndex, SEND } from "./history-index.js";
import { checkKeyOrder } from "./key-order.js";
import {
  compactFileLines,
  fileLines,
  type LineSource,
  memoryLines,
  shorten,
  sparseFileLines,
} from "./lines.js";
import { buildLogOrder } from "./log-order.js";
import { buildFromText } from "./parse-json.js";
import { checkPartitionOrder } from "./partition.js";
import { buildFromCompactFile, buildFromFileFast, LINE_STRIDE } from "./read-fast.js";
import { buildFromCompactJson, buildFromFileJson } from "./read-file.js";
import { buildReceipts, type Receipts } from "./receipts.js";
import { checkTotalOrder } from "./total-order.js";
import {
  ANOMALIES,
  type Anomaly,
  type AnomalyCounts,
  type AnomalyFinding,
  type Expectation,
  type GroupVerdict,
  type Verdict,
} from "./verdict.js";

export interface CheckOptions {
  /** Overrides the history's meta `expect`. */
  readonly expect?: Partial<Expectation>;
  /** Witnesses kept per anomaly and group (default 5). */
  readonly witnesses?: number;
  /** File reader: the byte scanner (default) or JSON.parse of every line (the reference). */
  readonly reader?: "scan" | "json";
  /** Scanner worker threads (default one per core); 0 scans on the calling thread. */
  readonly threads?: number;
}

export const DEFAULT_WITNESSES = 5;

/** Checks a history held in memory: its text, or its lines. */
export function checkHistory(history: string | readonly string[], options: CheckOptions = {}): Verdict {
  const b = new HistoryBuilder();
  const lines = buildFromText(
    b,
    typeof history === "string" ? history : history.map((l) => `${l}\n`).join(""),
  );
  return verdictOf(b.finish(), memoryLines(lines), options);
}

/**
 * Checks a history file: JSON lines, or the compact encoding (recognised by its first bytes).
 * Throws HistoryParseError on a malformed line, CompactFormatError on a damaged compact block.
 */
export async function checkHistoryFile(path: string, options: CheckOptions = {}): Promise<Verdict> {
  const b = new HistoryBuilder();
  if (encodingOfFile(path) === "compact") {
    const threads = options.threads === undefined ? {} : { threads: options.threads };
    const read =
      options.reader === "json"
        ? buildFromCompactJson(b, path)
        : await buildFromCompactFile(b, path, threads);
    return verdictOf(b.finish(), compactFileLines(path, read.blocks), options);
  }
  if (options.reader === "json") {
    const read = buildFromFileJson(b, path);
    return verdictOf(b.finish(), fileLines(path, read.lineStarts, read.fileSize), options);
  }
  const read = await buildFromFileFast(
    b,
    path,
    options.threads === undefined ? {} : { threads: options.threads },
  );
  return verdictOf(b.finish(), sparseFileLines(path, read.sparseStarts, LINE_STRIDE, read.fileSize), options);
}

const SNIFF_BYTES = 1 << 16;

/**
 * What the file holds, from its first bytes: the compact encoding (its magic), or text. Anything
 * else (a NUL byte, bytes that are not UTF-8) is not a history: NotAHistoryError.
 */
export function encodingOfFile(path: string): "compact" | "jsonl" {
  const fd = openSync(path, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    head = buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally {
    closeSync(fd);
  }
  if (isCompact(head)) return "compact";
  const nul = head.indexOf(0);
  let problem = nul >= 0 ? `a NUL byte at offset ${nul}` : null;
  if (problem === null) {
    // A multi-byte character cut by the sniff window is not an error: leave out a partial one.
    let end = head.length;
    let back = 0;
    while (back < 3 && end - back > 0 && (head[end - back - 1]! & 0xc0) === 0x80) back++;
    if (end - back > 0 && head[end - back - 1]! >= 0xc0) end -= back + 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, end));
    } catch {
      problem = "bytes that are not UTF-8 text";
    }
  }
  if (problem !== null)
    throw new NotAHistoryError(
      `${path}: not a history (${problem}): a history is JSON lines (docs/HISTORY.md) or their compact encoding (.bbh)`,
    );
  return "jsonl";
}

function logOrderFamilies(ix: HistoryIndex, findings: Findings): Receipts {
  const order = buildLogOrder(ix);
  checkPartitionOrder(ix, order, findings);
  const receipts = buildReceipts(ix);
  checkKeyOrder(ix, order, receipts, findings);
  return receipts;
}

/** Runs every family over the index and judges it against the expectation. */
export function verdictOf(ix: HistoryIndex, source: LineSource, options: CheckOptions = {}): Verdict {
  const expect: Expectation = {
    delivery: options.expect?.delivery ?? ix.metaExpect.delivery ?? DEFAULT_EXPECTATION.delivery,
    order: options.expect?.order ?? ix.metaExpect.order ?? DEFAULT_EXPECTATION.order,
  };
  const warnings = [...ix.warnings];
  if (options.expect?.delivery === undefined && ix.metaExpect.delivery === undefined)
    warnings.push(`no delivery expectation (meta or --delivery): assuming "${expect.delivery}"`);
  if (options.expect?.order === undefined && ix.metaExpect.order === undefined)
    warnings.push(`no order expectation (meta or --order): assuming "${expect.order}"`);
  const findings = new Findings(options.witnesses ?? DEFAULT_WITNESSES);
  const stats = checkDelivery(ix, findings);
  // Built in an order that keeps few derived indexes alive at once (ten million ids: memory).
  const receipts = logOrderFamilies(ix, findings); // the log order is garbage after this
  checkTotalOrder(ix, receipts, findings);
  checkCausal(ix, receipts, findings);

  const forbidden = forbiddenBy(expect, ix.model);
  const counts = Object.fromEntries(ANOMALIES.map((a) => [a, findings.total(a)])) as AnomalyCounts;
  const texts = new Map<number, string>();
  const findingsOf = (group: number): Partial<Record<Anomaly, AnomalyFinding>> => {
    const result: Partial<Record<Anomaly, AnomalyFinding>> = {};
    for (const a of ANOMALIES) {
      const count = findings.count(a, group);
      if (count === 0) continue;
      result[a] = {
        count,
        witnesses: findings.witnessesOf(a, group).map((w) => ({
          message: w.message,
          lines: w.lines
            .filter((l, i, all) => l > 0 && all.indexOf(l) === i)
            .map((line) => {
              let text = texts.get(line);
              if (text === undefined) {
                text = source.text(line);
                texts.set(line, text);
              }
              return { line, text: shorten(text, w.focus) };
            }),
        })),
      };
    }
    return result;
  };
  const groups: GroupVerdict[] = ix.groupNames.map((group, g) => ({
    group,
    drained: ix.groupDrainedLine[g]! > 0,
    delivered: stats[g]!.delivered,
    recovered: stats[g]!.recovered,
    anomalies: findingsOf(g),
  }));
  let attempted = 0;
  let acknowledged = 0;
  let failed = 0;
  let unknown = 0;
  for (const s of ix.idStatus) {
    if ((s & SEND.attempted) === 0) continue;
    attempted++;
    if (s & SEND.ok) acknowledged++;
    else if (s & (SEND.info | SEND.unknown)) unknown++;
    else if (s & SEND.fail) failed++;
  }
  for (let g = 0; g < ix.groupNames.length; g++)
    if (ix.groupDrainedLine[g] === 0)
      warnings.push(`group ${ix.groupNames[g]} never completed a drain: loss was not judged for it`);
  return {
    valid: forbidden.every((a) => counts[a] === 0),
    expect,
    forbidden,
    counts,
    messages: { attempted, acknowledged, failed, unknown },
    groups,
    log: findingsOf(LOG),
    warnings,
    lines: ix.lines,
  };
}
