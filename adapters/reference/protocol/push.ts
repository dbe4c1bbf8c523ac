/**
 * The bodies of PUSH frames (server -> client, id = subscription id):
 *
 *   kind int8
 *   0 RECORDS  topic string, partition int32, nextOffset int64, redeliveredBelow int64 (records
 *              below it were delivered to the group before; 0 none), records array<Record>
 *   1 QUEUE    messages array<[topic string][partition int32][offset int64][key string]
 *                            [payload bytes][deliveryCount int32]>   (redelivered = deliveryCount > 1)
 *   2 ENDED    errorCode int16 (0: ended by the subscriber), errorMessage string
 *   3 SETS     topic string, partition int32, fromOffset int64 (where this chunk was read from),
 *              nextOffset int64, redeliveredBelow int64, sets array<RecordSet> (common.ts: the log's
 *              own record encoding): what a Subscribe v1 gets instead of RECORDS
 */
import { type ErrorPart, readError, writeError } from "./api.js";
import { ProtocolError, type Reader, type Writer } from "./codec.js";
import { MIN_BYTES, type RecordSet, readRecord, type WireRecord, writeRecord } from "./common.js";
import { type RecordSource, readRecords, writeRecords } from "./requests/05-fetch.js";

export interface QueueMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: Uint8Array;
  readonly deliveryCount: number;
}

export type PushBody =
  | {
      readonly kind: "records";
      readonly topic: string;
      readonly partition: number;
      readonly nextOffset: number;
      readonly redeliveredBelow: number;
      readonly records: readonly WireRecord[];
    }
  | {
      readonly kind: "sets";
      readonly topic: string;
      readonly partition: number;
      readonly fromOffset: number;
      readonly nextOffset: number;
      readonly redeliveredBelow: number;
      readonly sets: readonly RecordSet[];
    }
  | { readonly kind: "queue"; readonly messages: readonly QueueMessage[] }
  | ({ readonly kind: "ended" } & ErrorPart);

/** Writes a RECORDS body from a record iterator (the server does not build an array first). */
export function writeRecordsPush(
  w: Writer,
  topic: string,
  partition: number,
  nextOffset: number,
  redeliveredBelow: number,
  count: number,
  each: (write: (rec: WireRecord) => void) => void,
): void {
  w.int8(0).string(topic).int32(partition).int64(nextOffset).int64(redeliveredBelow).int32(count);
  each((rec) => writeRecord(w, rec));
}

/** Writes a SETS body straight from the log's batches. */
export function writeSetsPush(
  w: Writer,
  topic: string,
  partition: number,
  fromOffset: number,
  nextOffset: number,
  redeliveredBelow: number,
  records: RecordSource,
): void {
  w.int8(3).string(topic).int32(partition).int64(fromOffset).int64(nextOffset).int64(redeliveredBelow);
  writeRecords(w, records, 1);
}

export function writePush(w: Writer, body: PushBody): void {
  switch (body.kind) {
    case "records": {
      const { topic, partition, nextOffset, redeliveredBelow, records } = body;
      writeRecordsPush(w, topic, partition, nextOffset, redeliveredBelow, records.length, (write) => {
        for (const r of records) write(r);
      });
      return;
    }
    case "sets": {
      const { topic, partition, fromOffset, nextOffset, redeliveredBelow, sets } = body;
      w.int8(3).string(topic).int32(partition).int64(fromOffset).int64(nextOffset).int64(redeliveredBelow);
      w.array(sets, (w, x) => w.int64(x.baseOffset).int32(x.count).bytes(x.bytes));
      return;
    }
    case "queue":
      w.int8(1).array(body.messages, (w, m) => {
        w.string(m.topic)
          .int32(m.partition)
          .int64(m.offset)
          .string(m.key)
          .bytes(m.payload)
          .int32(m.deliveryCount);
      });
      return;
    case "ended":
      w.int8(2);
      writeError(w, body);
  }
}

export function readPush(r: Reader): PushBody {
  const kind = r.int8();
  if (kind === 0) {
    return {
      kind: "records",
      topic: r.text("topic"),
      partition: r.int32(),
      nextOffset: r.int64(),
      redeliveredBelow: r.int64(),
      records: r.array(readRecord, MIN_BYTES.record),
    };
  }
  if (kind === 1) {
    return {
      kind: "queue",
      messages: r.array(
        (r) => ({
          topic: r.text("topic"),
          partition: r.int32(),
          offset: r.int64(),
          key: r.string(),
          payload: r.bytes() ?? new Uint8Array(0),
          deliveryCount: r.int32(),
        }),
        24,
      ),
    };
  }
  if (kind === 2) return { kind: "ended", ...readError(r) };
  if (kind === 3) {
    return {
      kind: "sets",
      topic: r.text("topic"),
      partition: r.int32(),
      fromOffset: r.int64(),
      nextOffset: r.int64(),
      redeliveredBelow: r.int64(),
      sets: readRecords(r, 1),
    };
  }
  throw new ProtocolError(`push kind ${kind}`);
}
