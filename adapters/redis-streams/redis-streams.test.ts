import { describeBrokerConformance, serviceGate } from "../test/index.js";
import { redisStreamsFactory } from "./index.js";

const gate = await serviceGate("redis", "127.0.0.1", 6379);

describeBrokerConformance(
  "redis-streams",
  redisStreamsFactory,
  { url: "redis://127.0.0.1:6379", claimIdleMs: "300", claimIntervalMs: "100" },
  {
    service: gate,
    unreachable: { settings: { url: "redis://127.0.0.1:1" }, address: "127.0.0.1:1" },
    quietMs: 1000,
    loneConsumerOrder: "partition",
  },
);
