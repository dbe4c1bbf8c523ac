/**
 * Message ids to dense integers. Ids of the harness's shape "P-S" (process, sequence: decimal,
 * no leading zeros) map through one array per P, so ten million ids cost a few bytes each instead
 * of a Map entry with its string; any other id goes through a Map.
 */
import { Int32Column } from "./columns.js";

const MAX_PART = 0x3fffffff;

export class IdTable {
  private readonly byProcess: Int32Column[] = [];
  private readonly other = new Map<string, number>();
  /** Per dense id: P, or -1 when the id is of another shape. */
  private readonly idP = new Int32Column(1 << 16);
  /** Per dense id: S, or the index into `otherNames`. */
  private readonly idS = new Int32Column(1 << 16);
  private readonly otherNames: string[] = [];

  get size(): number {
    return this.idP.length;
  }

  reserve(ids: number): void {
    this.idP.reserve(ids);
    this.idS.reserve(ids);
  }

  /** The id "p-s". */
  internParts(p: number, s: number): number {
    let col = this.byProcess[p];
    if (col === undefined) {
      col = new Int32Column(Math.max(16, Math.min(1 << 16, s + 1)));
      this.byProcess[p] = col;
    }
    if (s >= col.length) col.resize(Math.max(s + 1, col.length * 2), 0);
    const slot = col.data[s]!;
    if (slot !== 0) return slot - 1;
    const id = this.idP.push(p);
    this.idS.push(s);
    col.data[s] = id + 1;
    return id;
  }

  intern(name: string): number {
    const dash = name.indexOf("-");
    if (dash > 0 && dash < name.length - 1 && dash <= 10 && name.length - dash - 1 <= 10) {
      const p = decimal(name, 0, dash);
      const s = decimal(name, dash + 1, name.length);
      // Sparse sequences would waste the per-process array: keep those in the Map.
      if (p >= 0 && s >= 0 && p < 1 << 20 && s < 1 << 26) return this.internParts(p, s);
    }
    let id = this.other.get(name);
    if (id === undefined) {
      id = this.idP.push(-1);
      this.idS.push(this.otherNames.length);
      this.otherNames.push(name);
      this.other.set(name, id);
    }
    return id;
  }

  name(id: number): string {
    const p = this.idP.data[id]!;
    const s = this.idS.data[id]!;
    return p >= 0 ? `${p}-${s}` : this.otherNames[s]!;
  }
}

/** The value of a canonical decimal (no sign, no leading zero unless "0"), or -1. */
function decimal(text: string, from: number, to: number): number {
  if (to - from > 1 && text.charCodeAt(from) === 48) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
    if (v > MAX_PART) return -1;
  }
  return v;
}
