/**
 * Hosts on one machine as network namespaces: N hosts, each a namespace `bb-<id>-<n>` with one
 * interface (`eth0`, a veth whose other end is a port of the bridge `bb-<id>` in the root
 * namespace) and its own address in a /24 the root namespace has no route for yet. The bridge holds
 * `.1`, so processes of the root namespace (the harness's clients) reach every host, and every host
 * reaches every other until `partition` cuts them.
 *
 * A partition is drawn inside the namespaces: each host gets a blackhole route to the address of
 * every host of another group, so packets between the groups are dropped at their sender (Linux
 * answers a local sender with EINVAL on connect; an open connection just stops hearing back, as
 * behind Jepsen's iptables DROP). No iptables here: routes are all that iproute2 needs. The root
 * namespace is never cut: the harness still sees every host.
 *
 * Needs root and `ip` (iproute2). Whoever creates hosts owns them and calls `destroy`; a run that
 * was killed leaves them behind, and `removeLeftoverHosts` (brokerbench clean) removes networks
 * whose creator is dead and in whose namespaces nothing runs.
 *
 * Not done: IPv6 (hosts have IPv4 only); a host reaching what listens on 127.0.0.1 of the root
 * namespace (loopback is per namespace: a host reaches the root namespace at `gateway`, so only
 * what listens there or on 0.0.0.0); latency or loss between hosts (`tc netem` on the veths would
 * do it); one-way partitions.
 */
