/**
 * Which anomalies an expectation forbids (the `violates` column of docs/HISTORY.md, read
 * literally: each order scope forbids its own anomalies; see README.md for why).
 */

import type { OrderScope } from "../core/vocabulary.js";
import type { Model } from "./history-index.js";
import type { Anomaly, DeliveryExpectation, Expectation } from "./verdict.js";

const BY_DELIVERY: Readonly<Record<DeliveryExpectation, readonly Anomaly[]>> = {
  none: [],
  "at-most-once": ["duplicate-delivery"],
  "at-least-once": ["lost"],
  "exactly-once": ["lost", "duplicate-processing", "duplicate-write"],
};

const BY_ORDER: Readonly<Record<OrderScope, readonly Anomaly[]>> = {
  none: [],
  partition: ["poll-skip", "nonmonotonic-poll", "nonmonotonic-send"],
  key: ["key-order"],
  producer: ["nonmonotonic-send"],
  total: ["total-order"],
  causal: ["causal"],
};

/** With neither a meta `expect` nor flags, only the always-forbidden anomalies count. */
export const DEFAULT_EXPECTATION: Expectation = { delivery: "none", order: "none" };

export function forbiddenBy(expect: Expectation, model: Model): Anomaly[] {
  const always: Anomaly[] = ["unexpected", "aborted-read"];
  if (model === "log") always.push("inconsistent-offset");
  const all = new Set<Anomaly>([...always, ...BY_DELIVERY[expect.delivery], ...BY_ORDER[expect.order]]);
  return [...all];
}
