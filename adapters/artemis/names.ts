/**
 * What the adapter names on the broker. A topic is an Artemis address of the same name; under
 * multicast routing a group is the durable queue `<topic>.<group>` on it, which the group's
 * consumers reach by its fully qualified name `<topic>::<topic>.<group>` (FQQN: attaching to an
 * existing queue, so closing a link never unsubscribes the group); under anycast routing the topic
 * is one queue of the same name.
 */

/**
 * The message key travels in this application property. An identifier (no `-`), so that it can be
 * named in a JMS selector.
 */
export const KEY_PROPERTY = "bb_key";

/** A group's subscription queue on a multicast topic. */
export function groupQueueName(topic: string, group: string): string {
  return `${topic}.${group}`;
}

/** The fully qualified queue name (`address::queue`) a consumer attaches to. */
export function fqqn(address: string, queue: string): string {
  return `${address}::${queue}`;
}