import { type ChildProcess, execFile, type SpawnOptions, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

/** Every name this module gives starts so: `bb-<6 hex>` bridges, `bb-<6 hex>-<n>` namespaces. */
export const HOSTS_PREFIX = "bb-";
const NETWORK_NAME = /^bb-([0-9a-f]{6})$/;
const NAMESPACE_NAME = /^bb-([0-9a-f]{6})-(\d+)$/;
/** The bridge's alias: who made it, so a stale network is told from one in use. */
const OWNER_ALIAS = /^brokerbench hosts pid=(\d+)$/;
/** /24s tried, 10.<second>.<third>.0: a block private networks of this machine rarely use. */
const SUBNET_SECOND_OCTET = 213;
const MAX_HOSTS = 250;

export interface Host {
  /** 1-based, as partitions name hosts. */
  readonly index: number;
  /** The network namespace (`ip netns exec <namespace> …`). */
  readonly namespace: string;
  /** Its IPv4 address, reachable from the root namespace and (unless cut) from the other hosts. */
  readonly address: string;
}

/** The outcome of a command run to completion. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class HostsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostsError";
  }
}

function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr: err !== null && stderr === "" ? err.message : stderr });
    });
  });
}

/** `ip …`; throws a HostsError with ip's own message when it fails. */
async function ip(...args: string[]): Promise<string> {
  const r = await run("ip", args);
  if (r.code !== 0) throw new HostsError(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** Why hosts cannot be made on this machine (one line), or null when they can. */
export async function hostsUnavailable(): Promise<string | null> {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root (this process is not root)";
  const r = await run("ip", ["netns", "list"]);
  if (r.code !== 0) {
    return /ENOENT/.test(r.stderr)
      ? "`ip` (iproute2) is not on PATH: apt-get install iproute2"
      : `ip netns list failed: ${r.stderr.trim()}`;
  }
  return null;
}

/** A partition: groups of 1-based host indexes; hosts in no group stay reachable from all. */
export type PartitionGroups = readonly (readonly number[])[];

/** Why `groups` is not a partition of hosts 1 … `count`, or null. */
export function partitionProblem(groups: PartitionGroups, count: number): string | null {
  if (groups.length < 2) return "a partition needs at least two groups";
  const seen = new Set<number>();
  for (const group of groups) {
    if (group.length === 0) return "a partition group is empty";
    for (const h of group) {
      if (!Number.isInteger(h) || h < 1 || h > count) return `host ${h} does not exist (hosts 1 … ${count})`;
      if (seen.has(h)) return `host ${h} is in two groups`;
      seen.add(h);
    }
  }
  return null;
}

/**
 * For each host, the hosts it must not reach under `groups`: those of every other group (a host in
 * no group is cut from nobody). Symmetric by construction.
 */
export function cutsOf(groups: PartitionGroups): Map<number, number[]> {
  const cuts = new Map<number, number[]>();
  groups.forEach((group, g) => {
    const others = groups.filter((_, o) => o !== g).flat();
    for (const h of group)
      cuts.set(
        h,
        [...others].sort((a, b) => a - b),
      );
  });
  return cuts;
}

/** Third octets of 10.213.x.0/24 networks the root namespace already routes or addresses. */
async function takenSubnets(): Promise<Set<number>> {
  const taken = new Set<number>();
  const text = `${await ip("-4", "route", "show", "table", "all")}\n${await ip("-4", "-o", "addr", "show")}`;
  const re = new RegExp(`\\b10\\.${SUBNET_SECOND_OCTET}\\.(\\d+)\\.`, "g");
  for (const m of text.matchAll(re)) taken.add(Number(m[1]));
  return taken;
}

/** Devices of the root namespace with an address in 10.213.`third`.0/24. */
async function devicesOn(third: number): Promise<string[]> {
  const out = await ip("-4", "-o", "addr", "show");
  const prefix = `10.${SUBNET_SECOND_OCTET}.${third}.`;
  return out
    .split("\n")
    .filter((l) => l.includes(` ${prefix}`))
    .map((l) => l.split(/\s+/)[1] ?? "");
}

export interface CreateHostsOptions {
  /** Progress lines for the user. */
  readonly progress?: (line: string) => void;
}

/** N hosts on one bridge; see the module comment. */
export class HostNetwork {
  /** The network's id: its bridge is `bb-<id>`, its namespaces `bb-<id>-<n>`. */
  readonly id: string;
  readonly bridge: string;
  /** The bridge's address (`10.213.x.1`): the root namespace as the hosts see it. */
  readonly gateway: string;
  readonly hosts: readonly Host[];
  /** The blackhole routes in place, per host index. */
  private readonly cut = new Map<number, number[]>();
  private destroyed = false;

  private constructor(id: string, third: number, count: number) {
    this.id = id;
    this.bridge = `${HOSTS_PREFIX}${id}`;
    this.gateway = `10.${SUBNET_SECOND_OCTET}.${third}.1`;
    this.hosts = Array.from({ length: count }, (_, i) => ({
      index: i + 1,
      namespace: `${HOSTS_PREFIX}${id}-${i + 1}`,
      address: `10.${SUBNET_SECOND_OCTET}.${third}.${i + 2}`,
    }));
  }

  /**
   * Makes `count` hosts; on any failure removes what it made and throws a HostsError. The subnet is
   * one no interface of the root namespace uses (checked again after claiming it, since another
   * process may make hosts at the same moment).
   */
  static async create(count: number, options: CreateHostsOptions = {}): Promise<HostNetwork> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
      throw new HostsError(`hosts: count ${count} is not 1 … ${MAX_HOSTS}`);
    }
    const unavailable = await hostsUnavailable();
    if (unavailable !== null) throw new HostsError(`hosts: ${unavailable}`);
    const id = randomBytes(3).toString("hex");
    const bridge = `${HOSTS_PREFIX}${id}`;
    await ip("link", "add", bridge, "type", "bridge");
    try {
      await ip("link", "set", bridge, "alias", `brokerbench hosts pid=${process.pid}`);
      const third = await HostNetwork.claimSubnet(bridge);
      const network = new HostNetwork(id, third, count);
      options.progress?.(`hosts: ${count} namespaces on ${bridge} (10.${SUBNET_SECOND_OCTET}.${third}.0/24)`);
      await ip("link", "set", bridge, "up");
      for (const host of network.hosts) await network.addHost(host);
      return network;
    } catch (err) {
      await removeNetwork(id);
      throw err;
    }
  }

  private static async claimSubnet(bridge: string): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const taken = await takenSubnets();
      const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((x) => !taken.has(x));
      if (free.length === 0) throw new HostsError(`hosts: every 10.${SUBNET_SECOND_OCTET}.x.0/24 is in use`);
      const third = free[Math.floor(Math.random() * free.length)]!;
      await ip("addr", "add", `10.${SUBNET_SECOND_OCTET}.${third}.1/24`, "dev", bridge);
      const users = await devicesOn(third);
      if (users.length === 1) return third;
      // Another network took it at the same moment: give it up and draw again.
      await ip("addr", "flush", "dev", bridge);
    }
    throw new HostsError("hosts: no free subnet after 20 attempts");
  }

  private async addHost(host: Host): Promise<void> {
    const ns = host.namespace;
    const veth = `${this.bridge}-${host.index}`;
    await ip("netns", "add", ns);
    await ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("link", "set", veth, "master", this.bridge, "up");
    await ip("-n", ns, "link", "set", "lo", "up");
    await ip("-n", ns, "addr", "add", `${host.address}/24`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    await ip("-n", ns, "route", "add", "default", "via", this.gateway);
  }

  host(index: number): Host {
    const h = this.hosts[index - 1];
    if (h === undefined) throw new HostsError(`no host ${index} (hosts 1 … ${this.hosts.length})`);
    return h;
  }

  /** The command line that runs `command args` inside host `index` (for spawn, or a service's recipe). */
  commandIn(index: number, command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: "ip", args: ["netns", "exec", this.host(index).namespace, command, ...args] };
  }

  /** Starts `command` in host `index`; the pid is the command's own (`ip netns exec` execs it). */
  spawn(index: number, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const c = this.commandIn(index, command, args);
    return spawn(c.command, c.args, options);
  }

  /** Runs `command` in host `index` to completion. */
  exec(index: number, command: string, args: readonly string[], timeoutMs?: number): Promise<CommandResult> {
    const c = this.commandIn(index, command, args);
    return run(c.command, c.args, timeoutMs);
  }

  /**
   * Cuts the hosts into `groups` (1-based indexes; a host in no group keeps every link). Replaces
   * the partition in place, if any. Throws a HostsError on groups that are not a partition.
   */
  async partition(groups: PartitionGroups): Promise<void> {
    this.assertLive();
    const problem = partitionProblem(groups, this.hosts.length);
    if (problem !== null) throw new HostsError(`partition ${JSON.stringify(groups)}: ${problem}`);
    await this.heal();
    for (const [index, others] of cutsOf(groups)) {
      const ns = this.host(index).namespace;
      const done: number[] = [];
      this.cut.set(index, done);
      for (const other of others) {
        await ip("-n", ns, "route", "add", "blackhole", `${this.host(other).address}/32`);
        done.push(other);
      }
    }
  }

  /** The groups cut now, as blackholes per host (empty when whole). */
  cuts(): ReadonlyMap<number, readonly number[]> {
    return new Map(this.cut);
  }

  /** Every host reaches every other again. */
  async heal(): Promise<void> {
    for (const [index, others] of this.cut) {
      const ns = this.host(index).namespace;
      for (const other of others) {
        await ip("-n", ns, "route", "del", "blackhole", `${this.host(other).address}/32`);
      }
    }
    this.cut.clear();
  }

  /** Removes the namespaces, veths and bridge. Processes still running in a host lose their network. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.cut.clear();
    await removeNetwork(this.id);
  }

  private assertLive(): void {
    if (this.destroyed) throw new HostsError(`hosts ${this.id} were destroyed`);
  }

  /**
   * The network of a running service made earlier by another process (its namespaces exist): for
   * partitions from a process that did not create it. Cuts made by that process are not known here;
   * `heal` removes every blackhole route of the hosts.
   */
  static async attach(id: string, third: number, count: number): Promise<HostNetwork> {
    const network = new HostNetwork(id, third, count);
    const present = new Set(await namespaces());
    const absent = network.hosts.filter((h) => !present.has(h.namespace));
    if (absent.length > 0) {
      throw new HostsError(`hosts ${id}: namespace ${absent.map((h) => h.namespace).join(", ")} is gone`);
    }
    for (const h of network.hosts) {
      const routes = await ip("-n", h.namespace, "-4", "route", "show", "type", "blackhole");
      const cut = [...routes.matchAll(/blackhole ([\d.]+)/g)]
        .map((m) => network.hosts.find((o) => o.address === m[1])?.index)
        .filter((x): x is number => x !== undefined);
      if (cut.length > 0) network.cut.set(h.index, cut);
    }
    return network;
  }

  /** The /24's third octet, to `attach` from another process. */
  get subnetOctet(): number {
    return Number(this.gateway.split(".")[2]);
  }
}

