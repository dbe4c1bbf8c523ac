/**
 * Everything a run measures: publish and end-to-end latency (from the intended send time and from
 * the actual send), throughput, backlog, and a per-second time series.
 *
 * Called from the hot path once per batch (`onAcked`, `onDelivered`) and once per run of equal
 * latencies (`onEndToEnd`): a producer batch shares one intended and one actual send time, and a
 * delivered batch one receive time, so the consumer loop records each distinct value once with its
 * count instead of once per message.
 *
 * Warmup: a message counts in the figures when its intended send time is at or after the end of
 * warmup; the time series covers the whole run.
 */

import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";
import { valueAtPercentile } from "../../core/percentile.js";
import type { LatencyPair, TimeSample } from "../../core/results.js";
import { newHistogram, percentiles, toMicros } from "./latency.js";
import { SeenIds } from "./seen-ids.js";

export interface MetricsSummary {
  readonly ackedMsgs: number;
  readonly failedMsgs: number;
  readonly unknownMsgs: number;
  readonly sentMsgs: number;
  /** How far behind schedule a fixed-rate producer was when the warmup ended (the most of any), 0 if none. */
  readonly warmupDelayDroppedMs: number;
  readonly deliveredMsgs: Readonly<Record<string, number>>;
  readonly throughput: {
    readonly publishMsgsPerSec: number;
    readonly publishMBPerSec: number;
    readonly consumeMsgsPerSec: number;
    readonly consumeMBPerSec: number;
  };
  readonly latency: { readonly publish: LatencyPair; readonly endToEnd: LatencyPair };
  readonly backlog: { readonly maxMsgs: number; readonly finalMsgs: number };
  readonly timeseries: readonly TimeSample[];
}

/**
 * One process's measurements as a worker hands them to its coordinator: counters, the histograms
 * (HdrHistogram, compressed base64: merged exactly) and the per-second series with each second's
 * histograms, so that the run's figures are computed once over every worker's messages.
 */
export interface MetricsExport {
  readonly sentMsgs: number;
  readonly ackedMsgs: number;
  readonly failedMsgs: number;
  readonly unknownMsgs: number;
  readonly deliveredPerGroup: readonly number[];
  readonly distinctPerGroup: readonly number[];
  readonly measuredAcked: number;
  readonly measuredDelivered: number;
  readonly lastAckMs: number;
  readonly lastDeliveryMs: number;
  /** Absent from a worker of an older version. */
  readonly warmupDelayDroppedMs?: number | undefined;
  readonly histograms: {
    readonly publishCorrected: string;
    readonly publishUncorrected: string;
    readonly e2eCorrected: string;
    readonly e2eUncorrected: string;
  };
  readonly samples: readonly TimeSample[];
  /** Per sample (same order): that second's publish and end-to-end histograms. */
  readonly intervals: readonly { readonly publish: string; readonly e2e: string }[];
}

export class RunMetrics {
  private startAtMs: number;
  private readonly warmupMs: number;
  /** startMs + warmup, kept as a field: the hot path compares against it once per batch. */
  private warmupEnd: number;
  private readonly messageBytes: number;
  private readonly groups: readonly string[];

  private readonly publishCorrected = newHistogram();
  private readonly publishUncorrected = newHistogram();
  private readonly e2eCorrected = newHistogram();
  private readonly e2eUncorrected = newHistogram();
  private readonly intervalPublish = newHistogram();
  private readonly intervalE2e = newHistogram();

  private sentCount = 0;
  private ackedCount = 0;
  private failedCount = 0;
  private unknownCount = 0;
  private readonly deliveredPerGroup: number[];
  private readonly seenPerGroup: SeenIds[];
  /** Messages counted in the figures (after warmup) and the time span they cover. */
  private measuredAcked = 0;
  private measuredDelivered = 0;
  private lastAckMs = 0;
  private lastDeliveryMs = 0;
  private warmupDelayDropped = 0;

  private readonly samples: TimeSample[] = [];
  private nextSampleMs: number;
  private intervalPublished = 0;
  private intervalConsumed = 0;
  private maxBacklog = 0;
  private owedPerGroup: number[] | null = null;
  /** Kept for `export` (a worker's): each second's histograms, encoded as the second closes. */
  private readonly intervals: { publish: string; e2e: string }[] | null;
  /** A merged instance's distinct counts per group (the workers' sum), instead of its own ids. */
  private distinctOverride: readonly number[] | null = null;

