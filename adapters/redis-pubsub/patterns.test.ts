import { describePatternSubscriptions } from "../patterns.suite.js";
import { serviceGate } from "../test/services.js";
import { redisPubSubFactory } from "./index.js";

const gate = await serviceGate("redis", "127.0.0.1", 6379);

// Redis documents one pmessage per matching pattern; glob has no one-segment wildcard.
describePatternSubscriptions(
  "redis-pubsub",
  redisPubSubFactory,
  { url: "redis://127.0.0.1:6379" },
  { service: gate, overlapDeliveries: 2, oneSegmentWildcard: false },
);
