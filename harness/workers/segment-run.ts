/**
 * A worker's part of one distributed run, through the runner's own phases (harness/runner): plan,
 * connect and set up its consumers and producers (not the topics: the coordinator's), produce on
 * the coordinator's schedule, then — once the coordinator's drain says so — tear down (its clients;
 * not the topics) and report what it measured. The history it recorded joins the coordinator's.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findAdapter } from "../../adapters/registry.js";
import { adoptClockOffset } from "../../core/clock.js";
import {
  connect,
  errorMessage,
  openSession,
  planRun,
  prepare,
  produce,
  type RunSession,
  teardown,
  watchInterrupt,
} from "../runner/index.js";
import type { WorkloadRun } from "../workload/index.js";
import type { SegmentProgress, SegmentReport, SegmentRequest } from "./protocol.js";

export class SegmentRun {
  private readonly session: RunSession;
  private readonly dir: string;
  private readonly interrupt: AbortController;
  private readonly unwatch: () => void;
  private finished: SegmentReport | null = null;

  private constructor(session: RunSession, dir: string, interrupt: AbortController) {
    this.session = session;
    this.dir = dir;
    this.interrupt = interrupt;
    this.unwatch = watchInterrupt(session);
  }

  /** Connects and sets up the segment; every consumer is assigned when it returns. */
  static async open(request: SegmentRequest): Promise<SegmentRun> {
    adoptClockOffset(request.clockOffsetMs);
    // Named by the worker's pid: what a killed worker left is told apart (and removed by its test).
    const dir = await mkdtemp(join(tmpdir(), `bb-worker-${process.pid}-`));
    const interrupt = new AbortController();
    const options = {
      run: request.run as unknown as WorkloadRun,
      runId: request.runId,
      factory: findAdapter(request.adapter),
      settings: request.settings,
      dir,
      history: request.history,
      historyEncoding: request.historyEncoding,
      check: null,
      signal: interrupt.signal,
      segment: request.segment,
    };
    try {
      const { plan, refusal } = planRun(options);
      if (refusal !== null) throw new Error(refusal.reason);
      const connected = await connect(plan, options);
      if ("error" in connected) throw new Error(connected.error);
      const session = await openSession(plan, options, connected.infrastructure, connected.adapter);
      const run = new SegmentRun(session, dir, interrupt);
      try {
        await prepare(session);
      } catch (err) {
        await run.finish();
        await run.discard();
        throw err;
      }
      return run;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Produces from `startMs` (the coordinator's clock, which this worker's now reads) to the end. */
  async produce(startMs: number): Promise<number> {
    try {
      return (await produce(this.session, startMs)).producingS;
    } catch (err) {
      this.session.log.fail(errorMessage(err));
      this.session.ctx.abort.aborted = true;
      return 0;
    }
  }

  /** Stops producing at the next batch (the coordinator was interrupted, or lost a worker). */
  stopProducing(): void {
    this.interrupt.abort();
  }

  progress(): SegmentProgress {
    const { metrics, clients, plan } = this.session;
    return {
      sentMsgs: metrics.sentMsgs,
      ackedMsgs: metrics.ackedMsgs,
      distinctPerGroup: plan.groups.map((_, g) => metrics.distinctTo(g)),
      lastDeliveryMs: clients.groups.map((g) => g.lastDeliveryMs),
      consumerFailed: clients.groups.map((g) =>
        clients.consumers.some((c) => c.plan.group === g && c.error !== null),
      ),
    };
  }

  /** Closes the clients and flushes the history; what the segment measured. Idempotent. */
  async finish(): Promise<SegmentReport> {
    if (this.finished !== null) return this.finished;
    const { session } = this;
    this.unwatch();
    const consumerError = session.clients.consumers.find((c) => c.error !== null)?.error;
    if (consumerError) session.log.fail(consumerError);
    await teardown(session);
    this.finished = {
      error: session.log.error,
      warnings: session.log.warnings,
      faultLog: session.log.faultLog,
      firstSendFailure: session.log.firstSendFailure,
      versions: { ...session.versions },
      metrics: session.metrics.export() as SegmentReport["metrics"],
    };
    return this.finished;
  }

  /** The recorded history's path (after `finish`), or null without one. */
  get historyPath(): string | null {
    return this.session.recorder === null ? null : this.session.historyPath;
  }

  /** Removes what the segment kept on this host (its history). */
  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
