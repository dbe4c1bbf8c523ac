/** `brokerbench list`: the built-in workloads and the adapters with their capabilities and settings. */
import type { Argv } from "yargs";
import {
  type AdapterFactory,
  type Capabilities,
  capabilitiesOf,
  DELIVERY_STYLES,
  type DeliveryMode,
  deliveryModesOf,
} from "../../../adapters/contract.js";
import { ADAPTERS } from "../../../adapters/registry.js";
import { EXIT } from "../../../core/errors.js";
import { builtinSummaries } from "../../workload/builtin-index.js";
// Not summary.ts: that one loads the results schema (zod), which listing does not need.
import { renderTable } from "../table.js";
import { defineCommand } from "./command.js";

/** A delivery mode, marked when only one of the adapter's delivery styles has it ("exactly-once (pull only)"). */
function modeLabel(c: Capabilities, mode: DeliveryMode): string {
  const styles = DELIVERY_STYLES.filter((s) => c[s]);
  const with_ = styles.filter((s) => deliveryModesOf(c, s).includes(mode));
  return with_.length < styles.length && with_.length > 0 ? `${mode} (${with_.join(", ")} only)` : mode;
}

/** One row per adapter, one column per capability: the matrix a user compares brokers by. */
export function capabilityMatrix(adapters: readonly AdapterFactory[]): string {
  const mark = (flag: boolean) => (flag ? "yes" : "-");
  const rows = adapters.map((a) => {
    const c = capabilitiesOf(a, {});
    return [
      a.name,
      c.model,
      mark(c.push),
      mark(c.pull),
      mark(c.queue),
      mark(c.pubsub),
      mark(c.replay),
      mark(c.partitions),
      mark(c.idempotentProduce),
      mark(c.filtering === true),
      mark(c.predicates === true),
      c.deliveryModes.map((m) => modeLabel(c, m)).join(", "),
      c.ordering,
    ];
  });
  return renderTable(
    [
      "adapter",
      "model",
      "push",
      "pull",
      "queue",
      "pub-sub",
      "replay",
      "partitions",
      "idempotent",
      "patterns",
      "predicates",
      "delivery modes",
      "order",
    ],
    rows,
  );
}

export async function listText(): Promise<string> {
  const rows: string[][] = [];
  for (const [name, w] of await builtinSummaries()) rows.push([name, String(w.runs), w.description]);
  const out = ["Workloads (brokerbench run <name>, or a path to a .yaml file)", ""];
  out.push(renderTable(["name", "runs", "description"], rows), "");
  out.push("Adapters (--adapter <name>[,<name>...] | all) and what each can do", "");
  out.push(capabilityMatrix(ADAPTERS), "");
  out.push("Adapter settings (--set key=value, or adapter.key=value for one adapter)", "");
  for (const a of ADAPTERS) {
    out.push(`${a.name}: ${a.description}`);
    for (const [k, s] of Object.entries(a.settings)) {
      out.push(`  --set ${k}=${s.default === "" ? "…" : s.default}  ${s.description}`);
    }
    out.push("");
  }
  if (ADAPTERS.length === 0) out.push("(none registered)");
  return out.join("\n").trimEnd();
}

export const listCommand = defineCommand<Record<string, never>>({
  command: "list",
  describe: "List the built-in workloads and the adapters with their capabilities and settings",
  builder: (y) => y as unknown as Argv<Record<string, never>>,
  run: async () => {
    console.log(await listText());
    return EXIT.ok;
  },
});
