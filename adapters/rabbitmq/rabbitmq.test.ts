import { describeBrokerConformance, serviceGate } from "../test/index.js";
import { rabbitmqFactory } from "./index.js";

const gate = await serviceGate("rabbitmq", "127.0.0.1", 5672);

describeBrokerConformance(
  "rabbitmq",
  rabbitmqFactory,
  { url: "amqp://guest:guest@127.0.0.1:5672" },
  {
    service: gate,
    unreachable: { settings: { url: "amqp://guest:guest@127.0.0.1:1" }, address: "127.0.0.1:1" },
    quietMs: 1000,
    loneConsumerOrder: "partition",
  },
);
