/** `HOST:PORT` as the worker's --listen and the coordinator's --worker take it. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` (host may be a DNS name); null when it is not one. */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(text.trim());
  if (m === null) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Whether only this host can reach the address (no token needed there). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
