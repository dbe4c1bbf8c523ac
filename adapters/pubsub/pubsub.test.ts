import { vi } from "vitest";
import { describeBrokerConformance } from "../test/index.js";
import { emulatorGate, TEST_URL } from "./gate.js";
import { pubsubFactory } from "./index.js";

/**
 * Pub/Sub has no redelivery flag: `deliveryAttempt` is only filled in for subscriptions with a
 * dead-letter policy, which would move a message away after at most 5 attempts.
 */
const NO_FLAG = "Pub/Sub counts delivery attempts only on subscriptions with a dead-letter policy";

/** The emulator pushes at most 2 messages at a time per subscription (push.test.ts). */
const PUSH_WINDOW = 2;

// A streaming kill scenario waits out a 10 s lease and an 11 s quiet drain.
vi.setConfig({ testTimeout: 60_000 });

const gate = await emulatorGate();
// The emulator takes ack deadlines under the service's 10 s minimum: what a killed push or unary
// pull consumer held is back 2 s later. A StreamingPull stream's deadline cannot go under 10 s,
// even on the emulator, so the streaming suite's drain waits 11 s for a killed consumer's leases
// (and up to 30 s in all: the messages the dead consumer acknowledged never reach its successor).
const settings = { url: TEST_URL, ackDeadlineS: "2" };

describeBrokerConformance("pubsub", pubsubFactory, settings, {
  service: gate,
  unreachable: { settings: { url: "127.0.0.1:1" }, address: "127.0.0.1:1" },
  quietMs: 11_000,
  drainTimeoutMs: 30_000,
  redeliveryFlagUnreliable: NO_FLAG,
  pushOutstandingLimit: PUSH_WINDOW,
  unevenQueue: {
    style: "pull",
    reason:
      "the emulator ignores StreamingPull flow control: the stream ready first may take the whole backlog",
  },
});

describeBrokerConformance(
  "pubsub-unary",
  pubsubFactory,
  { ...settings, pull: "unary" },
  { service: gate, quietMs: 3000, redeliveryFlagUnreliable: NO_FLAG, pushOutstandingLimit: PUSH_WINDOW },
);
