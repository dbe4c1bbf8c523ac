/**
 * The recorder's compact event stream, from the run's thread to the formatter (which may sit on a
 * worker thread): numbers in a Float64Array chunk, strings (topics, groups, keys, rare whole lines)
 * interned once in a table that travels with the chunk that first uses them.
 *
 *   SEND_INVOKE process time topic source firstSeq count hasKeys [key × count] hasProps [props × count]
 *   SEND_OK     process time topic source firstSeq count hasKeys [key × count] hasProps [props × count]
 *               (partition offset) × count
 *   POLL_INVOKE process time group
 *   POLL_OK     process time group count (proc seq topic partition offset redelivered) × count
 *   COMMIT_OFFSETS process time group n (topic partition offset) × n
 *   COMMIT_IDS  process time group n (proc seq) × n
 *   TEXT        string                       — a whole line, built by the caller
 *
 * A null offset travels as -1; `props` is a string id of a message's properties as JSON text. `source` is the payload producer id of the batch's ids (`source-seq`),
 * the process itself unless a new process retries another's messages.
 */

export const OP = {
  SEND_INVOKE: 1,
  SEND_OK: 2,
  POLL_INVOKE: 3,
  POLL_OK: 4,
  COMMIT_OFFSETS: 5,
  COMMIT_IDS: 6,
  TEXT: 7,
} as const;

/** One chunk of events and the strings first defined in it (ids `firstString`, `firstString+1`, …). */
export interface EventChunk {
  readonly events: Float64Array;
  readonly length: number;
  readonly firstString: number;
  readonly strings: readonly string[];
}

export class EventEncoder {
  ev: Float64Array;
  n = 0;
  private readonly chunkSlots: number;
  private readonly interned = new Map<string, number>();
  private nextString = 0;
  private chunkFirstString = 0;
  private chunkStrings: string[] = [];
  private readonly ship: (chunk: EventChunk) => void;
  private readonly takeBuffer: (slots: number) => Float64Array;

  constructor(
    chunkSlots: number,
    ship: (chunk: EventChunk) => void,
    takeBuffer: (slots: number) => Float64Array = (slots) => new Float64Array(slots),
  ) {
    this.chunkSlots = chunkSlots;
    this.ship = ship;
    this.takeBuffer = takeBuffer;
    this.ev = takeBuffer(chunkSlots);
  }

  /** Makes room for `slots` more numbers, shipping the current chunk if needed. */
  reserve(slots: number): Float64Array {
    if (this.n + slots > this.ev.length) {
      this.flush();
      if (slots > this.ev.length) this.ev = new Float64Array(slots);
    }
    return this.ev;
  }

  /** The id of a string (topic, group, key), defined in the current chunk the first time. */
  str(s: string): number {
    let id = this.interned.get(s);
    if (id === undefined) {
      id = this.define(s);
      this.interned.set(s, id);
    }
    return id;
  }

  /** A string used once (a whole line): defined, never interned. */
  once(s: string): number {
    return this.define(s);
  }

  private define(s: string): number {
    const id = this.nextString++;
    this.chunkStrings.push(s);
    return id;
  }

  flush(): void {
    if (this.n === 0 && this.chunkStrings.length === 0) return;
    const chunk: EventChunk = {
      events: this.ev,
      length: this.n,
      firstString: this.chunkFirstString,
      strings: this.chunkStrings,
    };
    this.chunkFirstString = this.nextString;
    this.chunkStrings = [];
    this.n = 0;
    this.ev = this.takeBuffer(this.chunkSlots);
    this.ship(chunk);
  }
}
