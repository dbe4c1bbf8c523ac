/**
 * What a fault acts on, as the fault table (kinds.ts) sees it: small interfaces the runner
 * implements over its clients, and the infrastructure it started (a broker process, a proxy).
 * Nothing here knows how a broker is started: the reference broker's child process
 * (spawned-broker.ts) is one BrokerControl; services started through harness/services are others.
 */
import type { ClusterControl } from "./cluster.js";
import type { BrokerTarget, ConsumerTarget, ProducerTarget } from "./targets.js";

/** One consumer slot of the run; a crashed consumer is replaced in place by a new process. */
export interface ConsumerControl {
  /** Kills the consumer abruptly (no commit, no ack); resolves when it is dead. */
  crash(): Promise<void>;
  /** A new consumer process takes a crashed one's place (nothing when it is not crashed). */
  replace(): Promise<void>;
  /** Stops reading until `untilMs` (wall clock), or reads at `slowRate` messages a second. */
  stall(untilMs: number, slowRate: number | null): void;
  unstall(): void;
}

/** A broker process (or a node of a cluster) the run may kill and restart. */
export interface BrokerControl {
  /** SIGKILL: nothing flushed beyond what its flush policy already wrote. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data; resolves when it serves. */
  restart(): Promise<void>;
}

/** Every client's connections to the broker (the fault proxy). */
export interface NetworkControl {
  setLatency(ms: number): void;
  setBandwidth(bytesPerSec: number | null): void;
  setBlackhole(on: boolean): void;
  setReset(on: boolean): void;
}

export interface FaultEnv {
  consumer(target: ConsumerTarget): ConsumerControl;
  setAckLoss(target: ProducerTarget, lost: boolean): void;
  /** The broker process; throws when the run did not start one. */
  broker(target: BrokerTarget): BrokerControl;
  /** The cluster the run started (`serverCluster`); throws when it started none. */
  cluster(): ClusterControl;
  /** The proxy in front of the broker; throws when the run has none. */
  network(): NetworkControl;
  /**
   * An outage cuts every client off: `cut` runs, every consumer crashes, producer lanes whose sends
   * fail wait for the end.
   */
  beginOutage(cut: () => Promise<void>): Promise<void>;
  /** `heal` runs, then the clients reconnect as new processes and producing goes on. */
  endOutage(heal: () => Promise<void>): Promise<void>;
  /**
   * After an outage: when the broker served again, and when the run was served again (an
   * acknowledgement, and every partition of every group read by a live consumer, after the
   * clients reconnected; null when not within `timeoutMs`). Null when no outage was healed.
   */
  awaitService(timeoutMs: number): Promise<Recovery | null>;
}

/** How an outage ended, in wall-clock ms. */
export interface Recovery {
  /** The broker served again (restarted, connections let through). */
  readonly healedMs: number;
  /** The run was served again, or null when not within the time allowed. */
  readonly servedMs: number | null;
}
