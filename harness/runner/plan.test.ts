import { describe, expect, it } from "vitest";
import type { Capabilities } from "../../adapters/contract.js";
import { parseWorkloadText } from "../workload/index.js";
import { resolveDelivery } from "./plan.js";

const caps = (push: boolean, pull: boolean): Capabilities => ({
  model: "log",
  push,
  pull,
  queue: true,
  pubsub: true,
  replay: true,
  partitions: true,
  deliveryModes: ["at-least-once"],
  ordering: "partition",
  idempotentProduce: false,
});

describe("delivery: auto", () => {
  it("is push where the adapter has push, else pull; an explicit style stays as written", () => {
    const [auto] = parseWorkloadText("delivery: auto\n", "w.yaml");
    const [push] = parseWorkloadText("delivery: push\n", "w.yaml");
    expect(resolveDelivery(auto!.workload, caps(true, true))).toBe("push");
    expect(resolveDelivery(auto!.workload, caps(false, true))).toBe("pull");
    expect(resolveDelivery(push!.workload, caps(false, true))).toBe("push");
  });
});
