/**
 * The reference reader: each line through JSON.parse, then into the builder. Used for in-memory
 * histories (tests, small files); the byte scanner (scan.ts) must agree with it on every input.
 */
import { type Predicate, parsePredicate, propertyValueProblem } from "../core/predicates.js";
import type { OrderScope } from "../core/vocabulary.js";
import { ORDER_SCOPES } from "../core/vocabulary.js";
import { HistoryParseError } from "./errors.js";
import type { HistoryBuilder, SendKind } from "./history-index.js";
import { DELIVERY_EXPECTATIONS, type DeliveryExpectation } from "./verdict.js";

const TYPES = new Set(["invoke", "ok", "fail", "info"]);

/** Feeds one parsed line to the builder; throws HistoryParseError when its shape is wrong. */
export function applyRecord(b: HistoryBuilder, rec: unknown, line: number): void {
  if (typeof rec !== "object" || rec === null || Array.isArray(rec))
    throw new HistoryParseError(line, "a line must be a JSON object");
  const r = rec as Record<string, unknown>;
  const type = r["type"];
  const f = r["f"];
  if (typeof type !== "string" || !TYPES.has(type))
    throw new HistoryParseError(
      line,
      `"type" must be one of invoke, ok, fail, info (got ${JSON.stringify(type)})`,
    );
  if (typeof f !== "string") throw new HistoryParseError(line, `"f" is missing`);
  const value = r["value"];
  switch (f) {
    case "meta":
      meta(b, value, line);
      return;
    case "send":
      send(b, type as SendKind, processOf(b, r, line), value, line);
      return;
    case "poll":
      if (type !== "ok" || value === undefined || value === null) return;
      poll(b, processOf(b, r, line), groupOf(b, r, line), value, line);
      return;
    case "commit":
      if (type !== "ok") return;
      commit(b, processOf(b, r, line), groupOf(b, r, line), value, line);
      return;
    case "assign":
      if (type !== "ok") return;
      assign(b, processOf(b, r, line), groupOf(b, r, line), value, line);
      return;
    case "crash":
      b.crash(processOf(b, r, line), line);
      return;
    case "drain": {
      const g = groupOf(b, r, line);
      const complete =
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)["complete"] === true;
      if (type === "ok") b.drain(g, line, complete);
      return;
    }
    case "fault": // harness fault injection markers (README: extensions of HISTORY.md): no operation
      return;
    default:
      b.warn(`unknown operation "${f}" (first at line ${line}) ignored`);
  }
}

function processOf(b: HistoryBuilder, r: Record<string, unknown>, line: number): number {
  const p = r["process"];
  if (typeof p === "number" && Number.isFinite(p)) return b.process(String(p));
  if (typeof p === "string") return b.process(JSON.stringify(p));
  throw new HistoryParseError(line, `"process" must be an integer or a string`);
}

function groupOf(b: HistoryBuilder, r: Record<string, unknown>, line: number): number {
  const g = r["group"];
  if (typeof g !== "string") throw new HistoryParseError(line, `"group" must be a string`);
  return b.group(g);
}

function meta(b: HistoryBuilder, value: unknown, line: number): void {
  if (typeof value !== "object" || value === null) return;
  const v = value as Record<string, unknown>;
  const model = v["model"];
  if (model !== undefined && model !== "log" && model !== "queue")
    throw new HistoryParseError(line, `meta "model" must be "log" or "queue"`);
  const expect = (typeof v["expect"] === "object" && v["expect"] !== null ? v["expect"] : {}) as Record<
    string,
    unknown
  >;
  const delivery = expect["delivery"];
  const order = expect["order"];
  if (delivery !== undefined && !(DELIVERY_EXPECTATIONS as readonly unknown[]).includes(delivery))
    throw new HistoryParseError(
      line,
      `meta expect.delivery must be one of ${DELIVERY_EXPECTATIONS.join(", ")}`,
    );
  if (order !== undefined && !(ORDER_SCOPES as readonly unknown[]).includes(order))
    throw new HistoryParseError(line, `meta expect.order must be one of ${ORDER_SCOPES.join(", ")}`);
  b.meta(model as "log" | "queue" | undefined, delivery as DeliveryExpectation, order as OrderScope);
  const predicates = v["predicates"];
  if (predicates !== undefined) {
    if (typeof predicates !== "object" || predicates === null || Array.isArray(predicates))
      throw new HistoryParseError(line, `meta "predicates" must map group names to predicates`);
    for (const [group, text] of Object.entries(predicates as Record<string, unknown>)) {
      if (typeof text !== "string")
        throw new HistoryParseError(line, `meta predicates.${group} must be a predicate (a string)`);
      let predicate: Predicate;
      try {
        predicate = parsePredicate(text, `meta predicates.${group}`);
      } catch (err) {
        throw new HistoryParseError(line, (err as Error).message);
      }
      b.groupPredicate(group, predicate);
    }
  }
}

/** A message's `props`: an object of strings and numbers, as canonical JSON text (keys sorted). */
function propsOf(value: unknown, line: number): string {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new HistoryParseError(line, `"props" must be an object of strings and numbers`);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [name, v] of entries) {
    const problem = propertyValueProblem(v);
    if (problem !== null) throw new HistoryParseError(line, `"props".${name}: ${problem}`);
  }
  return JSON.stringify(Object.fromEntries(entries));
}

function itemsOf(value: unknown, line: number, what: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new HistoryParseError(line, `${what} "value" must be an array of messages`);
  for (const item of value)
    if (typeof item !== "object" || item === null)
      throw new HistoryParseError(line, `${what}: each message must be an object`);
  return value as Record<string, unknown>[];
}

