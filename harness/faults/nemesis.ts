/**
 * Generated fault schedules, in the style of Jepsen's nemesis: `nemesis: {kind, every, jitter,
 * duration, count, seed}` expands into a list of faults of one kind, one every `every` seconds
 * (each moved by up to ± `jitter`, drawn from a generator seeded with `seed`), so a schedule of a
 * hundred broker kills is one line and the same seed gives the same schedule. The expansion is
 * what the run executes and what results.json shows (`params.faults`, `params.nemesis.seed`).
 */
import { randomInt } from "node:crypto";
import { z } from "zod";
import {
  CONFLICT_POLICIES,
  FAULT_KINDS,
  FAULT_PARAMS,
  FAULTS,
  type FaultSpec,
  faultSchema,
} from "./kinds.js";
import { TARGET_FORMS } from "./targets.js";

export const nemesisSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS).describe("the fault kind every generated fault has"),
  target: z
    .preprocess((v) => (Array.isArray(v) ? JSON.stringify(v) : v), z.string().min(1))
    .optional()
    .describe("what each fault strikes (default: broker, for kinds that take it)"),
  every: z.number().positive().describe("seconds between one fault's start and the next one's"),
  jitter: z.number().min(0).default(0).describe("each start moves by a uniform ± jitter seconds"),
  duration: z.number().positive().describe("seconds each fault lasts"),
  from: z.number().min(0).optional().describe("when the first fault is due (default: every)"),
  count: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("faults to generate (default: as many as fit in durationS)"),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional()
    .describe("seed of the jitter (default: a random one, written into results.json)"),
  latencyMs: FAULT_PARAMS.latencyMs.optional(),
  bytesPerSec: FAULT_PARAMS.bytesPerSec.optional(),
  slowRate: FAULT_PARAMS.slowRate.optional(),
  onConflict: z.enum(CONFLICT_POLICIES).optional(),
});
export type NemesisSpec = z.output<typeof nemesisSchema>;

/** A fresh seed for a schedule that names none. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31 - 1);
}

/** Mulberry32: a small, fast generator of uniform numbers in [0, 1), fully determined by its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class NemesisError extends Error {
  /** The nemesis field at fault, e.g. `count`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "NemesisError";
    this.field = field;
  }
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/**
 * The faults a nemesis stands for (`seed` must be set), sorted by start. `durationS` is the run's
 * producing time, or null for a message-count run (then `count` is required). Throws NemesisError
 * naming the field when the schedule cannot be honoured.
 */
export function expandNemesis(
  n: NemesisSpec & { readonly seed: number },
  durationS: number | null,
): FaultSpec[] {
  const def = FAULTS[n.kind];
  const target = n.target ?? (def.targets.includes("broker") ? "broker" : null);
  if (target === null) {
    const examples = def.targets.map((f) => TARGET_FORMS[f].example).join(" or ");
    throw new NemesisError("target", `${n.kind} needs a target (${examples})`);
  }
  if (durationS === null && n.count === undefined) {
    throw new NemesisError("count", "a run with a message count instead of a duration needs count");
  }
  const random = seededRandom(n.seed);
  const first = n.from ?? n.every;
  const faults: FaultSpec[] = [];
  for (let k = 0; n.count === undefined || k < n.count; k++) {
    const at = round(Math.max(0, first + k * n.every + (random() * 2 - 1) * n.jitter));
    if (durationS !== null && at + n.duration > durationS) {
      if (n.count === undefined) break;
      throw new NemesisError(
        "count",
        `${n.count} faults every ${n.every} s from ${first} s: fault ${k + 1} would end at ${round(at + n.duration)} s, ` +
          `after producing ends (durationS ${durationS})`,
      );
    }
    const fault = {
      at,
      duration: n.duration,
      kind: n.kind,
      target,
      ...(n.latencyMs !== undefined ? { latencyMs: n.latencyMs } : {}),
      ...(n.bytesPerSec !== undefined ? { bytesPerSec: n.bytesPerSec } : {}),
      ...(n.slowRate !== undefined ? { slowRate: n.slowRate } : {}),
      ...(n.onConflict !== undefined ? { onConflict: n.onConflict } : {}),
    };
    // The fault table checks each generated fault as it would a written one.
    const checked = faultSchema.safeParse(fault);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new NemesisError(String(issue?.path[0] ?? "kind"), issue?.message ?? "invalid fault");
    }
    faults.push(checked.data);
  }
  // Jitter may move a fault before its predecessor; the schedule lists them by start.
  faults.sort((a, b) => a.at - b.at);
  if (faults.length === 0) {
    throw new NemesisError(
      "from",
      `no fault fits: the first would end after producing ends (durationS ${durationS})`,
    );
  }
  return faults;
}
