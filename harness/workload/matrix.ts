/**
 * `matrix:` expands one workload into the cross product of its axes, one run each. An axis is
 *   - a field with a list of values:        `delivery: [push, pull]`
 *   - a label with named variants of fields: `subscription: { queue: {groups: 1, consumersPerGroup: 2},
 *                                                               pubsub: {groups: 2, consumersPerGroup: 1} }`
 * A variant may set adapter `settings:`; they are added to the workload's (key by key), not put in
 * their place. Axes combine in file order, the last one varying fastest.
 */

export class MatrixError extends Error {
  /** Dotted path of the offending entry, e.g. `matrix.delivery`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = "MatrixError";
    this.path = path;
  }
}

export interface MatrixPoint {
  /** What names this point: field → value, or label → variant name. For the run id and results.json. */
  readonly label: Readonly<Record<string, unknown>>;
  /** Fields this point sets on the base workload. */
  readonly overrides: Readonly<Record<string, unknown>>;
}

interface Axis {
  readonly key: string;
  readonly options: readonly { readonly label: unknown; readonly overrides: Record<string, unknown> }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function toAxis(key: string, value: unknown, isField: (name: string) => boolean): Axis {
  const path = `matrix.${key}`;
  if (Array.isArray(value)) {
    if (key === SETTINGS) {
      throw new MatrixError(
        path,
        "settings vary by named variants: { <name>: { settings: { key: value } } }",
      );
    }
    if (!isField(key)) throw new MatrixError(path, `"${key}" is not a workload field`);
    if (value.length === 0) throw new MatrixError(path, "lists no values");
    return { key, options: value.map((v) => ({ label: v, overrides: { [key]: v } })) };
  }
  if (isRecord(value)) {
    const names = Object.keys(value);
    if (names.length === 0) throw new MatrixError(path, "lists no variants");
    return {
      key,
      options: names.map((name) => {
        const fields = value[name];
        if (!isRecord(fields)) {
          throw new MatrixError(`${path}.${name}`, "a variant must be a mapping of workload fields");
        }
        for (const f of Object.keys(fields)) {
          if (f === SETTINGS) {
            if (!isRecord(fields[f])) {
              throw new MatrixError(`${path}.${name}.${f}`, "settings must be a mapping of key: value");
            }
            continue;
          }
          if (!isField(f)) throw new MatrixError(`${path}.${name}.${f}`, `"${f}" is not a workload field`);
        }
        return { label: name, overrides: { ...fields } };
      }),
    };
  }
  throw new MatrixError(path, "must be a list of values or a mapping of named variants");
}

/** The field of adapter settings, which variants add to rather than replace. */
const SETTINGS = "settings";

/** `fields` with the settings of `a` and `b` merged key by key (b's win), when either sets any. */
export function withSettings(
  fields: Record<string, unknown>,
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const sa = a[SETTINGS];
  const sb = b[SETTINGS];
  if (!isRecord(sa) && !isRecord(sb)) return fields;
  return { ...fields, [SETTINGS]: { ...(isRecord(sa) ? sa : {}), ...(isRecord(sb) ? sb : {}) } };
}

/** The points of a matrix; one empty point when there is no matrix. */
export function expandMatrix(matrix: unknown, isField: (name: string) => boolean): MatrixPoint[] {
  if (matrix === undefined || matrix === null) return [{ label: {}, overrides: {} }];
  if (!isRecord(matrix)) throw new MatrixError("matrix", "must be a mapping of axes");
  const axes = Object.entries(matrix).map(([k, v]) => toAxis(k, v, isField));
  let points: MatrixPoint[] = [{ label: {}, overrides: {} }];
  for (const axis of axes) {
    const next: MatrixPoint[] = [];
    for (const p of points) {
      for (const o of axis.options) {
        next.push({
          label: { ...p.label, [axis.key]: o.label },
          overrides: withSettings({ ...p.overrides, ...o.overrides }, p.overrides, o.overrides),
        });
      }
    }
    points = next;
  }
  return points;
}

/** `default-delivery=push-subscription=queue`: the workload name and the point's labels. */
export function pointId(name: string, label: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(label).map(([k, v]) => `${k}=${String(v)}`);
  return [name, ...parts].join("-").replace(/[^A-Za-z0-9_.=+-]/g, "_");
}