function idOf(item: Record<string, unknown>, line: number, what: string): string {
  const id = item["id"];
  if (typeof id === "string") return id;
  if (typeof id === "number") return String(id);
  throw new HistoryParseError(line, `${what}: a message without "id"`);
}

function offsetOf(item: Record<string, unknown>, line: number): number {
  const o = item["offset"];
  if (o === undefined || o === null) return Number.NaN;
  if (typeof o !== "number") throw new HistoryParseError(line, `"offset" must be a number or null`);
  return o;
}

function partOf(b: HistoryBuilder, topic: number, item: Record<string, unknown>, line: number): number {
  const p = item["partition"];
  if (p === undefined || p === null) return topic >= 0 && item["offset"] != null ? b.part(topic, 0) : -1;
  if (typeof p !== "number" || !Number.isInteger(p) || p < 0)
    throw new HistoryParseError(line, `"partition" must be a non-negative integer`);
  if (topic < 0) throw new HistoryParseError(line, `a message with a "partition" needs its "topic"`);
  return b.part(topic, p);
}

function send(b: HistoryBuilder, kind: SendKind, proc: number, value: unknown, line: number): void {
  const items = itemsOf(value, line, "send");
  b.beginSend(kind, proc, line);
  for (const item of items) {
    const id = b.id(idOf(item, line, "send"));
    const topic = typeof item["topic"] === "string" ? b.topic(item["topic"]) : -1;
    const key = typeof item["key"] === "string" ? b.key(item["key"]) : -1;
    const part = kind === "ok" ? partOf(b, topic, item, line) : -1;
    b.sendItem(id, topic, key, part, kind === "ok" ? offsetOf(item, line) : Number.NaN);
    if (item["props"] !== undefined) b.sendProps(id, propsOf(item["props"], line));
    const deps = item["deps"];
    if (Array.isArray(deps))
      for (const d of deps)
        if (typeof d === "string" || typeof d === "number") b.sendDep(id, b.id(String(d)));
  }
  b.endSend();
}

function poll(b: HistoryBuilder, proc: number, group: number, value: unknown, line: number): void {
  const items = itemsOf(value, line, "poll");
  b.beginPoll(proc, group, line);
  for (const item of items) {
    const id = b.id(idOf(item, line, "poll"));
    const topic = typeof item["topic"] === "string" ? b.topic(item["topic"]) : -1;
    const key = typeof item["key"] === "string" ? b.key(item["key"]) : -1;
    b.pollItem(id, topic, key, partOf(b, topic, item, line), offsetOf(item, line));
  }
}

function commit(b: HistoryBuilder, proc: number, group: number, value: unknown, line: number): void {
  b.beginCommit(proc, group, line);
  if (Array.isArray(value)) {
    for (const item of itemsOf(value, line, "commit")) {
      const topic = typeof item["topic"] === "string" ? b.topic(item["topic"]) : -1;
      const part = partOf(b, topic, item, line);
      const offset = offsetOf(item, line);
      if (part < 0 || Number.isNaN(offset))
        throw new HistoryParseError(line, `commit: each entry needs "topic", "partition" and "offset"`);
      b.commitOffset(part, offset);
    }
  } else if (typeof value === "object" && value !== null && Array.isArray((value as { ids?: unknown }).ids)) {
    for (const id of (value as { ids: unknown[] }).ids) {
      if (typeof id !== "string" && typeof id !== "number")
        throw new HistoryParseError(line, `commit: "ids" must hold message ids`);
      b.commitId(b.id(String(id)));
    }
  } else {
    throw new HistoryParseError(
      line,
      `commit "value" must be [{topic, partition, offset}] or {"ids": [...]}`,
    );
  }
  b.endCommit();
}

function assign(b: HistoryBuilder, proc: number, group: number, value: unknown, line: number): void {
  b.beginAssign(proc, group, line);
  const parts =
    typeof value === "object" && value !== null ? (value as { partitions?: unknown }).partitions : [];
  if (!Array.isArray(parts)) return;
  for (const p of parts) {
    if (typeof p !== "object" || p === null) continue;
    const topic = (p as { topic?: unknown }).topic;
    const n = (p as { partition?: unknown }).partition;
    if (typeof topic === "string") b.assignPartition(b.part(b.topic(topic), typeof n === "number" ? n : 0));
  }
}

/**
 * Feeds one line of text (1-based `line`). `last`: it is the history's last line and no newline
 * ends it, so a parse failure means a recorder that died mid-line: reported, skipped.
 */
export function applyLine(
  b: HistoryBuilder,
  text: string,
  line: number,
  last: boolean,
  source: string,
): void {
  if (text.trim() === "") return;
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (err) {
    if (last) {
      b.warn(`${source}:${line}: truncated last line skipped (the recorder likely died mid-line)`);
      return;
    }
    throw new HistoryParseError(line, `not valid JSON (${(err as Error).message})`, source);
  }
  try {
    applyRecord(b, rec, line);
  } catch (err) {
    if (err instanceof HistoryParseError)
      throw new HistoryParseError(err.line, err.message.replace(/^history:\d+: /, ""), source);
    throw err;
  }
}

/** Parses a whole history held in memory. */
export function buildFromText(b: HistoryBuilder, text: string, source = "history"): string[] {
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  if (complete) lines.pop();
  for (let i = 0; i < lines.length; i++)
    applyLine(b, lines[i]!, i + 1, !complete && i === lines.length - 1, source);
  b.lines = lines.length;
  return lines;
}
