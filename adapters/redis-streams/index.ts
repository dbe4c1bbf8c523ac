/** The `redis-streams` adapter: Redis Streams and consumer groups through ioredis. See README.md. */

export { CAPABILITIES as redisStreamsCapabilities, RedisStreamsAdapter } from "./adapter.js";
export { redisStreamsFactory } from "./descriptor.js";
export { offsetOf, parseStreamId, streamIdOf } from "./offsets.js";
