/**
 * Interns byte ranges (topics, keys, groups, process ids) without decoding them: an open
 * addressing table keyed by FNV-1a over the bytes. `takeNew` hands over the names added since
 * its last call, decoded once each.
 */
const decoder = new TextDecoder();

export class ByteInterner {
  private pool = new Uint8Array(1 << 12);
  private poolUsed = 0;
  private starts = new Int32Array(256);
  private lens = new Int32Array(256);
  private table = new Int32Array(1024); // id + 1, 0 = empty
  private mask = 1023;
  size = 0;
  private reported = 0;

  private last = -1;

  intern(s: Uint8Array, a: number, b: number): number {
    const len = b - a;
    const last = this.last;
    // Most lines repeat the previous name (one topic, one group): compare before hashing.
    if (last >= 0 && this.lens[last] === len) {
      const st = this.starts[last]!;
      let k = 0;
      while (k < len && this.pool[st + k] === s[a + k]) k++;
      if (k === len) return last;
    }
    const id = this.lookup(s, a, b);
    this.last = id;
    return id;
  }

  private lookup(s: Uint8Array, a: number, b: number): number {
    let h = 0x811c9dc5;
    for (let i = a; i < b; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    const len = b - a;
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.lens[id] === len) {
        const st = this.starts[id]!;
        let same = true;
        for (let k = 0; k < len; k++)
          if (this.pool[st + k] !== s[a + k]) {
            same = false;
            break;
          }
        if (same) return id;
      }
      slot = (slot + 1) & this.mask;
    }
    const id = this.size++;
    if (id === this.starts.length) {
      const ns = new Int32Array(id * 2);
      ns.set(this.starts);
      this.starts = ns;
      const nl = new Int32Array(id * 2);
      nl.set(this.lens);
      this.lens = nl;
    }
    if (this.poolUsed + len > this.pool.length) {
      const np = new Uint8Array(Math.max(this.pool.length * 2, this.poolUsed + len));
      np.set(this.pool);
      this.pool = np;
    }
    this.pool.set(s.subarray(a, b), this.poolUsed);
    this.starts[id] = this.poolUsed;
    this.lens[id] = len;
    this.poolUsed += len;
    this.table[slot] = id + 1;
    if (this.size * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const n = this.table.length * 2;
    this.table = new Int32Array(n);
    this.mask = n - 1;
    for (let id = 0; id < this.size; id++) {
      const st = this.starts[id]!;
      let h = 0x811c9dc5;
      for (let i = st; i < st + this.lens[id]!; i++) h = Math.imul(h ^ this.pool[i]!, 0x01000193);
      let slot = h & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = id + 1;
    }
  }

  /** Names interned since the previous call, in id order. */
  takeNew(): string[] {
    const out: string[] = [];
    for (let id = this.reported; id < this.size; id++)
      out.push(decoder.decode(this.pool.subarray(this.starts[id]!, this.starts[id]! + this.lens[id]!)));
    this.reported = this.size;
    return out;
  }
}
