/** The `rabbitmq` adapter: RabbitMQ through amqplib. See README.md for what maps how. */

export { CAPABILITIES as rabbitmqCapabilities, queueName, RabbitAdapter } from "./adapter.js";
export { rabbitmqFactory } from "./descriptor.js";
