import { describe, expect, it } from "vitest";
import { artemisFactory } from "../../adapters/artemis/index.js";
import type { Capabilities } from "../../adapters/contract.js";
import { referenceAdapter } from "../../adapters/reference/index.js";
import { parseWorkloadText } from "../workload/index.js";
import { planRun, resolveDelivery } from "./plan.js";

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

const plan = (lines: string[], factory = artemisFactory, settings: Record<string, string> = {}) => {
  const [run] = parseWorkloadText(lines.join("\n"), "w.yaml");
  return planRun({
    run: run!,
    runId: "w",
    factory,
    settings,
    dir: "/nonexistent",
    history: false,
    check: null,
  });
};

describe("planning a run", () => {
  it("counts a late-joining group as a group: refused where pub-sub is not declared", () => {
    const late = ["groups: 1", "lateGroup: { joinAtS: 0.5, start: latest }"];
    // Artemis with routing=anycast shares one queue between all consumers: a late group would
    // compete with g1 for its messages (measured before this refusal: g1 lost 26,600).
    expect(plan(late, artemisFactory, { routing: "anycast" }).refusal?.reason).toMatch(
      /several groups on one topic \(pub-sub\) are not supported/,
    );
    expect(plan(late, artemisFactory, { routing: "multicast" }).refusal).toBeNull();
    expect(plan(["groups: 1"], artemisFactory, { routing: "anycast" }).refusal).toBeNull();
  });

  it("refuses predicates where property filters are not declared", () => {
    const lines = ["predicates:", "  properties: { a: [1, 2] }", '  subscribe: ["a = 1"]'];
    expect(plan(lines, referenceAdapter).refusal?.reason).toMatch(
      /predicate subscriptions \(property filters\)/,
    );
    expect(plan(lines).refusal).toBeNull();
    expect(plan([...lines, "filters: 100"]).refusal).toBeNull();
    expect(plan(["filters: 100"]).refusal?.reason).toMatch(
      /pattern subscriptions \(filters\) are not supported/,
    );
  });
});
