/** `brokerbench list`: the built-in workloads and the adapters with their capabilities and settings. */
import type { Argv } from "yargs";
import type { Capabilities } from "../../adapters/contract.js";
import { ADAPTERS } from "../../adapters/registry.js";
import { EXIT } from "../errors.js";
import { renderTable } from "../summary.js";
import { builtinWorkloads, loadWorkloadFile, resolveWorkloadArg } from "../workload/index.js";
import { defineCommand } from "./command.js";

export function capabilityList(c: Capabilities): string {
  const yes = (flag: boolean, name: string) => (flag ? [name] : []);
  return [
    c.model,
    ...yes(c.push, "push"),
    ...yes(c.pull, "pull"),
    ...yes(c.queue, "queue"),
    ...yes(c.pubsub, "pub-sub"),
    ...yes(c.replay, "replay"),
    ...yes(c.partitions, "partitions"),
    ...yes(c.idempotentProduce, "idempotent"),
    `modes: ${c.deliveryModes.join("/")}`,
    `order: ${c.ordering}`,
  ].join(", ");
}

export async function listText(): Promise<string> {
  const rows: string[][] = [];
  for (const name of builtinWorkloads()) {
    const runs = await loadWorkloadFile(resolveWorkloadArg(name));
    rows.push([name, String(runs.length), runs[0]?.workload.description ?? ""]);
  }
  const out = ["Workloads (brokerbench run <name>, or a path to a .yaml file)", ""];
  out.push(renderTable(["name", "runs", "description"], rows), "");
  out.push("Adapters (--adapter <name>[,<name>...] | all; settings with --set key=value)", "");
  for (const a of ADAPTERS) {
    out.push(`${a.name}: ${a.description}`, `  capabilities: ${capabilityList(a.capabilities)}`);
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
