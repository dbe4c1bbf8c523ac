/**
 * Subscribe (key 15), versions 0-1. Push delivery of partitions from given offsets. The client
 * picks the subscription id (unique on its connection), so PUSH frames for it can arrive right after.
 *
 *   request:  subscriptionId int32, isolation int8, group string (null: none; flags redeliveries),
 *             flow int8 (0 credit, 1 buffer),
 *             credit int32 (flow credit: initial credit) | capacity int32 + overflow int8 (0 drop,
 *             1 disconnect) (flow buffer), positions array<Position>
 *   response: errorCode int16, errorMessage string
 *
 * Deliveries come as PUSH frames (see ../push.ts) until Unsubscribe or the broker ends it (an
 * ENDED push frame with the reason, e.g. SUBSCRIBER_OVERFLOW): RECORDS for a v0 subscription,
 * SETS (record sets in the log's own encoding) for v1; the request body is the same.
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { ProtocolError } from "../codec.js";
import { MIN_BYTES, type Position, readEnum, readPosition, writeEnum, writePosition } from "../common.js";
import { ISOLATIONS, type WireIsolation } from "./05-fetch.js";

export const OVERFLOW = ["drop", "disconnect"] as const;

export type WireFlow =
  | { readonly kind: "credit"; readonly credit: number }
  | { readonly kind: "buffer"; readonly capacity: number; readonly overflow: (typeof OVERFLOW)[number] };

export interface SubscribeRequest {
  readonly subscriptionId: number;
  readonly isolation: WireIsolation;
  readonly group: string | null;
  readonly flow: WireFlow;
  readonly positions: readonly Position[];
  /** Decoded only, from the request's version: the push frames this subscription gets. */
  readonly pushes?: "records" | "sets";
}

export const subscribe = defineApi<SubscribeRequest, ErrorPart>({
  key: 15,
  name: "Subscribe",
  minVersion: 0,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.int32(req.subscriptionId);
    writeEnum(w, ISOLATIONS, req.isolation);
    w.string(req.group);
    if (req.flow.kind === "credit") w.int8(0).int32(req.flow.credit);
    else {
      w.int8(1).int32(req.flow.capacity);
      writeEnum(w, OVERFLOW, req.flow.overflow);
    }
    w.array(req.positions, writePosition);
  },
  decodeRequest(r, version) {
    const subscriptionId = r.int32();
    const isolation = readEnum(r, ISOLATIONS, "isolation");
    const group = r.string();
    const kind = r.int8();
    let flow: WireFlow;
    if (kind === 0) flow = { kind: "credit", credit: r.int32() };
    else if (kind === 1)
      flow = { kind: "buffer", capacity: r.int32(), overflow: readEnum(r, OVERFLOW, "overflow") };
    else throw new ProtocolError(`flow kind ${kind}`);
    const positions = r.array(readPosition, MIN_BYTES.position);
    return { subscriptionId, isolation, group, flow, positions, pushes: version === 0 ? "records" : "sets" };
  },
  ...errorOnlyResponse,
});
