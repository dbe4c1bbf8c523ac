/**
 * Which message ids (producer process, sequence) one group has received, as a bitset per producer
 * process: one bit a message, so a 10 M-message run costs ~1.2 MB a group. The drain and the
 * backlog compare what a group is owed with the *distinct* messages it holds: counted with
 * duplicates, a group that is redelivered its in-flight batches after a consumer crash would look
 * caught up while messages it never saw are still on their way.
 */
export class SeenIds {
  /** Keyed by process: a worker's process ids start at its base (k · 100 000), far apart. */
  private readonly bits = new Map<number, Uint8Array>();
  /** The last process looked up: deliveries come in runs from one producer. */
  private lastProcess = -1;
  private lastSet: Uint8Array | undefined;
  private distinctCount = 0;

  /** Marks the message; true the first time it is seen. */
  add(process: number, sequence: number): boolean {
    let set = process === this.lastProcess ? this.lastSet : this.bits.get(process);
    const byte = sequence >>> 3;
    if (set === undefined || byte >= set.length) {
      const grown = new Uint8Array(Math.max(1024, (byte + 1) * 2));
      if (set !== undefined) grown.set(set);
      this.bits.set(process, grown);
      set = grown;
    }
    this.lastProcess = process;
    this.lastSet = set;
    const mask = 1 << (sequence & 7);
    if ((set[byte]! & mask) !== 0) return false;
    set[byte] = set[byte]! | mask;
    this.distinctCount++;
    return true;
  }

  get size(): number {
    return this.distinctCount;
  }
}
