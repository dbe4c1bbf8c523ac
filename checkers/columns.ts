/**
 * Growable typed columns: the indexes hold tens of millions of entries, so they live in typed
 * arrays (4–8 bytes an entry) rather than arrays of objects.
 */
export class Int32Column {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
  grow(min: number): void {
    let cap = this.data.length * 2;
    while (cap < min) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** Sets the capacity to exactly `capacity` when larger (a size known in advance). */
  reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = new Int32Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** Extends to `length` entries, filling new ones with `fill`. */
  resize(length: number, fill: number): void {
    if (length > this.data.length) this.grow(length);
    if (length > this.length) this.data.fill(fill, this.length, length);
    this.length = length;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class Float64Column {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
  grow(min: number): void {
    let cap = this.data.length * 2;
    while (cap < min) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** Sets the capacity to exactly `capacity` when larger (a size known in advance). */
  reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = new Float64Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  resize(length: number, fill: number): void {
    if (length > this.data.length) this.grow(length);
    if (length > this.length) this.data.fill(fill, this.length, length);
    this.length = length;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export class Uint8Column {
  data: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint8Array(capacity);
  }
  grow(min: number): void {
    let cap = this.data.length * 2;
    while (cap < min) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** Sets the capacity to exactly `capacity` when larger (a size known in advance). */
  reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = new Uint8Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  resize(length: number, fill: number): void {
    if (length > this.data.length) this.grow(length);
    if (length > this.length) this.data.fill(fill, this.length, length);
    this.length = length;
  }
  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

/** Strings to dense integers, in first-seen order. */
export class Interner {
  private readonly map = new Map<string, number>();
  readonly names: string[] = [];
  intern(name: string): number {
    let i = this.map.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.map.set(name, i);
      this.names.push(name);
    }
    return i;
  }
  get size(): number {
    return this.names.length;
  }
}
