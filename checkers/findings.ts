/**
 * Where checker families report anomalies: counts every occurrence, keeps the first N witnesses
 * of each (anomaly, group). A witness is described lazily so that millions of occurrences cost a
 * counter increment each, not a string.
 */
import { ANOMALIES, type Anomaly } from "./verdict.js";

/** An occurrence before its lines are read back: message, line numbers, the id to show. */
export interface RawWitness {
  readonly message: string;
  readonly lines: readonly number[];
  /** Ids to centre a long line on: the first of them the line holds past its start. */
  readonly focus?: string | readonly string[];
}

/** Group -1 holds anomalies of the log itself. */
export const LOG = -1;

export class Findings {
  private readonly counts = new Map<number, Int32Array>();
  private readonly witnesses = new Map<string, RawWitness[]>();
  constructor(readonly witnessLimit: number) {}

  report(anomaly: Anomaly, group: number, describe: () => RawWitness): void {
    const a = ANOMALIES.indexOf(anomaly);
    let c = this.counts.get(group);
    if (c === undefined) {
      c = new Int32Array(ANOMALIES.length);
      this.counts.set(group, c);
    }
    c[a]!++;
    if (c[a]! <= this.witnessLimit) {
      const k = `${group}|${anomaly}`;
      let list = this.witnesses.get(k);
      if (list === undefined) {
        list = [];
        this.witnesses.set(k, list);
      }
      list.push(describe());
    }
  }

  count(anomaly: Anomaly, group: number): number {
    return this.counts.get(group)?.[ANOMALIES.indexOf(anomaly)] ?? 0;
  }

  witnessesOf(anomaly: Anomaly, group: number): readonly RawWitness[] {
    return this.witnesses.get(`${group}|${anomaly}`) ?? [];
  }

  total(anomaly: Anomaly): number {
    let n = 0;
    const a = ANOMALIES.indexOf(anomaly);
    for (const c of this.counts.values()) n += c[a]!;
    return n;
  }
}
