/**
 * The runner's side of the fault table: FaultEnv over the run's clients, its outage state and the
 * infrastructure it started, and the scheduler's actions read from the table.
 */
import { wallMs } from "../../core/clock.js";
import {
  type BrokerControl,
  type ConsumerControl,
  consumerSlot,
  describeTarget,
  FAULTS,
  type FaultActions,
  type FaultEnv,
  type FaultShape,
  type FaultSpec,
  type NetworkControl,
  targetOf,
} from "../faults/index.js";
import type { RunClients } from "./clients.js";
import type { RunInfrastructure } from "./infrastructure.js";
import type { Outage } from "./outage.js";

/** How long after an outage the run may take to be served again before the next fault goes ahead. */
export const RECOVERY_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RunFaultEnv implements FaultEnv {
  /** Producers (by index) whose acknowledgements are lost (producer-ack-loss). */
  readonly ackLoss = new Set<number>();
  private readonly clients: RunClients;
  private readonly outage: Outage;
  private readonly infrastructure: RunInfrastructure;
  private readonly shape: FaultShape;
  private readonly producing: () => boolean;
  /** Counts when the last outage began to heal: service is back when they move. */
  private healBaseline: { acked: number; delivered: Map<number, number> } | null = null;

  constructor(options: {
    clients: RunClients;
    outage: Outage;
    infrastructure: RunInfrastructure;
    shape: FaultShape;
    /** Whether producing is still under way (after it, no acknowledgement can show recovery). */
    producing: () => boolean;
  }) {
    this.clients = options.clients;
    this.outage = options.outage;
    this.infrastructure = options.infrastructure;
    this.shape = options.shape;
    this.producing = options.producing;
  }

  consumer(target: Parameters<FaultEnv["consumer"]>[0]): ConsumerControl {
    const slot = consumerSlot(target, this.shape);
    const clients = this.clients;
    return {
      crash: () => clients.crashConsumer(slot, describeTarget(target)),
      replace: () => clients.replaceConsumer(slot),
      stall: (untilMs, slowRate) => clients.slot(slot).stall(untilMs, slowRate),
      unstall: () => clients.slot(slot).unstall(),
    };
  }

  setAckLoss(target: Parameters<FaultEnv["setAckLoss"]>[0], lost: boolean): void {
    if (lost) this.ackLoss.add(target.index);
    else this.ackLoss.delete(target.index);
  }

  broker(): BrokerControl {
    const broker = this.infrastructure.broker;
    if (broker === null) throw new Error("this run started no broker process (server: spawn)");
    return broker;
  }

  network(): NetworkControl {
    const network = this.infrastructure.network;
    if (network === null) throw new Error("this run has no proxy in front of the broker");
    return network;
  }

  beginOutage(cut: () => Promise<void>): Promise<void> {
    return this.outage.begin(cut);
  }

  endOutage(heal: () => Promise<void>): Promise<void> {
    const m = this.clients.metrics;
    this.healBaseline = {
      acked: m.ackedMsgs,
      delivered: new Map(this.clients.groups.map((g) => [g.index, m.deliveredTo(g.index)])),
    };
    return this.outage.end(heal);
  }

  async awaitService(_sinceMs: number, timeoutMs: number): Promise<number | null> {
    const baseline = this.healBaseline;
    if (baseline === null) return null;
    const deadline = wallMs() + timeoutMs;
    const m = this.clients.metrics;
    // The groups that have consumers now (a late group counts once it has joined).
    const groups = [...new Set(this.clients.consumers.map((c) => c.plan.group.index))];
    while (wallMs() < deadline && this.producing()) {
      const served =
        m.ackedMsgs > baseline.acked &&
        groups.every((g) => m.deliveredTo(g) > (baseline.delivered.get(g) ?? 0));
      if (served) return wallMs();
      await sleep(2);
    }
    return null;
  }
}

/** The scheduler's actions: each fault's entry of the fault table, acting on `env`. */
export function tableActions(env: FaultEnv): FaultActions {
  return {
    start: (f: FaultSpec) => FAULTS[f.kind].start(f, targetOf(f), env),
    end: (f: FaultSpec) => FAULTS[f.kind].end(f, targetOf(f), env),
    holds: (f: FaultSpec) => FAULTS[f.kind].holds(targetOf(f)),
    settle: (f: FaultSpec, sinceMs: number) => FAULTS[f.kind].settle?.(env, sinceMs, RECOVERY_TIMEOUT_MS),
  };
}
