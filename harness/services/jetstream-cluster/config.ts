/**
 * The configuration file of one nats-server of a 3-node JetStream cluster, as a pure function:
 * its own client, route and monitoring ports and store directory, a route to every member (its own
 * is ignored by the server), and a server name the cluster's answers use (`n1` … `n3`, so a stream
 * leader's name gives the node id).
 */
export const JETSTREAM_CLUSTER_NODES = 3;
export const CLUSTER_NAME = "brokerbench";

export interface NatsNodeConfig {
  /** "1", "2", "3". */
  readonly id: string;
  readonly host: string;
  readonly clientPort: number;
  readonly routePort: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  /** Route ports of every member, in node order. */
  readonly routePorts: readonly number[];
  /** Addresses of every member, in node order (`hosts: netns`); default: all on `host`. */
  readonly routeHosts?: readonly string[];
}

/** The server name of node `id`. */
export function serverName(id: string): string {
  return `n${id}`;
}

/** The node id a server name stands for, or null when it is not one of ours. */
export function nodeOfServer(name: string): string | null {
  return /^n(\d+)$/.exec(name)?.[1] ?? null;
}

const quote = (s: string) => JSON.stringify(s);

export function natsServerConfig(c: NatsNodeConfig): string {
  const routes = c.routePorts
    .map((p, i) => `    ${quote(`nats-route://${c.routeHosts?.[i] ?? c.host}:${p}`)}`)
    .join("\n");
  return `server_name: ${quote(serverName(c.id))}
listen: ${quote(`${c.host}:${c.clientPort}`)}
http: ${quote(`${c.host}:${c.monitorPort}`)}
jetstream {
  store_dir: ${quote(c.storeDir)}
}
cluster {
  name: ${quote(CLUSTER_NAME)}
  listen: ${quote(`${c.host}:${c.routePort}`)}
  routes: [
${routes}
  ]
}
`;
}
