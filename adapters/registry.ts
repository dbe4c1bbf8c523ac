/**
 * Every adapter the harness knows, by `--adapter` name: one line per adapter, naming the module of
 * its folder that describes it (name, description, capabilities, settings) without loading its
 * client library; the factory's `connect` imports the library when it is called. So the CLI's
 * `--help` and `list` load no client library (adapters/registry.test.ts holds every entry to it).
 */
import { UsageError } from "../core/errors.js";
import type { AdapterFactory } from "./contract.js";

export const ADAPTERS: readonly AdapterFactory[] = await Promise.all([
  import("./reference/index.js").then((m) => m.referenceAdapter),
  import("./redis-pubsub/descriptor.js").then((m) => m.redisPubSubFactory),
  import("./redis-streams/descriptor.js").then((m) => m.redisStreamsFactory),
  import("./rabbitmq/descriptor.js").then((m) => m.rabbitmqFactory),
  import("./nats/descriptor.js").then((m) => m.natsFactory),
  import("./jetstream/descriptor.js").then((m) => m.jetstreamFactory),
  import("./mqtt/descriptor.js").then((m) => m.mqttFactory),
  import("./pubsub/descriptor.js").then((m) => m.pubsubFactory),
  import("./artemis/descriptor.js").then((m) => m.artemisFactory),
  import("./kafka/descriptor.js").then((m) => m.kafkaFactory),
]);

export function findAdapter(name: string): AdapterFactory {
  const found = ADAPTERS.find((a) => a.name === name);
  if (!found) {
    throw new UsageError(
      `unknown adapter "${name}"; known adapters: ${ADAPTERS.map((a) => a.name).join(", ")}`,
    );
  }
  return found;
}
