/** Fault targets (`consumer:0`, `group:g2/consumer:1`, `producer:0`) → the runner's clients. */
import type { GroupState } from "./consumer-loop.js";

export class FaultTargets {
  private readonly consumersPerGroup: number;

  constructor(consumersPerGroup: number) {
    this.consumersPerGroup = consumersPerGroup;
  }

  /** Index of the consumer slot (groups in order, their consumers in order); `consumer:N` is in g1. */
  consumer(target: string, groups: readonly GroupState[]): number {
    const m = /^(?:group:([^/]+)\/)?consumer:(\d+)$/.exec(target);
    const group = groups.findIndex((g) => g.name === (m?.[1] ?? "g1"));
    const index = Number(m?.[2]);
    if (!m || group < 0 || !(index < this.consumersPerGroup)) throw new Error(`no consumer ${target}`);
    return group * this.consumersPerGroup + index;
  }

  /** Index of the producer (`producer:N`). */
  producer(target: string): number {
    const m = /^producer:(\d+)$/.exec(target);
    if (!m) throw new Error(`no producer ${target}`);
    return Number(m[1]);
  }
}
