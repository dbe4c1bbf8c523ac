/**
 * Phase 1, plan: what this run is before anything connects. The adapter's capabilities under the
 * run's settings, the start position and the checker's expectation they imply, the groups, and the
 * header of results.json; or why the run cannot take place on this adapter (not supported).
 */
import {
  type AdapterSettings,
  type Capabilities,
  capabilitiesOf,
  type DeliveryStyle,
  type OrderScope,
  type StartPosition,
  unsupportedReason,
} from "../../adapters/contract.js";
import type { Expectation } from "../../checkers/verdict.js";
import { RESULTS_FORMAT, type RunStatus } from "../../core/results.js";
import { privateBrokerProblem } from "../faults/index.js";
import type { Workload } from "../workload/index.js";
import { memoryWarning } from "./memory.js";
import type { RunOptions } from "./options.js";

export interface RunPlan {
  readonly workload: Workload;
  readonly caps: Capabilities;
  /** How consumers receive (the workload's `delivery` resolved against the adapter). */
  readonly delivery: DeliveryStyle;
  /** Where a group starts (the workload's `start` resolved against the adapter). */
  readonly start: StartPosition;
  readonly expect: Expectation;
  /** g1 … gN, then `late` when the workload has a late-joining group. */
  readonly groups: readonly string[];
  /** The fields every results.json of this run begins with. */
  readonly header: ResultHeader;
}

