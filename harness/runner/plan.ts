/**
 * Phase 1, plan: what this run is before anything connects. The adapter's capabilities under the
 * run's settings, the start position and the checker's expectation they imply, the groups, and the
 * header of results.json; or why the run cannot take place on this adapter (not supported).
 */
import {
  type AdapterSettings,
  type Capabilities,
  capabilitiesOf,
  type OrderScope,
  type StartPosition,
  unsupportedReason,
} from "../../adapters/contract.js";
import type { Expectation } from "../../checkers/verdict.js";
import { RESULTS_FORMAT, type RunStatus } from "../../core/results.js";
import type { Workload } from "../workload/index.js";
import type { RunOptions } from "./options.js";

export interface RunPlan {
  readonly workload: Workload;
  readonly caps: Capabilities;
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

export function planRun(options: RunOptions): { readonly plan: RunPlan; readonly refusal: Refusal | null } {
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
  const expect = expectationOf(w, caps);
  const params: Record<string, unknown> = { ...w, start, order: expect.order };
  delete params["settings"];
  const plan: RunPlan = {
    workload: w,
    caps,
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
  return {
    plan,
    refusal: capsError === null ? refusalOf(plan, factory.name) : { status: "error", reason: capsError },
  };
}

function refusalOf(plan: RunPlan, adapter: string): Refusal | null {
  const { workload: w, caps } = plan;
  const reason = unsupportedReason(caps, {
    delivery: w.delivery,
    mode: w.deliveryMode,
    groups: w.groups,
    consumersPerGroup: w.consumersPerGroup,
    partitions: w.partitions,
    start: plan.start,
    filters: w.filters,
    predicates: w.predicates !== null,
  });
  if (reason !== null) return { status: "not-supported", reason: `${adapter}: ${reason}` };
  if (w.lateGroup?.start === "earliest" && !caps.replay) {
    return {
      status: "not-supported",
      reason: `${adapter}: a late group at earliest needs replay, which it lacks`,
    };
  }
  if (w.server === "spawn" && adapter !== "reference") {
    return { status: "not-supported", reason: `${adapter}: server: spawn starts the reference broker only` };
  }
  return null;
}
