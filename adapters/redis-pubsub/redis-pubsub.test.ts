import { describeBrokerConformance, serviceGate } from "../test/index.js";
import { redisPubSubFactory } from "./index.js";

const gate = await serviceGate("redis", "127.0.0.1", 6379);

describeBrokerConformance(
  "redis-pubsub",
  redisPubSubFactory,
  { url: "redis://127.0.0.1:6379" },
  {
    service: gate,
    unreachable: { settings: { url: "redis://127.0.0.1:1" }, address: "127.0.0.1:1" },
    quietMs: 500,
    clean: "stateless",
  },
);
