/**
 * `brokerbench clean [--adapter …]`: removes every resource brokerbench created on a broker (every
 * name starting with RESOURCE_PREFIX: topics, streams, queues, exchanges, groups), whatever run left
 * it, and says what it removed. Each adapter lists its broker's resources its own way (Adapter.clean);
 * one that cannot says so. It also removes the network namespaces and bridges (harness/hosts) a
 * killed run left: those whose maker is dead and in which nothing runs. Exit 0 when every broker asked was cleaned, 1 when one failed or could
 * not be reached, 2 on bad input.
 */
import type { Argv } from "yargs";
import { type AdapterFactory, RESOURCE_PREFIX } from "../../../adapters/contract.js";
import { EXIT, UsageError } from "../../../core/errors.js";
import { removeLeftoverHosts } from "../../hosts/index.js";
import { defineCommand } from "./command.js";
import { chooseAdapters, parseSettings } from "./run.js";

interface CleanArgs {
  readonly adapter: readonly string[];
  readonly set: readonly string[];
  readonly prefix: string;
}

/** What cleaning one adapter's broker came to, one line for the user. */
export interface CleanOutcome {
  readonly adapter: string;
  readonly ok: boolean;
  readonly line: string;
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One line on the namespaces of dead runs (harness/hosts): what was removed, what is in use. */
export async function cleanHosts(): Promise<CleanOutcome> {
  try {
    const { removed, inUse } = await removeLeftoverHosts();
    const kept = inUse.length === 0 ? "" : `; ${inUse.length} in use left alone`;
    const line =
      removed.length === 0
        ? `hosts: no leftover namespaces${kept}`
        : `hosts: removed ${removed.length} leftover network(s): ${removed.map((n) => `bb-${n.id} (${n.namespaces.length} namespaces)`).join(", ")}${kept}`;
    return { adapter: "hosts", ok: true, line };
  } catch (err) {
    return { adapter: "hosts", ok: false, line: `hosts: cleaning failed: ${errorMessage(err)}` };
  }
}

/** Connects to the adapter's broker and removes what carries `prefix`. */
export async function cleanBroker(
  factory: AdapterFactory,
  settings: Readonly<Record<string, string>>,
  prefix = RESOURCE_PREFIX,
): Promise<CleanOutcome> {
  const name = factory.name;
  if (name === "reference" && (settings["url"] ?? "") === "")
    return {
      adapter: name,
      ok: true,
      line: `${name}: embedded, nothing outlives a run (--set reference.url=host:port cleans a server)`,
    };
  let adapter: Awaited<ReturnType<AdapterFactory["connect"]>>;
  try {
    adapter = await factory.connect(settings);
  } catch (err) {
    return { adapter: name, ok: false, line: `${name}: ${errorMessage(err)}` };
  }
  try {
    if (adapter.clean === undefined)
      return {
        adapter: name,
        ok: true,
        line: `${name}: cannot list its broker's resources, so nothing was removed (see its README)`,
      };
    const removed = await adapter.clean(prefix);
    return {
      adapter: name,
      ok: true,
      line:
        removed.length === 0
          ? `${name}: nothing to remove`
          : `${name}: removed ${removed.length}: ${removed.join(", ")}`,
    };
  } catch (err) {
    return { adapter: name, ok: false, line: `${name}: cleaning failed: ${errorMessage(err)}` };
  } finally {
    await adapter.close().catch(() => {});
  }
}

export const cleanCommand = defineCommand<CleanArgs>({
  command: "clean",
  describe: `Remove every resource brokerbench created on the brokers (names starting with ${RESOURCE_PREFIX})`,
  builder: (y) =>
    y
      .option("adapter", {
        alias: "a",
        type: "string",
        array: true,
        default: ["all"],
        describe: "adapter(s) whose broker to clean: names (comma-separated or repeated), or all",
      })
      .option("set", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "adapter setting key=value, or adapter.key=value for one adapter (e.g. its url)",
      })
      .option("prefix", {
        type: "string",
        default: RESOURCE_PREFIX,
        describe: `remove only names starting with this (${RESOURCE_PREFIX}<nonce>: one run's); must start with ${RESOURCE_PREFIX}`,
      })
      .example("$0 clean", "every broker the adapters reach with their default settings")
      .example(
        "$0 clean -a rabbitmq --set url=amqp://u:p@host:5672",
        "one broker",
      ) as unknown as Argv<CleanArgs>,
  async run(args) {
    if (!args.prefix.startsWith(RESOURCE_PREFIX))
      throw new UsageError(
        `--prefix ${args.prefix}: must start with ${RESOURCE_PREFIX} (only what brokerbench created is removed)`,
      );
    const factories = chooseAdapters(args.adapter);
    const settings = parseSettings(args.set);
    const all = args.adapter.some((a) => a.split(",").includes("all"));
    let failed = false;
    for (const factory of factories) {
      const s = { ...settings.all, ...settings.byAdapter[factory.name] };
      const outcome = await cleanBroker(factory, s, args.prefix);
      // With `all`, a broker that is not there has nothing of ours to clean: said, not a failure.
      const unreachable = !outcome.ok && / cannot reach /.test(outcome.line);
      console.log(all && unreachable ? `${outcome.line} (skipped)` : outcome.line);
      if (!outcome.ok && !(all && unreachable)) failed = true;
    }
    // Not a broker: a killed run's namespaces, whichever adapter it ran (nothing without root).
    const hosts = await cleanHosts();
    console.log(hosts.line);
    if (!hosts.ok) failed = true;
    return failed ? EXIT.invalid : EXIT.ok;
  },
});