export interface ResultHeader {
  readonly format: typeof RESULTS_FORMAT;
  readonly runId: string;
  readonly workload: {
    readonly name: string;
    readonly file: string | null;
    readonly matrix: Readonly<Record<string, unknown>>;
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly adapter: {
    readonly name: string;
    readonly settings: Readonly<Record<string, string>>;
    readonly capabilities: Capabilities;
  };
  readonly startedAt: string;
  readonly warmupS: number;
}

/** A run that ends at planning: not supported on this adapter, or an error in its settings. */
export interface Refusal {
  readonly status: Extract<RunStatus, "not-supported" | "error">;
  readonly reason: string;
}

/** `auto`: push where the adapter has push delivery, else pull (Kafka, Redis Streams). */
export function resolveDelivery(w: Workload, caps: Capabilities): DeliveryStyle {
  if (w.delivery !== "auto") return w.delivery;
  return caps.push ? "push" : "pull";
}

export function resolveStart(w: Workload, caps: Capabilities): StartPosition {
  if (w.start !== "auto") return w.start;
  return caps.replay ? "earliest" : "latest";
}

export function resolveOrder(w: Workload, caps: Capabilities): OrderScope {
  return w.order === "auto" ? caps.ordering : w.order;
}

export function expectationOf(w: Workload, caps: Capabilities): Expectation {
  return { delivery: w.deliveryMode, order: resolveOrder(w, caps) };
}

/** The workload's groups g1 … gN, then `late` when it has a late-joining group. */
export function groupNames(w: Workload): string[] {
  const names = Array.from({ length: w.groups }, (_, i) => `g${i + 1}`);
  return w.lateGroup === null ? names : [...names, "late"];
}

const SECRET_KEY = /pass|secret|token|credential|key/i;

/** Settings for results.json: secret values and passwords inside URLs replaced. */
export function redactSettings(settings: AdapterSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    out[k] = SECRET_KEY.test(k) ? "***" : v.replace(/\/\/([^:/@]+):([^@/]+)@/, "//$1:***@");
  }
  return out;
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The run's message size against the largest the adapter (or, once connected, its broker) accepts:
 * a reason to refuse it, or null.
 */
export function sizeRefusal(w: Workload, caps: Capabilities, adapter: string): string | null {
  const max = caps.maxMessageBytes;
  if (max === undefined || w.messageSize <= max) return null;
  return (
    `${adapter}: messageSize ${w.messageSize.toLocaleString("en-US")} bytes is above the largest message it ` +
    `accepts (${max.toLocaleString("en-US")} bytes)`
  );
}

export function planRun(options: RunOptions): {
  readonly plan: RunPlan;
  readonly refusal: Refusal | null;
  /** For results.json warnings (a run that may hold more memory than the stated bound). */
  readonly warnings: readonly string[];
} {
  const { run, factory } = options;
  const w = run.workload;
  let caps: Capabilities;
  let capsError: string | null = null;
  try {
    caps = capabilitiesOf(factory, options.settings);
  } catch (err) {
    caps = factory.capabilities;
    capsError = errorMessage(err);
  }
  const start = resolveStart(w, caps);
  const delivery = resolveDelivery(w, caps);
  const expect = expectationOf(w, caps);
  const params: Record<string, unknown> = { ...w, delivery, start, order: expect.order };
  delete params["settings"];
  const plan: RunPlan = {
    workload: w,
    caps,
    delivery,
    start,
    expect,
    groups: groupNames(w),
    header: {
      format: RESULTS_FORMAT,
      runId: options.runId,
      workload: { name: w.name, file: run.file, matrix: run.matrix, params },
      adapter: { name: factory.name, settings: redactSettings(options.settings), capabilities: caps },
      startedAt: new Date().toISOString(),
      warmupS: w.warmupS,
    },
  };
  const memory = memoryWarning(w, factory.name, options.settings);
  return {
    plan,
    refusal: capsError === null ? refusalOf(plan, factory.name) : { status: "error", reason: capsError },
    warnings: memory === null ? [] : [memory],
  };
}

/**
 * The adapters each cluster service serves (its definition's `adapters`, which loads its client
 * library: planning stays cheap; cluster.test.ts checks they agree).
 */
export const CLUSTER_ADAPTERS: Readonly<Record<"kafka-cluster" | "jetstream-cluster", readonly string[]>> = {
  "kafka-cluster": ["kafka"],
  "jetstream-cluster": ["jetstream", "nats"],
};

function refusalOf(plan: RunPlan, adapter: string): Refusal | null {
  const { workload: w, caps } = plan;
  if (w.rate === "find-max")
    return {
      status: "error",
      reason: "rate: find-max is a search over runs (brokerbench run), not the rate of one run",
    };
  const reason = unsupportedReason(caps, {
    delivery: plan.delivery,
    mode: w.deliveryMode,
    // A late-joining group is a group too: on a broker without pub-sub it would compete for g1's messages.
    groups: plan.groups.length,
    consumersPerGroup: w.consumersPerGroup,
    partitions: w.partitions,
    start: plan.start,
    filters: w.filters,
    predicates: w.predicates !== null,
  });
  if (reason !== null) return { status: "not-supported", reason: `${adapter}: ${reason}` };
  const tooLarge = sizeRefusal(w, caps, adapter);
  if (tooLarge !== null) return { status: "not-supported", reason: tooLarge };
  if (w.lateGroup?.start === "earliest" && !caps.replay) {
    return {
      status: "not-supported",
      reason: `${adapter}: a late group at earliest needs replay, which it lacks`,
    };
  }
  if (w.server === "spawn" && w.serverCluster !== "none") {
    const served = CLUSTER_ADAPTERS[w.serverCluster];
    if (!served.includes(adapter)) {
      return {
        status: "not-supported",
        reason: `${adapter}: serverCluster ${w.serverCluster} serves ${served.join(", ")}`,
      };
    }
  } else if (w.server === "spawn") {
    const problem =
      adapter === "reference"
        ? w.serverProfile === null || ["default", "durable"].includes(w.serverProfile)
          ? null
          : `the reference broker has no profile "${w.serverProfile}" (profiles: default, durable)`
        : privateBrokerProblem(adapter, w.serverProfile ?? "default");
    if (problem !== null) return { status: "not-supported", reason: `${adapter}: server: spawn: ${problem}` };
  }
  return null;
}
