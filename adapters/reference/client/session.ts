/**
 * Where the client's producers and consumers get their broker. Each holds a `BrokerSession`: the
 * broker interface plus the life of its connection. In process every session is the same `Broker`
 * (nothing to open or close); over TCP each is a connection of its own, as real clients have, so
 * killing a consumer drops its connection without a goodbye.
 */
import { BrokerUnreachableError } from "../../contract.js";
import type { BrokerApi } from "../broker/api.js";
import type { Broker } from "../broker/broker.js";
import { RemoteBroker } from "./remote-broker.js";

export const REFERENCE_VERSION = "0.1.0";

export interface BrokerSession {
  readonly broker: BrokerApi;
  /** Leaves: closes the connection once what was sent went out (in process: nothing to close). */
  close(): Promise<void>;
  /** Drops the connection at once, as a crashed client (in process: nothing to drop). */
  kill(): void;
  /** `listener` runs once if the connection is lost while open (in process: never). */
  onLost(listener: (err: Error) => void): void;
}

export interface BrokerDialer {
  /** A session for one more client. */
  dial(): Promise<BrokerSession>;
  /** The broker's version and how it is reached, for the report. */
  describe(admin: BrokerSession): string;
  /** Releases what the dialer owns (an in-process broker it opened). */
  close(): Promise<void>;
}

/** Sessions on an in-process broker; `owned`: closed with the adapter. */
export function inProcess(broker: Broker, owned: boolean): BrokerDialer {
  const session: BrokerSession = {
    broker,
    close: () => Promise.resolve(),
    kill: () => {},
    onLost: () => {},
  };
  return {
    dial: () => Promise.resolve(session),
    describe: () => `${REFERENCE_VERSION} (embedded, memory)`,
    close: () => (owned ? broker.close() : Promise.resolve()),
  };
}

/** A connection per session to a `brokerbench broker` server; an unreachable server is named. */
export function overTcp(address: { readonly host: string; readonly port: number }): BrokerDialer {
  return {
    async dial() {
      let remote: RemoteBroker;
      try {
        remote = await RemoteBroker.connect({ ...address, connectTimeoutMs: 3000 });
      } catch (err) {
        throw new BrokerUnreachableError("reference", `${address.host}:${address.port}`, err);
      }
      return {
        broker: remote,
        close: () => remote.close(),
        kill: () => remote.destroy(),
        onLost: (listener) => remote.onClose(listener),
      };
    },
    describe: (admin) => {
      const remote = admin.broker as RemoteBroker;
      return `${remote.brokerVersion} (server ${remote.address})`;
    },
    close: () => Promise.resolve(),
  };
}
