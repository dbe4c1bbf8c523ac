/**
 * Names on the emulator and the shape of a message both ways: the key travels in an attribute
 * (push requests carry no ordering key, so the attribute is the one place every delivery style
 * finds it), and a delivery is flagged redelivered where Pub/Sub counts attempts.
 */
import type { Delivery, OutgoingMessage } from "../contract.js";

/** The message key (also the ordering key when ordering is on). */
export const KEY_ATTRIBUTE = "bb-key";

/** A group's subscription on a topic. Both names start with the topic's `bb-`. */
export function subscriptionId(topic: string, group: string): string {
  return `${topic}.${group}`;
}

/** The last path segment of `projects/<p>/topics/<id>` or `…/subscriptions/<id>`. */
export function resourceId(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

export function attributesOf(m: OutgoingMessage): Record<string, string> | undefined {
  return m.key === null ? undefined : { [KEY_ATTRIBUTE]: m.key };
}

/**
 * Pub/Sub has no redelivery flag: `deliveryAttempt` is filled in only for subscriptions with a
 * dead-letter policy (the emulator also with a retry policy), and 0 elsewhere; 2 and more is a
 * redelivery.
 */
export function toDelivery(
  topic: string,
  data: Uint8Array,
  attributes: Readonly<Record<string, string>> | null | undefined,
  deliveryAttempt: number | null | undefined,
): Delivery {
  const key = attributes?.[KEY_ATTRIBUTE];
  return {
    topic,
    partition: 0,
    // Message ids are not positions: no offset.
    offset: null,
    key: key === undefined ? null : key,
    payload: data,
    redelivered: (deliveryAttempt ?? 0) > 1,
  };
}

/** The JSON body the emulator (and the service, without payload unwrapping) POSTs to a push endpoint. */
export interface PushEnvelope {
  readonly subscription?: string;
  readonly deliveryAttempt?: number;
  readonly message: {
    readonly data?: string;
    readonly attributes?: Record<string, string>;
    readonly messageId?: string;
    readonly message_id?: string;
    readonly publishTime?: string;
    readonly orderingKey?: string;
  };
}

/** Parses a push request body; null when it is not a push envelope. */
export function parsePushEnvelope(body: string): PushEnvelope | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const message = (parsed as { message?: unknown }).message;
  if (typeof message !== "object" || message === null) return null;
  return parsed as PushEnvelope;
}
