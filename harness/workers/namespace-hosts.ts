/**
 * Several "hosts" on this machine for distributed runs (issue 17, part 4): network namespaces
 * joined by a bridge (harness/hosts), a private nats-server in host 1 and one `brokerbench worker`
 * in each further host, listening on its host's address with a token (not loopback), so that the
 * coordinator in the root namespace drives them as it would remote machines. Needs root and `ip`
 * (HostNetwork says why not) and the machine's nats-server.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostNetwork } from "../hosts/index.js";
import { WorkerClient } from "./client.js";
import { cliEntry, stopChild, workerAddressOf } from "./local.js";

const NATS_PORT = 4222;
const WORKER_PORT = 7878;

export class NamespaceHosts {
  /** The broker's url as every host reaches it (host 1's address). */
  readonly natsUrl: string;
  readonly clients: readonly WorkerClient[];
  private constructor(
    private readonly network: HostNetwork,
    private readonly children: readonly ChildProcess[],
    private readonly dir: string,
    natsUrl: string,
    clients: WorkerClient[],
  ) {
    this.natsUrl = natsUrl;
    this.clients = clients;
  }

  /** `workers` hosts with a worker each, and the broker's host. */
  static async start(workers: number): Promise<NamespaceHosts> {
    const network = await HostNetwork.create(workers + 1);
    const dir = await mkdtemp(join(tmpdir(), "bb-ns-workers-"));
    const children: ChildProcess[] = [];
    try {
      const token = randomBytes(16).toString("hex");
      const tokenFile = join(dir, "token");
      await writeFile(tokenFile, token, { mode: 0o600 });
      const broker = network.host(1).address;
      children.push(
        network.spawn(1, "nats-server", ["-a", broker, "-p", String(NATS_PORT)], { stdio: "ignore" }),
      );
      await waitForPort(network, broker, NATS_PORT);
      const started = network.hosts.slice(1).map((h) => {
        const child = network.spawn(
          h.index,
          process.execPath,
          [cliEntry(), "worker", "--listen", `${h.address}:${WORKER_PORT}`, "--token-file", tokenFile],
          { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, BROKERBENCH_TOKEN: "" } },
        );
        children.push(child);
        return workerAddressOf(child);
      });
      const clients = (await Promise.all(started)).map((at) => new WorkerClient(at, token));
      return new NamespaceHosts(network, children, dir, `nats://${broker}:${NATS_PORT}`, clients);
    } catch (err) {
      for (const c of children) await stopChild(c);
      await network.destroy();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Stops the workers and the broker, removes the namespaces and the token. */
  async stop(): Promise<void> {
    for (const c of this.children) await stopChild(c);
    await this.network.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Until something listens on address:port (tried from the root namespace), at most 10 s. */
async function waitForPort(network: HostNetwork, address: string, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: address, port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${address}:${port} in ${network.bridge} after 10 s`);
}
