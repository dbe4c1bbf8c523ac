/**
 * Phase 3, produce: the run's clock starts, producers follow their schedule for the duration (or
 * message count) while the faults strike on theirs and a late group joins; when producing ends,
 * active faults end too and crashed consumers are replaced, so the groups can drain.
 */
import { wallMs } from "../../core/clock.js";
import type { BacklogReport } from "../../core/results.js";
import { BacklogMode } from "./backlog.js";
import type { ConsumerLoop, GroupState } from "./consumer-loop.js";
import { KeyGenerator } from "./keys.js";
import { groupPredicate, PropertyCycle } from "./predicates.js";
import { type ProducerOutcome, runProducer } from "./producer-loop.js";
import { errorMessage } from "./run-log.js";
import type { RunSession } from "./setup.js";

/** After a failed send on a cluster, how long a lane waits before going on (leader election takes seconds). */
const CLUSTER_RETRY_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ProduceOutcome {
  /** Seconds producing lasted. */
  readonly producingS: number;
  /** Backlog mode: how the backlog built and drained. */
  readonly backlog: BacklogReport | null;
}

/**
 * `startAtMs`: when producing starts (wall clock); a distributed run's coordinator gives every
 * worker the same one. Default: at once.
 */
export async function produce(session: RunSession, startAtMs?: number): Promise<ProduceOutcome> {
  const { plan, clients, metrics, ctx, faults, faultEnv, outage, log, monitor } = session;
  const w = plan.workload;
  const producersTotal = clients.producerCount;
  const startMs = startAtMs ?? wallMs() + 5;
  metrics.begin(startMs);
  const backlog = w.backlogBytes === null ? null : new BacklogMode(session, startMs, w.backlogBytes);
  const fixedEndMs = w.messages === null ? startMs + w.durationS * 1000 : Number.POSITIVE_INFINITY;
  // In backlog mode producing ends a measured time after the backlog has drained.
  const endMs = backlog === null ? () => fixedEndMs : () => backlog.endMs();
  const keyGens = Array.from(
    { length: producersTotal },
    (_, i) => new KeyGenerator(w.keys, w.keyCount, i * 7919),
  );
  const ratePerProducer = typeof w.rate === "number" ? w.rate / producersTotal : null;
  const properties = w.predicates === null ? null : new PropertyCycle(w.predicates);
  const spec = w.predicates;
  const groupPredicates = spec === null ? undefined : plan.groups.map((_, g) => groupPredicate(spec, g));
  const limits = splitEvenly(w.messages, producersTotal);

  const onCluster = session.infrastructure.cluster !== null;
  session.producing.active = true;
  monitor.start(startMs);
  faults?.arm(startMs, w.messages === null && backlog === null ? fixedEndMs : null);
  const backlogDone = backlog?.run().catch((err) => log.fail(`backlog mode: ${errorMessage(err)}`));
  const lateGroup = clients.groups.find((g) => g.start !== undefined);
  const lateJoin =
    lateGroup === undefined || w.lateGroup === null
      ? null
      : joinLate(session, lateGroup, w.lateGroup.consumers, startMs + w.lateGroup.joinAtS * 1000).catch(
          (err) => log.fail(`the late group could not join: ${errorMessage(err)}`),
        );

  const outcomes: ProducerOutcome[] = await Promise.all(
    clients.producers.map((p, local) => {
      // The producer's index in the whole run (a worker runs some of them): its lanes, keys, topic, share.
      const i = clients.producerIndex[local]!;
      return runProducer(
        p,
        {
          lanes: Array.from({ length: w.inFlight }, (_, l) => clients.laneProcess(i, l)),
          nextProcess: clients.newProcess,
          ackLost: () => faultEnv.ackLoss.has(i),
          // An at-most-once producer never sends a message twice: a lost acknowledgement stays unknown.
          retryLostAcks: w.deliveryMode !== "at-most-once",
          messageIds: clients.messageIds,
          recover: async () => {
            const after = await outage.recover(local);
            if (after !== null || !onCluster) return after;
            // A cluster member's fault is no outage: the client stays and finds the new leader.
            // The failed send spent its process; the lane goes on as a new one after a pause.
            await sleep(CLUSTER_RETRY_MS);
            return ctx.abort.aborted ? null : (clients.producers[local] ?? null);
          },
          topic: clients.topics[i % clients.topics.length]!,
          ratePerSec: ratePerProducer,
          batchSize: w.batchSize,
          messageSize: w.messageSize,
          limit: limits[i] ?? null,
          startMs,
          warmupEndMs: w.warmupS > 0 ? metrics.warmupEndMs : null,
          endMs,
          keys: keyGens[i]!,
          properties,
          ...(groupPredicates === undefined ? {} : { groupPredicates }),
        },
        ctx,
      );
    }),
  );
  session.producing.active = false;
  monitor.phase = "draining";
  const producingS = (wallMs() - startMs) / 1000;
  backlog?.stop();
  await backlogDone;
  await lateJoin;
  // Faults end with producing: crashed consumers are replaced before the groups drain.
  await faults?.stop();
  for (const o of outcomes) {
    for (const line of o.warnings) log.warn(line);
    for (const line of o.faultLog) log.fault(line);
    log.firstSendFailure ??= o.firstFailure;
  }
  const producerErrors = outcomes.filter((o) => o.error !== null);
  if (faults !== null) await clients.waitForAssignments();
  if (producerErrors.length === clients.producers.length && log.error === null) {
    log.fail(`every producer failed: ${producerErrors[0]?.error}`);
  }
  return { producingS, backlog: backlog?.report() ?? null };
}

/** The late group's consumers join at `atMs`; a `latest` group is then owed only what follows. */
async function joinLate(session: RunSession, g: GroupState, count: number, atMs: number): Promise<void> {
  const { clients, ctx, metrics, log } = session;
  await sleep(Math.max(0, atMs - wallMs()));
  if (ctx.abort.aborted || ctx.abort.stopProducing) return;
  const loops: ConsumerLoop[] = [];
  for (let c = 0; c < count; c++) loops.push(await clients.createConsumerLoop(g));
  for (const loop of loops) {
    clients.consumers.push(loop);
    await loop.start();
  }
  await clients.waitForAssignments(loops);
  g.joinedAckedMsgs = g.start === "latest" ? metrics.ackedMsgs : 0;
  if (g.start === "latest") {
    log.warn(
      `late group ${g.name} started at latest after ${g.joinedAckedMsgs} acknowledged message(s): ` +
        "its losses are not judged (the checker does not take from: latest into account)",
    );
  }
}

/** `total` split over `n` parts, the first ones taking the remainder; all null without a total. */
function splitEvenly(total: number | null, n: number): (number | null)[] {
  if (total === null) return Array.from({ length: n }, () => null);
  const each = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => each + (i < total % n ? 1 : 0));
}
