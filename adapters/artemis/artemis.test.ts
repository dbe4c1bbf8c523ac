import { describeBrokerConformance, hostPort, serviceGate } from "../test/index.js";
import { capabilitiesFor } from "./adapter.js";
import { artemisFactory, DEFAULT_ARTEMIS_URL } from "./index.js";

/**
 * After an AMQP connection fails, Artemis closes the session's consumers twice, racing: as failed
 * (delivery counts stay incremented) once pending journal writes complete, and as a clean close
 * (counts decremented) from the connection's own teardown, which wins when accepts are still being
 * journalled. See README.md.
 */
const REDELIVERY_FLAG =
  "Artemis leaves a failed AMQP consumer's deliveries unflagged when its accepts were still being journalled";

const url = process.env.BROKERBENCH_ARTEMIS_URL ?? DEFAULT_ARTEMIS_URL;
const { host, port } = hostPort(url, 61616);
const gate = await serviceGate("artemis", host, port);

describeBrokerConformance(
  "artemis",
  artemisFactory,
  { url },
  {
    service: gate,
    unreachable: { settings: { url: "amqp://artemis:artemis@127.0.0.1:1" }, address: "127.0.0.1:1" },
    quietMs: 1000,
    loneConsumerOrder: "partition",
    redeliveryFlagUnreliable: REDELIVERY_FLAG,
  },
);

describeBrokerConformance(
  "artemis (routing=anycast)",
  { ...artemisFactory, capabilities: capabilitiesFor("anycast") },
  { url, routing: "anycast" },
  { service: gate, quietMs: 1000, loneConsumerOrder: "partition", redeliveryFlagUnreliable: REDELIVERY_FLAG },
);
