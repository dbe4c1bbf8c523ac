/**
 * QueueSubscribe (key 20), version 0. Starts queue-mode delivery to a member of a queue-mode group:
 * each message goes to one member and stays in flight until acked (QueueSettle); nack, ack timeout
 * or the member's death redelivers it; after maxDeliveries it goes to the dead-letter topic.
 *
 *   request:  subscriptionId int32, group string, memberId string, generation int32,
 *             ackTimeoutMs int32, maxDeliveries int32, deadLetterTopic string (null: <topic>.dlq),
 *             prefetch int32, isolation int8
 *   response: errorCode int16, errorMessage string
 *
 * Deliveries come as QUEUE push frames (../push.ts).
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { readEnum, writeEnum } from "../common.js";
import { ISOLATIONS, type WireIsolation } from "./05-fetch.js";

export interface QueueSubscribeRequest {
  readonly subscriptionId: number;
  readonly group: string;
  readonly memberId: string;
  readonly generation: number;
  readonly ackTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterTopic: string | null;
  readonly prefetch: number;
  readonly isolation: WireIsolation;
}

export const queueSubscribe = defineApi<QueueSubscribeRequest, ErrorPart>({
  key: 20,
  name: "QueueSubscribe",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.int32(req.subscriptionId).string(req.group).string(req.memberId).int32(req.generation);
    w.int32(req.ackTimeoutMs).int32(req.maxDeliveries).string(req.deadLetterTopic).int32(req.prefetch);
    writeEnum(w, ISOLATIONS, req.isolation);
  },
  decodeRequest: (r) => ({
    subscriptionId: r.int32(),
    group: r.text("group"),
    memberId: r.text("memberId"),
    generation: r.int32(),
    ackTimeoutMs: r.int32(),
    maxDeliveries: r.int32(),
    deadLetterTopic: r.string(),
    prefetch: r.int32(),
    isolation: readEnum(r, ISOLATIONS, "isolation"),
  }),
  ...errorOnlyResponse,
});
