import { describe, expect, it } from "vitest";
import { ADAPTERS } from "../../adapters/registry.js";
import { SERVICES, serviceDefinition } from "../services/registry.js";
import { privateBrokerProblem, serviceFor } from "./service-broker.js";

describe("the service a server: spawn run starts", () => {
  it("is a single-node one, never a cluster, for every adapter a service serves", () => {
    for (const a of ADAPTERS) {
      const name = serviceFor(a.name);
      const servedBySingle = SERVICES.some(
        (s) => s.name !== "reference" && s.nodeCounts.includes(1) && s.adapters.includes(a.name),
      );
      if (!servedBySingle) {
        expect(name, a.name).toBeNull();
        continue;
      }
      expect(serviceDefinition(name!).nodeCounts, `${a.name} → ${name}`).toContain(1);
      expect(serviceDefinition(name!).adapters).toContain(a.name);
    }
  });

  it("is nats for nats and jetstream (with its durable profile), kafka for kafka", () => {
    expect([serviceFor("nats"), serviceFor("jetstream"), serviceFor("kafka")]).toEqual([
      "nats",
      "nats",
      "kafka",
    ]);
    expect(privateBrokerProblem("jetstream", "durable", { PATH: process.env.PATH })).toBeNull();
  });
});
