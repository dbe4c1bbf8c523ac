/** The `redis-pubsub` adapter: Redis Pub/Sub through ioredis. See README.md for what maps how. */

export { CAPABILITIES as redisPubSubCapabilities, RedisPubSubAdapter } from "./adapter.js";
export { redisPubSubFactory } from "./descriptor.js";
