/**
 * A loopback TCP proxy between the clients and a broker, for network faults: every connection to
 * the proxy is relayed to the broker, and while a fault is on the relay
 *   - latency:   delays every chunk by `ms` each way (order kept);
 *   - bandwidth: paces each direction to `bytesPerSec`;
 *   - blackhole: forwards nothing and opens no new upstream connection (a partition: what was held
 *                is delivered when it heals, as TCP would retransmit it);
 *   - reset:     resets every connection (RST) and refuses new ones the same way until it ends.
 * Chunks are queued per direction; a queue holding more than HIGH_WATER bytes pauses its source.
 */
import { createServer, type Server, Socket } from "node:net";

export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
}

const HIGH_WATER = 4 << 20;

/** One direction of one connection: a timed queue of chunks. */
class Lane {
  private readonly queue: { data: Buffer; at: number }[] = [];
  private queued = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly proxy: FaultProxy;
  private readonly from: Socket;
  private to: Socket | null = null;

  constructor(proxy: FaultProxy, from: Socket) {
    this.proxy = proxy;
    this.from = from;
    from.on("data", (data: Buffer) => this.push(data));
  }

  connect(to: Socket): void {
    this.to = to;
    this.pump();
  }

  private push(data: Buffer): void {
    const now = performance.now();
    let at = Math.max(now + this.proxy.latencyMs, this.lastAt);
    const rate = this.proxy.bytesPerSec;
    // Pacing: the chunk leaves once the previous ones have had their time on the wire.
    if (rate !== null) at = Math.max(at, this.lastAt) + (data.length * 1000) / rate;
    this.lastAt = at;
    this.queue.push({ data, at });
    this.queued += data.length;
    if (this.queued > HIGH_WATER) this.from.pause();
    this.pump();
  }

  /** Writes what is due; schedules itself for the next chunk. */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const to = this.to;
    if (to === null || to.destroyed || this.proxy.blackholed) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { data } = this.queue.shift()!;
      this.queued -= data.length;
      to.write(data);
    }
    if (this.queued <= HIGH_WATER / 2 && this.from.isPaused()) this.from.resume();
    const next = this.queue[0];
    if (next) this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(next.at - now)));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}

interface Relay {
  readonly client: Socket;
  upstream: Socket | null;
  readonly up: Lane;
  down: Lane | null;
}

export class FaultProxy {
  latencyMs = 0;
  bytesPerSec: number | null = null;
  blackholed = false;
  private resetting = false;
  private readonly server: Server;
  private readonly target: ProxyAddress;
  private readonly relays = new Set<Relay>();
  /** Connections accepted during a blackhole, connected upstream when it heals. */
  private readonly waiting: Relay[] = [];
  /** Where clients connect. */
  address: ProxyAddress = { host: "127.0.0.1", port: 0 };

  private constructor(target: ProxyAddress) {
    this.target = target;
    this.server = createServer({ noDelay: true }, (client) => this.accept(client));
  }

  /** Listens on a free loopback port in front of `target`. */
  static async start(target: ProxyAddress): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(0, "127.0.0.1", () => resolve());
    });
    const a = proxy.server.address();
    if (a === null || typeof a === "string") throw new Error("fault proxy: no address");
    proxy.address = { host: "127.0.0.1", port: a.port };
    return proxy;
  }

  private accept(client: Socket): void {
    if (this.resetting) {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const relay: Relay = { client, upstream: null, up: new Lane(this, client), down: null };
    this.relays.add(relay);
    const drop = () => this.drop(relay);
    client.on("error", drop);
    client.on("close", drop);
    if (this.blackholed) this.waiting.push(relay);
    else this.connectUpstream(relay);
  }

  private connectUpstream(relay: Relay): void {
    if (relay.client.destroyed) return;
    const upstream = new Socket();
    upstream.setNoDelay(true);
    relay.upstream = upstream;
    const down = new Lane(this, upstream);
    relay.down = down;
    const drop = () => this.drop(relay);
    upstream.on("error", drop);
    upstream.on("close", drop);
    upstream.connect(this.target.port, this.target.host, () => {
      relay.up.connect(upstream);
      down.connect(relay.client);
    });
  }

  private drop(relay: Relay): void {
    if (!this.relays.delete(relay)) return;
    relay.up.stop();
    relay.down?.stop();
    relay.client.destroy();
    relay.upstream?.destroy();
  }

  /** Delay added to every chunk, each way (0: none). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Bytes a second each way, per connection (null: unlimited). */
  setBandwidth(bytesPerSec: number | null): void {
    this.bytesPerSec = bytesPerSec;
  }

  /** A partition: nothing passes while on; held data and waiting connections go through after. */
  setBlackhole(on: boolean): void {
    this.blackholed = on;
    if (on) return;
    for (const r of this.waiting.splice(0)) this.connectUpstream(r);
    for (const r of this.relays) {
      r.up.pump();
      r.down?.pump();
    }
  }

  /** Resets every connection (RST both ways); while on, new connections are reset too. */
  setReset(on: boolean): void {
    this.resetting = on;
    if (!on) return;
    for (const r of [...this.relays]) {
      this.relays.delete(r);
      r.up.stop();
      r.down?.stop();
      if (!r.client.destroyed) r.client.resetAndDestroy();
      if (r.upstream && !r.upstream.destroyed) r.upstream.resetAndDestroy();
    }
  }

  /** Connections currently relayed. */
  get connections(): number {
    return this.relays.size;
  }

  async close(): Promise<void> {
    for (const r of [...this.relays]) this.drop(r);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
