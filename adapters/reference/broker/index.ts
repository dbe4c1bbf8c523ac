/** The reference broker's core: semantics over PartitionLogs, callable in-process or from a network server. */
export type { Awaitable, BrokerApi, PushSubscription, QueueSubscription } from "./api.js";
export {
  ASSIGNMENT_STRATEGIES,
  type AssignmentStrategy,
  assignPartitions,
  assignRange,
  assignRoundRobin,
  type TopicPartitionRef,
} from "./assignors.js";
export {
  ACKS_LEVELS,
  type Acks,
  Broker,
  type BrokerClock,
  type BrokerOptions,
  type CommitRequest,
  type FetchPosition,
  type FetchRequest,
  type FetchResult,
  INTERNAL_TOPICS,
  type JoinGroupRequest,
  type MemberRef,
  type MemberState,
  type ProduceRequest,
  type ProduceResult,
  type ProducerIdentity,
  type SubscribeRequest,
  type TopicInfo,
} from "./broker.js";
export {
  BROKER_ERRORS,
  BrokerError,
  type BrokerErrorData,
  type BrokerErrorInfo,
  type BrokerErrorName,
  brokerError,
  errorByCode,
  isBrokerError,
} from "./errors.js";
export type { GroupMode } from "./group.js";
export type { LogFactory } from "./log-factory.js";
export {
  forEachRecord,
  type Isolation,
  type PartitionFetch,
  type PartitionRecords,
  visitRecords,
} from "./partition.js";
export { murmur2, partitionForKey } from "./partitioner.js";
export type { QueueDelivery, QueueOptions, QueueSink, QueueStats } from "./queue.js";
export type { NamedPosition, PushFlow, PushSink, Subscription, SubscriptionStats } from "./subscription.js";
