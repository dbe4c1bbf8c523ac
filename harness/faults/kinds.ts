/**
 * The fault table: every kind of fault the runner injects, in one place. Each entry declares the
 * targets it takes, its parameters, the infrastructure it needs, what it holds while active (so that
 * colliding faults never overlap), and its start, end and settle actions. The workload schema, the
 * loader's checks, the scheduler and the runner all read this table; adding a kind is one entry.
 */
import { z } from "zod";
import { wallMs } from "../../core/clock.js";
import {
  CRASH,
  endMemberFault,
  endPartition,
  type MemberTarget,
  memberResource,
  PAUSE,
  type PartitionTarget,
  startMemberFault,
  startPartition,
} from "./cluster.js";
import type { FaultEnv, Recovery } from "./env.js";
import {
  type FaultShape,
  type FaultTarget,
  missingTarget,
  parseTarget,
  type TargetFormName,
  type TargetOf,
  targetExamples,
} from "./targets.js";

export const FAULT_KINDS = [
  "consumer-crash",
  "consumer-stall",
  "producer-ack-loss",
  "broker-crash",
  "broker-pause",
  "network-latency",
  "network-bandwidth",
  "network-reset",
  "network-blackhole",
  "partition",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Parameters a fault kind may take; each kind says which it requires or allows. */
export const FAULT_PARAMS = {
  latencyMs: z.number().positive().describe("network-latency: delay added each way"),
  bytesPerSec: z.number().positive().describe("network-bandwidth: bytes a second each way"),
  slowRate: z.number().positive().describe("consumer-stall: messages a second instead of none"),
} as const;
export type FaultParam = keyof typeof FAULT_PARAMS;
const PARAM_NAMES = Object.keys(FAULT_PARAMS) as FaultParam[];

/** What a fault does when one it collides with is still active or recovering. */
export const CONFLICT_POLICIES = ["wait", "skip"] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** A resource a fault holds while active and until it has settled. */
export interface Hold {
  readonly resource: string;
  /** Exclusive holds exclude every other hold of the resource; shared ones only exclusive holds. */
  readonly exclusive: boolean;
}

/**
 * Infrastructure a run must start for a kind: the broker as a process, a proxy in front of it, or
 * a cluster whose members run in network namespaces of their own.
 */
export type FaultNeed = "broker-process" | "proxy" | "hosts";

export interface FaultKindDef<F extends TargetFormName = TargetFormName> {
  readonly targets: readonly F[];
  readonly params: { readonly [P in FaultParam]?: "required" | "optional" };
  readonly needs: FaultNeed | null;
  holds(target: TargetOf<F>): readonly Hold[];
  start(fault: FaultSpec, target: TargetOf<F>, env: FaultEnv): Promise<void>;
  end(fault: FaultSpec, target: TargetOf<F>, env: FaultEnv): Promise<void>;
  /**
   * After the end: resolves with how the run recovered (null: nothing to recover from). Kinds
   * without one are settled when they end.
   */
  settle?(env: FaultEnv, timeoutMs: number): Promise<Recovery | null>;
}

/**
 * A kind's entry, typed by the target forms it takes. The table holds them erased to any target:
 * sound, because `targetOf` only hands a kind a target parsed with that kind's own forms.
 */
const define = <F extends TargetFormName>(def: FaultKindDef<F>): FaultKindDef =>
  def as unknown as FaultKindDef;

const exclusive = (resource: string): Hold => ({ resource, exclusive: true });
const shared = (resource: string): Hold => ({ resource, exclusive: false });
/** Every client is replaced by an outage; a fault on one client must not overlap one. */
const CLIENTS = "clients";
/** The path to the broker: what an outage cuts, and a blackhole holds up. */
const BROKER = "broker";
const consumerHolds = (t: TargetOf<"consumer">) => [
  shared(CLIENTS),
  exclusive(`consumer:${t.group}/${t.index}`),
];
const OUTAGE_HOLDS = [exclusive(CLIENTS), exclusive(BROKER)];
/** A member fault holds its target; an outage of the whole broker excludes it (shared hold of the broker). */
const memberHolds = (t: MemberTarget) => [shared(BROKER), exclusive(memberResource(t))];
const awaitService = (env: FaultEnv, timeoutMs: number) => env.awaitService(timeoutMs);

export const FAULTS: { readonly [K in FaultKind]: FaultKindDef } = {
  "consumer-crash": define({
    targets: ["consumer"],
    params: {},
    needs: null,
    holds: consumerHolds,
    start: (_f, t, env) => env.consumer(t).crash(),
    end: (_f, t, env) => env.consumer(t).replace(),
  }),
  "consumer-stall": define({
    targets: ["consumer"],
    params: { slowRate: "optional" },
    needs: null,
    holds: consumerHolds,
    start: async (f, t, env) => env.consumer(t).stall(wallMs() + f.duration * 1000, f.slowRate ?? null),
    end: async (_f, t, env) => env.consumer(t).unstall(),
  }),
  "producer-ack-loss": define({
    targets: ["producer"],
    params: {},
    needs: null,
    holds: (t) => [exclusive(`producer:${t.index}`)],
    start: async (_f, t, env) => env.setAckLoss(t, true),
    end: async (_f, t, env) => env.setAckLoss(t, false),
  }),
  "broker-crash": define({
    // The broker: an outage (every client cut off and reconnected). A cluster member: the clients
    // stay; the cluster elects new leaders and the clients find them (cluster.ts).
    targets: ["broker", "node", "leader-of", "followers-of"],
    params: {},
    needs: "broker-process",
    holds: (t) => (t.form === "broker" ? OUTAGE_HOLDS : memberHolds(t)),
    start: (f, t, env) =>
      t.form === "broker" ? env.beginOutage(() => env.broker(t).kill()) : startMemberFault(CRASH, f, t, env),
    end: (f, t, env) =>
      t.form === "broker" ? env.endOutage(() => env.broker(t).restart()) : endMemberFault(CRASH, f, env),
    settle: awaitService,
  }),
  "broker-pause": define({
    targets: ["node", "leader-of", "followers-of"],
    params: {},
    needs: "broker-process",
    holds: memberHolds,
    start: (f, t, env) => startMemberFault(PAUSE, f, t, env),
    end: (f, _t, env) => endMemberFault(PAUSE, f, env),
  }),
  "network-latency": define({
    targets: ["broker"],
    params: { latencyMs: "required" },
    needs: "proxy",
    holds: () => [exclusive("network-latency")],
    start: async (f, _t, env) => env.network().setLatency(f.latencyMs ?? 0),
    end: async (_f, _t, env) => env.network().setLatency(0),
  }),
  "network-bandwidth": define({
    targets: ["broker"],
    params: { bytesPerSec: "required" },
    needs: "proxy",
    holds: () => [exclusive("network-bandwidth")],
    start: async (f, _t, env) => env.network().setBandwidth(f.bytesPerSec ?? null),
    end: async (_f, _t, env) => env.network().setBandwidth(null),
  }),
  "network-reset": define({
    targets: ["broker"],
    params: {},
    needs: "proxy",
    holds: () => OUTAGE_HOLDS,
    start: (_f, _t, env) => env.beginOutage(async () => env.network().setReset(true)),
    end: (_f, _t, env) => env.endOutage(async () => env.network().setReset(false)),
    settle: awaitService,
  }),
  partition: define({
    // Members cut apart from each other (the clients still reach all): groups by node number, or
    // a member target alone against the rest. One partition at a time: a second replaces no first.
    targets: ["groups", "node", "leader-of", "followers-of"],
    params: {},
    needs: "hosts",
    holds: () => [shared(BROKER), exclusive("partition")],
    start: (f, t, env) => startPartition(f, t as PartitionTarget, env),
    end: (f, _t, env) => endPartition(f, env),
  }),
  "network-blackhole": define({
    targets: ["broker"],
    params: {},
    needs: "proxy",
    holds: () => [shared(BROKER), exclusive("network-blackhole")],
    start: async (_f, _t, env) => env.network().setBlackhole(true),
    end: async (_f, _t, env) => env.network().setBlackhole(false),
  }),
};

const seconds = z.number().min(0);

/** One fault of a workload's `faults:` list; checked against the table above. */
export const faultSchema = z
  .strictObject({
    at: seconds.describe("seconds after producing starts"),
    duration: z.number().positive().describe("seconds the fault lasts"),
    kind: z.enum(FAULT_KINDS),
    // A partition's groups may be written as YAML ([[1],[2,3]]): the same as the quoted text.
    target: z.preprocess((v) => (Array.isArray(v) ? JSON.stringify(v) : v), z.string().min(1)),
    latencyMs: FAULT_PARAMS.latencyMs.optional(),
    bytesPerSec: FAULT_PARAMS.bytesPerSec.optional(),
    slowRate: FAULT_PARAMS.slowRate.optional(),
    onConflict: z
      .enum(CONFLICT_POLICIES)
      .optional()
      .describe("when a colliding fault is still active or recovering: wait for it (default) or skip"),
  })
  .superRefine((f, ctx) => {
    const def = FAULTS[f.kind];
    if (parseTarget(f.target, def.targets) === null) {
      ctx.addIssue({
        code: "custom",
        path: ["target"],
        message: `"${f.target}" is not a target of ${f.kind}; use ${targetExamples(def.targets)}`,
      });
    }
    for (const p of PARAM_NAMES) {
      const use = def.params[p];
      if (use === "required" && f[p] === undefined) {
        ctx.addIssue({ code: "custom", path: [p], message: `${f.kind} needs ${p}` });
      } else if (use === undefined && f[p] !== undefined) {
        const owners = FAULT_KINDS.filter((k) => FAULTS[k].params[p] !== undefined);
        ctx.addIssue({ code: "custom", path: [p], message: `${p} only applies to ${owners.join(", ")}` });
      }
    }
  });
export type FaultSpec = z.output<typeof faultSchema>;

/** The target a (schema-checked) fault strikes. */
export function targetOf(fault: FaultSpec): FaultTarget {
  const t = parseTarget(fault.target, FAULTS[fault.kind].targets);
  if (t === null) throw new Error(`"${fault.target}" is not a target of ${fault.kind}`);
  return t;
}

/** The workload around a fault, as far as checking the fault goes. */
export interface FaultContext extends FaultShape {
  /** Infrastructure the run will start (`server: spawn` starts the broker as a process). */
  readonly provides: readonly FaultNeed[];
  /** Seconds of producing, or null for a message-count run (faults end when producing does). */
  readonly durationS: number | null;
}

const NEED_HINT: Record<FaultNeed, string> = {
  "broker-process": "`server: spawn` (the harness restarts the broker it started)",
  proxy: "a broker over TCP",
  hosts: "a cluster in network namespaces (serverCluster with serverHosts: netns; root and ip)",
};

/**
 * Why a (schema-checked) fault cannot run in this workload, as `{field, message}` relative to the
 * fault, or null: its target must exist, the infrastructure it needs must be there, and it must end
 * while producing.
 */
export function faultProblem(
  fault: FaultSpec,
  context: FaultContext,
): { readonly field: string; readonly message: string } | null {
  const def = FAULTS[fault.kind];
  if (def.needs !== null && def.needs !== "proxy" && !context.provides.includes(def.needs)) {
    return { field: "kind", message: `${fault.kind} needs ${NEED_HINT[def.needs]}` };
  }
  const missing = missingTarget(targetOf(fault), context);
  if (missing !== null) return { field: "target", message: missing };
  if (context.durationS !== null && fault.at + fault.duration > context.durationS) {
    return {
      field: "duration",
      message: `the fault ends at ${round(fault.at + fault.duration)} s, after producing ends (durationS ${context.durationS})`,
    };
  }
  return null;
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/** Whether any fault of the list needs `need`. */
export function faultsNeed(faults: readonly FaultSpec[], need: FaultNeed): boolean {
  return faults.some((f) => FAULTS[f.kind].needs === need);
}
