import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { selectPoints } from "./select.js";

const points = [
  "delivery-modes-deliveryMode=at-most-once-fault=broker-crash-default",
  "delivery-modes-deliveryMode=at-most-once-fault=broker-crash-durable",
  "delivery-modes-deliveryMode=exactly-once-fault=consumer-crash",
  "delivery-modes-deliveryMode=exactly-once-fault=broker-crash-durable",
].map((id) => ({ id }));
const ids = (ps: readonly { id: string }[]) => ps.map((p) => p.id);

describe("--only", () => {
  it("keeps the points whose id contains every pattern", () => {
    expect(ids(selectPoints(points, ["fault=broker-crash"]))).toEqual([
      points[0]!.id,
      points[1]!.id,
      points[3]!.id,
    ]);
    expect(ids(selectPoints(points, ["fault=broker-crash", "exactly-once"]))).toEqual([points[3]!.id]);
  });

  it("takes * as any text, and nothing else as special", () => {
    expect(ids(selectPoints(points, ["at-most-once*durable"]))).toEqual([points[1]!.id]);
    expect(() => selectPoints(points, ["fault=(broker)"])).toThrow(UsageError);
  });

  it("no pattern keeps everything; a pattern that matches nothing is a one-line usage error listing the points", () => {
    expect(selectPoints(points, [])).toEqual(points);
    expect(() => selectPoints(points, ["fault=partition"])).toThrow(
      /^--only fault=partition: no point of the workloads matches \(points: delivery-modes-deliveryMode=at-most-once/,
    );
  });

  it("keeps exactly the points that contain a plain pattern, in their order, for any ids", () => {
    const plain = fc
      .string({ minLength: 1, maxLength: 3 })
      .filter((p) => !p.includes("*") && p.trim() === p && p !== "");
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 10 }),
        plain,
        (names, pattern) => {
          const ps = names.map((id) => ({ id }));
          const expected = ps.filter((p) => p.id.includes(pattern));
          if (expected.length === 0) expect(() => selectPoints(ps, [pattern])).toThrow(UsageError);
          else expect(selectPoints(ps, [pattern])).toEqual(expected);
        },
      ),
    );
  });
});