  /**
   * `startMs`: when the run's clock starts; a runner that sets up clients first creates the metrics
   * then and calls `begin` when producing starts (setup time is not run time).
   */
  constructor(options: {
    startMs: number;
    warmupS: number;
    messageBytes: number;
    groups: readonly string[];
    /** Keep each second's histograms, for `export` (a worker's metrics). */
    keepIntervals?: boolean;
  }) {
    this.intervals = options.keepIntervals === true ? [] : null;
    this.startAtMs = options.startMs;
    this.warmupMs = options.warmupS * 1000;
    this.warmupEnd = options.startMs + this.warmupMs;
    this.messageBytes = options.messageBytes;
    this.groups = options.groups;
    this.deliveredPerGroup = options.groups.map(() => 0);
    this.seenPerGroup = options.groups.map(() => new SeenIds());
    this.nextSampleMs = options.startMs + 1000;
  }

  /** Starts the run's clock at `startMs` (wall clock): the time series and warmup count from there. */
  begin(startMs: number): void {
    this.startAtMs = startMs;
    this.warmupEnd = startMs + this.warmupMs;
    this.nextSampleMs = startMs + 1000;
  }

  get startMs(): number {
    return this.startAtMs;
  }

  get warmupEndMs(): number {
    return this.warmupEnd;
  }

  onSending(count: number): void {
    this.sentCount += count;
  }

  /** A batch of `count` messages, intended at `intendedMs`, sent at `sentMs`, acknowledged at `ackMs`. */
  onAcked(count: number, intendedMs: number, sentMs: number, ackMs: number): void {
    if (ackMs >= this.nextSampleMs) this.sample(ackMs);
    this.ackedCount += count;
    this.intervalPublished += count;
    const corrected = toMicros(ackMs - intendedMs);
    this.intervalPublish.recordValueWithCount(corrected, count);
    if (intendedMs >= this.warmupEnd) {
      this.publishCorrected.recordValueWithCount(corrected, count);
      this.publishUncorrected.recordValueWithCount(toMicros(ackMs - sentMs), count);
      this.measuredAcked += count;
      this.lastAckMs = ackMs;
    }
  }

  /**
   * A fixed-rate producer was `delayMs` behind schedule when the warmup ended and skipped the
   * warmup slots it had not sent (producer-loop.ts says why); the most of any producer is reported.
   */
  onWarmupDelayDropped(delayMs: number): void {
    this.warmupDelayDropped = Math.max(this.warmupDelayDropped, delayMs);
  }

  onSendFailed(count: number, definite: boolean): void {
    if (definite) this.failedCount += count;
    else this.unknownCount += count;
  }

  /**
   * `count` messages delivered to group number `group` (its index in `groups`) at `receiveMs`;
   * `processes[i]`/`sequences[i]` identify the i-th, so that redeliveries are told apart.
   */
  onDelivered(
    group: number,
    count: number,
    receiveMs: number,
    processes: ArrayLike<number>,
    sequences: ArrayLike<number>,
  ): void {
    if (receiveMs >= this.nextSampleMs) this.sample(receiveMs);
    this.deliveredPerGroup[group]! += count;
    this.intervalConsumed += count;
    const seen = this.seenPerGroup[group]!;
    for (let i = 0; i < count; i++) seen.add(processes[i]!, sequences[i]!);
  }

  /** `count` delivered messages with one intended and one actual send time, received at `receiveMs`. */
  onEndToEnd(count: number, intendedMs: number, sentMs: number, receiveMs: number): void {
    const corrected = toMicros(receiveMs - intendedMs);
    this.intervalE2e.recordValueWithCount(corrected, count);
    if (intendedMs >= this.warmupEnd) {
      this.e2eCorrected.recordValueWithCount(corrected, count);
      this.e2eUncorrected.recordValueWithCount(toMicros(receiveMs - sentMs), count);
      this.measuredDelivered += count;
      this.lastDeliveryMs = receiveMs;
    }
  }

  /**
   * Groups that receive only part of the messages (workload `predicates`): from the first call on,
   * a group is owed what `onOwed` counted for it instead of every acknowledged message.
   */
  onOwed(group: number, count: number): void {
    this.owedPerGroup ??= this.groups.map(() => 0);
    this.owedPerGroup[group]! += count;
  }

  /** Messages group number `group` is owed: every acknowledged one, or what `onOwed` counted. */
  owedTo(group: number): number {
    return this.owedPerGroup === null ? this.ackedCount : (this.owedPerGroup[group] ?? 0);
  }

