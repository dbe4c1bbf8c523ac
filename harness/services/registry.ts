/**
 * Every service brokerbench can start, by name. A new service is one module (a ServiceDefinition,
 * usually in harness/services/<name>/) and one line here.
 */
import { UsageError } from "../../core/errors.js";
import { artemisService } from "./artemis/artemis.js";
import type { ServiceDefinition } from "./definition.js";
import { jetstreamClusterService } from "./jetstream-cluster/jetstream-cluster.js";
import { kafkaService } from "./kafka/kafka.js";
import { kafkaClusterService } from "./kafka-cluster/kafka-cluster.js";
import { mosquittoService } from "./mosquitto/mosquitto.js";
import { natsService } from "./nats/nats.js";
import { pubsubService } from "./pubsub/pubsub.js";
import { rabbitmqService } from "./rabbitmq/rabbitmq.js";
import { redisService } from "./redis/redis.js";
import { referenceService } from "./reference/reference.js";

export const SERVICES: readonly ServiceDefinition[] = [
  kafkaService,
  referenceService,
  artemisService,
  pubsubService,
  kafkaClusterService,
  jetstreamClusterService,
  redisService,
  natsService,
  rabbitmqService,
  mosquittoService,
];

export function serviceNames(): string[] {
  return SERVICES.map((s) => s.name);
}

/** The definition, or a one-line UsageError naming the known services. */
export function serviceDefinition(name: string): ServiceDefinition {
  const def = SERVICES.find((s) => s.name === name);
  if (def === undefined) {
    throw new UsageError(`unknown service "${name}"; known services: ${serviceNames().join(", ")}`);
  }
  return def;
}
