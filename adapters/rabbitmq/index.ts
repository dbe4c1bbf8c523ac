/** The `rabbitmq` adapter: RabbitMQ through amqplib. See README.md for what maps how. */
import type { AdapterFactory } from "../contract.js";
import { CAPABILITIES, NAME, parseSettings, RabbitAdapter } from "./adapter.js";
import { DEFAULT_AMQP_URL } from "./connection.js";

export const rabbitmqFactory: AdapterFactory = {
  name: NAME,
  description: "RabbitMQ (amqplib): fanout exchange per topic, a queue per group, consume or basic.get",
  capabilities: CAPABILITIES,
  settings: {
    url: { default: DEFAULT_AMQP_URL, description: "amqp://user:password@host:port[/vhost]" },
    pollIntervalMs: { default: "5", description: "pull (basic.get): pause after an empty get" },
    maxBatch: { default: "100", description: "push: most deliveries handed to the consumer at once" },
    managementUrl: {
      default: "",
      description:
        "management API for `brokerbench clean` (http://user:pass@host:15672); default: port 15672 on the url's host, else rabbitmqctl on this host",
    },
  },
  connect: (settings) => RabbitAdapter.connect(parseSettings(settings, { url: DEFAULT_AMQP_URL })),
};

export { CAPABILITIES as rabbitmqCapabilities, queueName, RabbitAdapter } from "./adapter.js";