async function namespaces(): Promise<string[]> {
  const out = await ip("netns", "list");
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n !== "");
}

async function bridges(): Promise<{ name: string; alias: string | null }[]> {
  const out = await ip("-j", "link", "show", "type", "bridge");
  const links = JSON.parse(out === "" ? "[]" : out) as { ifname: string; ifalias?: string }[];
  return links.map((l) => ({ name: l.ifname, alias: l.ifalias ?? null }));
}

/** Names of the veths in the root namespace (the hosts' ends are named as their namespaces). */
async function veths(): Promise<string[]> {
  const out = await ip("-j", "link", "show", "type", "veth");
  const links = JSON.parse(out === "" ? "[]" : out) as { ifname: string }[];
  return links.map((l) => l.ifname);
}

/**
 * Removes network `id`'s veths, namespaces and bridge, whatever is left of them: for a process
 * other than the one that made them too (a service stopped from another invocation). Nothing to
 * remove is not an error. The veths are deleted first, both ends at once: deleting a namespace
 * only unnames it, and the kernel takes its veths away once the namespace is torn down, after the
 * last process in it has exited — a node killed just before may still hold it (a CI run saw the
 * veths of a destroyed network still listed).
 */
export async function removeNetwork(id: string): Promise<void> {
  const errors: string[] = [];
  for (const veth of await veths()) {
    if (NAMESPACE_NAME.exec(veth)?.[1] !== id) continue;
    const r = await run("ip", ["link", "delete", veth]);
    // Gone meanwhile: its namespace's teardown took it.
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) errors.push(`${veth}: ${r.stderr.trim()}`);
  }
  for (const ns of await namespaces()) {
    const m = NAMESPACE_NAME.exec(ns);
    if (m?.[1] !== id) continue;
    const r = await run("ip", ["netns", "delete", ns]);
    if (r.code !== 0) errors.push(`${ns}: ${r.stderr.trim()}`);
  }
  const bridge = `${HOSTS_PREFIX}${id}`;
  if ((await bridges()).some((b) => b.name === bridge)) {
    const r = await run("ip", ["link", "delete", bridge]);
    if (r.code !== 0) errors.push(`${bridge}: ${r.stderr.trim()}`);
  }
  if (errors.length > 0) throw new HostsError(`hosts ${id}: could not remove ${errors.join("; ")}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A network of hosts found on the machine, and whether it is still in use. */
export interface FoundNetwork {
  readonly id: string;
  readonly namespaces: readonly string[];
  readonly bridge: string | null;
  /** The process that made it, when the bridge says so. */
  readonly ownerPid: number | null;
  /** Pids running inside its namespaces. */
  readonly pids: readonly number[];
  /** Its maker is gone and nothing runs in it: safe to remove. */
  readonly stale: boolean;
}

/** Every network of hosts on this machine (namespaces and bridges named `bb-…`). */
export async function findHostNetworks(): Promise<FoundNetwork[]> {
  const byId = new Map<string, { namespaces: string[]; bridge: string | null; alias: string | null }>();
  const entry = (id: string) => {
    let e = byId.get(id);
    if (e === undefined) {
      e = { namespaces: [], bridge: null, alias: null };
      byId.set(id, e);
    }
    return e;
  };
  for (const ns of await namespaces()) {
    const m = NAMESPACE_NAME.exec(ns);
    if (m !== null) entry(m[1]!).namespaces.push(ns);
  }
  for (const b of await bridges()) {
    const m = NETWORK_NAME.exec(b.name);
    if (m === null) continue;
    const e = entry(m[1]!);
    e.bridge = b.name;
    e.alias = b.alias;
  }
  const found: FoundNetwork[] = [];
  for (const [id, e] of byId) {
    const owner = OWNER_ALIAS.exec(e.alias ?? "");
    const ownerPid = owner === null ? null : Number(owner[1]);
    const pids: number[] = [];
    for (const ns of e.namespaces) {
      const r = await run("ip", ["netns", "pids", ns]);
      for (const p of r.stdout.split(/\s+/)) if (/^\d+$/.test(p)) pids.push(Number(p));
    }
    const stale = (ownerPid === null || !alive(ownerPid)) && pids.length === 0;
    found.push({ id, namespaces: e.namespaces, bridge: e.bridge, ownerPid, pids, stale });
  }
  return found;
}

/** Removes every stale network (see FoundNetwork.stale); returns what it removed and what it left. */
export async function removeLeftoverHosts(): Promise<{ removed: FoundNetwork[]; inUse: FoundNetwork[] }> {
  if ((await hostsUnavailable()) !== null) return { removed: [], inUse: [] };
  const found = await findHostNetworks();
  const removed: FoundNetwork[] = [];
  for (const n of found.filter((f) => f.stale)) {
    await removeNetwork(n.id);
    removed.push(n);
  }
  return { removed, inUse: found.filter((f) => !f.stale) };
}
