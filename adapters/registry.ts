/**
 * Every adapter the harness knows, by `--adapter` name. Each folder under adapters/ exports one
 * AdapterFactory from its index.ts; add it here with one import and one entry.
 */
import { UsageError } from "../core/errors.js";
import { artemisFactory } from "./artemis/index.js";
import type { AdapterFactory } from "./contract.js";
import { jetstreamFactory } from "./jetstream/index.js";
import { mqttFactory } from "./mqtt/index.js";
import { natsFactory } from "./nats/index.js";
import { pubsubFactory } from "./pubsub/index.js";
import { rabbitmqFactory } from "./rabbitmq/index.js";
import { redisPubSubFactory } from "./redis-pubsub/index.js";
import { redisStreamsFactory } from "./redis-streams/index.js";
import { referenceAdapter } from "./reference/index.js";

export const ADAPTERS: readonly AdapterFactory[] = [
  referenceAdapter,
  redisPubSubFactory,
  redisStreamsFactory,
  rabbitmqFactory,
  natsFactory,
  jetstreamFactory,
  mqttFactory,
  pubsubFactory,
  artemisFactory,
];

export function findAdapter(name: string): AdapterFactory {
  const found = ADAPTERS.find((a) => a.name === name);
  if (!found) {
    throw new UsageError(
      `unknown adapter "${name}"; known adapters: ${ADAPTERS.map((a) => a.name).join(", ")}`,
    );
  }
  return found;
}
