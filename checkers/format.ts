/** The verdict as text for `brokerbench check`: per group, every anomaly's count and witnesses. */
import { ANOMALIES, type Anomaly, type AnomalyFinding, type Verdict } from "./verdict.js";

/** Anomalies of the log itself, reported under `log` rather than per group. */
export const LOG_ANOMALIES: readonly Anomaly[] = [
  "duplicate-write",
  "inconsistent-offset",
  "nonmonotonic-send",
  "total-order",
];
export const GROUP_ANOMALIES: readonly Anomaly[] = ANOMALIES.filter((a) => !LOG_ANOMALIES.includes(a));

export function formatVerdict(v: Verdict, source: string): string {
  const out: string[] = [];
  const m = v.messages;
  out.push(
    `${source}: ${v.lines} lines; ${m.attempted} messages attempted, ${m.acknowledged} acknowledged, ` +
      `${m.failed} failed, ${m.unknown} unknown`,
  );
  out.push(
    `expect delivery ${v.expect.delivery}, order ${v.expect.order}; forbidden: ${v.forbidden.join(", ")}`,
  );
  const section = (
    title: string,
    anomalies: readonly Anomaly[],
    found: Partial<Record<Anomaly, AnomalyFinding>>,
  ) => {
    out.push("", title);
    const width = Math.max(...anomalies.map((a) => a.length));
    for (const a of anomalies) {
      const f = found[a];
      const mark = f && v.forbidden.includes(a) ? "  FORBIDDEN" : "";
      out.push(`  ${a.padEnd(width)} ${String(f?.count ?? 0).padStart(8)}${mark}`);
      for (const w of f?.witnesses ?? []) {
        out.push(`      ${w.message}`);
        for (const l of w.lines) out.push(`        ${String(l.line).padStart(7)}: ${l.text}`);
      }
    }
  };
  for (const g of v.groups) {
    const drained = g.drained ? "drained" : "not drained: loss not judged";
    section(
      `group ${g.group} (${drained}; ${g.delivered} delivered, ${g.recovered} recovered)`,
      GROUP_ANOMALIES,
      g.anomalies,
    );
  }
  section("log", LOG_ANOMALIES, v.log);
  if (v.warnings.length > 0) {
    out.push("", "warnings");
    for (const w of v.warnings) out.push(`  ${w}`);
  }
  const broken = v.forbidden.filter((a) => v.counts[a] > 0).map((a) => `${a} ${v.counts[a]}`);
  out.push("", v.valid ? "VALID" : `INVALID: ${broken.join(", ")}`);
  return out.join("\n");
}
