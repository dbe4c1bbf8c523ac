/**
 * A number per (a, b) pair of small dense integers (process × partition, ...): a flat typed
 * array while the product is modest, a Map beyond. `get` returns -1 for an unset pair.
 */
const FLAT_LIMIT = 1 << 23;

export class PairStore {
  private readonly flat: Int32Array | null;
  private readonly map: Map<number, number> | null;
  constructor(
    private readonly width: number,
    height: number,
  ) {
    const n = width * height;
    this.flat = n <= FLAT_LIMIT ? new Int32Array(n).fill(-1) : null;
    this.map = this.flat === null ? new Map() : null;
  }
  get(a: number, b: number): number {
    const k = a * this.width + b;
    return this.flat !== null ? this.flat[k]! : (this.map!.get(k) ?? -1);
  }
  set(a: number, b: number, v: number): void {
    const k = a * this.width + b;
    if (this.flat !== null) this.flat[k] = v;
    else this.map!.set(k, v);
  }
}
