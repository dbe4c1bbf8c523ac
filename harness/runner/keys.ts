/** Message keys by the workload's key distribution (`k0` … `k{keyCount-1}`). */
import type { KeyDistribution } from "../workload/index.js";

export class KeyGenerator {
  private readonly names: readonly string[];
  private readonly distribution: KeyDistribution;
  private next: number;

  constructor(distribution: KeyDistribution, keyCount: number, seed: number) {
    this.distribution = distribution;
    this.names = distribution === "none" ? [] : Array.from({ length: keyCount }, (_, i) => `k${i}`);
    // Producers start at different keys so round-robin spreads from the first batch.
    this.next = seed % Math.max(1, keyCount);
  }

  /** Keys for a batch of `count`, or null when messages carry no key. */
  batch(count: number): (string | null)[] | null {
    if (this.distribution === "none") return null;
    const n = this.names.length;
    const out = new Array<string>(count);
    if (this.distribution === "round-robin") {
      for (let i = 0; i < count; i++) {
        out[i] = this.names[this.next]!;
        this.next = this.next + 1 === n ? 0 : this.next + 1;
      }
    } else {
      for (let i = 0; i < count; i++) out[i] = this.names[Math.floor(Math.random() * n)]!;
    }
    return out;
  }
}
