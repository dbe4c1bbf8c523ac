/**
 * The words every floor shares: how a message is delivered, what a delivery mode promises, which
 * order is expected, where a new group starts. The workload schema, the adapter contract, the
 * history format and the checkers all speak them, so they live below all of them.
 */

export const DELIVERY_STYLES = ["push", "pull"] as const;
/** push: the broker calls the consumer as messages arrive; pull: the consumer fetches. */
export type DeliveryStyle = (typeof DELIVERY_STYLES)[number];

export const DELIVERY_MODES = ["at-most-once", "at-least-once", "exactly-once"] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const ORDER_SCOPES = ["none", "partition", "key", "producer", "total", "causal"] as const;
export type OrderScope = (typeof ORDER_SCOPES)[number];

export const START_POSITIONS = ["committed", "earliest", "latest"] as const;
/** Where a consumer starts when its group has no usable committed position. */
export type StartPosition = (typeof START_POSITIONS)[number];
