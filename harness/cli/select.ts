/**
 * `--only`: which points of the loaded workloads run. A point is kept when its id (the workload's
 * name and its matrix values, as `brokerbench run` names run directories, e.g.
 * `delivery-modes-deliveryMode=exactly-once-fault=broker-crash-durable`) contains every pattern
 * given; `*` in a pattern stands for any text. So `--only fault=broker-crash` keeps both crash
 * profiles of every mode, and adding `--only deliveryMode=exactly-once` narrows to that mode.
 */
import { UsageError } from "../../core/errors.js";

/** The points shown in an error, at most. */
const LISTED = 12;

function matcher(pattern: string): (id: string) => boolean {
  const parts = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(parts.join(".*"));
  return (id) => re.test(id);
}

export function selectPoints<T extends { readonly id: string }>(
  points: readonly T[],
  patterns: readonly string[],
): T[] {
  const wanted = patterns.map((p) => p.trim()).filter((p) => p !== "");
  if (wanted.length === 0) return [...points];
  const tests = wanted.map(matcher);
  const kept = points.filter((p) => tests.every((t) => t(p.id)));
  if (kept.length === 0) {
    const ids = points.map((p) => p.id);
    const shown = ids.slice(0, LISTED).join(", ") + (ids.length > LISTED ? `, … (${ids.length} in all)` : "");
    throw new UsageError(
      `${wanted.map((w) => `--only ${w}`).join(" ")}: no point of the workloads matches (points: ${shown})`,
    );
  }
  return kept;
}
