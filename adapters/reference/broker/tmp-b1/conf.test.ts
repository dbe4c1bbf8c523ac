import { describeBrokerConformance } from "../../../test/index.js";
import { referenceAdapter } from "../../index.js";

const f = {
  ...referenceAdapter,
  capabilities: { ...referenceAdapter.capabilities, model: "queue" as const, ordering: "none" as const },
};
describeBrokerConformance(
  "reference-queue",
  f,
  { sessionTimeoutMs: "1000", queue: "true", ackTimeoutMs: "2000" },
  {
    service: {
      name: "reference broker",
      address: "in process",
      available: true,
      skip: false,
      fail: false,
      reason: "",
    },
  },
);
