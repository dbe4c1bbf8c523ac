/**
 * Judging a test history through the real checkers (checkers/index.ts), with messages that show
 * the witnesses when an assertion fails.
 */

import { type Anomaly, checkHistory, type Expectation, type Verdict } from "../../checkers/index.js";
import type { OrderScope } from "../contract.js";
import type { TestHistory } from "./history.js";

export function judge(history: TestHistory, expect: Expectation): Verdict {
  return checkHistory(history.toJsonl(), { expect, witnesses: 3 });
}

/** Count of one anomaly in one group (0 when absent). */
export function groupCount(v: Verdict, group: string, anomaly: Anomaly): number {
  const g = v.groups.find((x) => x.group === group);
  if (!g) throw new Error(`the verdict has no group ${group}`);
  return g.anomalies[anomaly]?.count ?? 0;
}

export function delivered(v: Verdict, group: string): number {
  return v.groups.find((x) => x.group === group)?.delivered ?? 0;
}

/** A one-paragraph account of what the checkers found, for assertion messages. */
export function explain(v: Verdict): string {
  const found = Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${a}: ${n}`);
  const witnesses = v.groups.flatMap((g) =>
    Object.entries(g.anomalies).flatMap(([a, f]) =>
      (f?.witnesses ?? []).slice(0, 2).map((w) => `  [${g.group}] ${a}: ${w.message}`),
    ),
  );
  return [
    `valid=${v.valid} under ${v.expect.delivery}/${v.expect.order}; ${found.join(", ") || "no anomalies"}`,
    ...witnesses,
    ...v.warnings.map((w) => `  warning: ${w}`),
  ].join("\n");
}

export function expectation(delivery: Expectation["delivery"], order: OrderScope = "none"): Expectation {
  return { delivery, order };
}