  /** Owed and not yet delivered, summed over groups (never below 0 per group). */
  backlog(): number {
    let total = 0;
    for (let g = 0; g < this.deliveredPerGroup.length; g++)
      total += Math.max(0, this.owedTo(g) - this.distinctTo(g));
    return total;
  }

  /** Deliveries to the group, redeliveries included (what its consumers processed). */
  deliveredTo(group: number): number {
    return this.deliveredPerGroup[group] ?? 0;
  }

  /** Distinct messages the group has received: what it is owed, once caught up. */
  distinctTo(group: number): number {
    return this.distinctOverride?.[group] ?? this.seenPerGroup[group]?.size ?? 0;
  }

  get sentMsgs(): number {
    return this.sentCount;
  }

  get ackedMsgs(): number {
    return this.ackedCount;
  }

  /** Closes every whole second up to `nowMs` (called from the hot path and from a timer). */
  sample(nowMs: number): void {
    while (nowMs >= this.nextSampleMs) {
      const backlog = this.backlog();
      this.maxBacklog = Math.max(this.maxBacklog, backlog);
      this.samples.push({
        tS: Math.round((this.nextSampleMs - this.startMs) / 1000),
        publishedMsgs: this.intervalPublished,
        consumedMsgs: this.intervalConsumed,
        backlogMsgs: backlog,
        e2eP50Ms: this.intervalE2e.totalCount > 0 ? valueAtPercentile(this.intervalE2e, 50) / 1000 : null,
        e2eP99Ms: this.intervalE2e.totalCount > 0 ? valueAtPercentile(this.intervalE2e, 99) / 1000 : null,
        publishP99Ms:
          this.intervalPublish.totalCount > 0 ? valueAtPercentile(this.intervalPublish, 99) / 1000 : null,
      });
      this.intervals?.push({
        publish: encodeIntoCompressedBase64(this.intervalPublish),
        e2e: encodeIntoCompressedBase64(this.intervalE2e),
      });
      this.intervalPublished = 0;
      this.intervalConsumed = 0;
      this.intervalE2e.reset();
      this.intervalPublish.reset();
      this.nextSampleMs += 1000;
    }
  }

  summary(): MetricsSummary {
    const perSec = (n: number, endMs: number) => {
      const spanS = (endMs - this.warmupEndMs) / 1000;
      return spanS > 0 ? n / spanS : 0;
    };
    const publishMsgsPerSec = perSec(this.measuredAcked, this.lastAckMs);
    // Every group consumes the whole stream: the consume rate sums the groups (as OMB does).
    const consumeMsgsPerSec = perSec(this.measuredDelivered, this.lastDeliveryMs);
    const mb = (msgs: number) => (msgs * this.messageBytes) / (1024 * 1024);
    const backlog = this.backlog();
    return {
      sentMsgs: this.sentCount,
      ackedMsgs: this.ackedCount,
      failedMsgs: this.failedCount,
      unknownMsgs: this.unknownCount,
      warmupDelayDroppedMs: round(this.warmupDelayDropped),
      deliveredMsgs: Object.fromEntries(this.groups.map((g, i) => [g, this.deliveredPerGroup[i] ?? 0])),
      throughput: {
        publishMsgsPerSec: round(publishMsgsPerSec),
        publishMBPerSec: round(mb(publishMsgsPerSec)),
        consumeMsgsPerSec: round(consumeMsgsPerSec),
        consumeMBPerSec: round(mb(consumeMsgsPerSec)),
      },
      latency: {
        publish: pair(this.publishCorrected, this.publishUncorrected),
        endToEnd: pair(this.e2eCorrected, this.e2eUncorrected),
      },
      backlog: { maxMsgs: Math.max(this.maxBacklog, backlog), finalMsgs: backlog },
      timeseries: this.samples,
    };
  }

  /** This process's measurements for its coordinator (`keepIntervals` for the per-second histograms). */
  export(): MetricsExport {
    return {
      sentMsgs: this.sentCount,
      ackedMsgs: this.ackedCount,
      failedMsgs: this.failedCount,
      unknownMsgs: this.unknownCount,
      deliveredPerGroup: [...this.deliveredPerGroup],
      distinctPerGroup: this.groups.map((_, g) => this.distinctTo(g)),
      measuredAcked: this.measuredAcked,
      measuredDelivered: this.measuredDelivered,
      lastAckMs: this.lastAckMs,
      lastDeliveryMs: this.lastDeliveryMs,
      warmupDelayDroppedMs: this.warmupDelayDropped,
      histograms: {
        publishCorrected: encodeIntoCompressedBase64(this.publishCorrected),
        publishUncorrected: encodeIntoCompressedBase64(this.publishUncorrected),
        e2eCorrected: encodeIntoCompressedBase64(this.e2eCorrected),
        e2eUncorrected: encodeIntoCompressedBase64(this.e2eUncorrected),
      },
      samples: [...this.samples],
      intervals: [...(this.intervals ?? [])],
    };
  }

