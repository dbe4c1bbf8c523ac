/**
 * A tiny in-memory writer of the shared history format (docs/HISTORY.md) for adapter tests.
 * The runner's own recorder lives in harness/history/; this one only keeps lines in memory so a
 * test can hand them to the checkers (or write them to a file for `brokerbench check`).
 */

import { monoNs } from "../../core/clock.js";
import { decodePayload, messageId } from "../../core/payload.js";
import type { Assignment, CommitValue, Delivery, SendAck } from "../contract.js";

export type HistoryLine = Record<string, unknown> & {
  readonly type: "invoke" | "ok" | "fail" | "info";
  readonly f: "meta" | "send" | "poll" | "commit" | "assign" | "crash" | "drain";
  readonly time: number;
};

export interface SentMessage {
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
}

/** The history id a delivery carries in its payload. */
export function deliveryId(d: Delivery): string {
  const h = decodePayload(d.payload);
  return messageId(h.process, h.sequence);
}

export class TestHistory {
  readonly lines: HistoryLine[] = [];

  private push(line: Omit<HistoryLine, "time">): void {
    this.lines.push({ ...line, time: monoNs() } as HistoryLine);
  }

  meta(value: {
    adapter: string;
    workload: string;
    model: "log" | "queue";
    expect: { delivery: string; order: string };
  }): void {
    this.push({ type: "ok", f: "meta", value: { format: 1, ...value } });
  }

  sendInvoke(process: number, messages: readonly SentMessage[]): void {
    this.push({ type: "invoke", f: "send", process, value: messages.map(sentValue) });
  }

  sendOk(process: number, messages: readonly SentMessage[], acks: readonly SendAck[]): void {
    const value = messages.map((m, i) => ({
      ...sentValue(m),
      partition: acks[i]?.partition ?? 0,
      offset: acks[i]?.offset ?? null,
    }));
    this.push({ type: "ok", f: "send", process, value });
  }

  /** `definite`: the broker certainly did not take the batch (`fail`); otherwise unknown (`info`). */
  sendFailed(process: number, messages: readonly SentMessage[], definite: boolean): void {
    this.push({ type: definite ? "fail" : "info", f: "send", process, value: messages.map(sentValue) });
  }

  pollInvoke(process: number, group: string): void {
    this.push({ type: "invoke", f: "poll", process, group });
  }

  pollOk(process: number, group: string, deliveries: readonly Delivery[]): void {
    const value = deliveries.map((d) => ({
      id: deliveryId(d),
      topic: d.topic,
      partition: d.partition,
      offset: d.offset,
      redelivered: d.redelivered,
    }));
    this.push({ type: "ok", f: "poll", process, group, value });
  }

  /** Recorded before the commit is sent: a crash before its `ok` leaves the outcome unknown. */
  commitInvoke(process: number, group: string): void {
    this.push({ type: "invoke", f: "commit", process, group });
  }

  /** A commit that threw: outcome unknown (`info`), so the process id is spent (HISTORY.md). */
  commitUnknown(process: number, group: string, error: string): void {
    this.push({ type: "info", f: "commit", process, group, error });
  }

  /** Queue-model commits carry the acknowledged ids, which only the payloads know. */
  commit(process: number, group: string, committed: CommitValue, deliveries: readonly Delivery[]): void {
    const value =
      committed.kind === "offsets"
        ? committed.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
        : { ids: deliveries.slice(0, committed.count).map(deliveryId) };
    this.push({ type: "ok", f: "commit", process, group, value });
  }

  assign(process: number, group: string, assignment: Assignment): void {
    this.push({
      type: "ok",
      f: "assign",
      process,
      group,
      value: { partitions: assignment.partitions, from: assignment.from },
    });
  }

  crash(process: number): void {
    this.push({ type: "info", f: "crash", process });
  }

  drain(group: string, complete: boolean): void {
    this.push(
      complete
        ? { type: "ok", f: "drain", group, value: { complete: true } }
        : { type: "ok", f: "drain", group },
    );
  }

  toJsonl(): string {
    return this.lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
  }
}

function sentValue(m: SentMessage): Record<string, unknown> {
  return m.key === null ? { id: m.id, topic: m.topic } : { id: m.id, topic: m.topic, key: m.key };
}