  /**
   * The run's metrics from its workers' exports: histograms added (exact: the same buckets as one
   * process recording every message), counters summed, each second's series merged by its `tS`
   * (the workers share the run's start). A second's backlog is the groups' owed minus consumed
   * up to it, over every worker (redeliveries count as consumed there; the final backlog counts
   * distinct messages). `startMs` is the run's start on the coordinator's clock.
   */
  static merged(
    parts: readonly MetricsExport[],
    options: { startMs: number; warmupS: number; messageBytes: number; groups: readonly string[] },
  ): RunMetrics {
    const m = new RunMetrics(options);
    for (const p of parts) {
      m.sentCount += p.sentMsgs;
      m.ackedCount += p.ackedMsgs;
      m.failedCount += p.failedMsgs;
      m.unknownCount += p.unknownMsgs;
      for (let g = 0; g < m.deliveredPerGroup.length; g++)
        m.deliveredPerGroup[g]! += p.deliveredPerGroup[g] ?? 0;
      m.measuredAcked += p.measuredAcked;
      m.measuredDelivered += p.measuredDelivered;
      m.lastAckMs = Math.max(m.lastAckMs, p.lastAckMs);
      m.lastDeliveryMs = Math.max(m.lastDeliveryMs, p.lastDeliveryMs);
      m.warmupDelayDropped = Math.max(m.warmupDelayDropped, p.warmupDelayDroppedMs ?? 0);
      m.publishCorrected.add(decode(p.histograms.publishCorrected));
      m.publishUncorrected.add(decode(p.histograms.publishUncorrected));
      m.e2eCorrected.add(decode(p.histograms.e2eCorrected));
      m.e2eUncorrected.add(decode(p.histograms.e2eUncorrected));
    }
    m.distinctOverride = options.groups.map((_, g) =>
      parts.reduce((a, p) => a + (p.distinctPerGroup[g] ?? 0), 0),
    );
    const seconds = new Map<
      number,
      { published: number; consumed: number; publish: Histogram; e2e: Histogram }
    >();
    for (const p of parts) {
      p.samples.forEach((s, i) => {
        let at = seconds.get(s.tS);
        if (at === undefined) {
          at = { published: 0, consumed: 0, publish: newHistogram(), e2e: newHistogram() };
          seconds.set(s.tS, at);
        }
        at.published += s.publishedMsgs;
        at.consumed += s.consumedMsgs;
        const h = p.intervals[i];
        if (h !== undefined) {
          at.publish.add(decode(h.publish));
          at.e2e.add(decode(h.e2e));
        }
      });
    }
    let published = 0;
    let consumed = 0;
    for (const tS of [...seconds.keys()].sort((a, b) => a - b)) {
      const at = seconds.get(tS)!;
      published += at.published;
      consumed += at.consumed;
      const backlog = Math.max(0, published * options.groups.length - consumed);
      m.maxBacklog = Math.max(m.maxBacklog, backlog);
      m.samples.push({
        tS,
        publishedMsgs: at.published,
        consumedMsgs: at.consumed,
        backlogMsgs: backlog,
        e2eP50Ms: at.e2e.totalCount > 0 ? valueAtPercentile(at.e2e, 50) / 1000 : null,
        e2eP99Ms: at.e2e.totalCount > 0 ? valueAtPercentile(at.e2e, 99) / 1000 : null,
        publishP99Ms: at.publish.totalCount > 0 ? valueAtPercentile(at.publish, 99) / 1000 : null,
      });
    }
    // Merged: no second closes any more.
    m.nextSampleMs = Number.POSITIVE_INFINITY;
    return m;
  }
}

function decode(base64: string): Histogram {
  return decodeFromCompressedBase64(base64, 32, false);
}

const round = (n: number) => Math.round(n * 100) / 100;

function pair(corrected: Histogram, uncorrected: Histogram): LatencyPair {
  return { corrected: percentiles(corrected), uncorrected: percentiles(uncorrected) };
}
