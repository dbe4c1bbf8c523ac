/**
 * Produce (key 4), versions 0-1. Appends one batch per entry; entries are independent (one may fail
 * while another succeeds) and are answered in request order.
 *
 *   request:  acks int8 (0 none: answered at once, 1 leader: after the append, 2 flushed: after fsync)
 *             producerId int64 (-1 plain), producerEpoch int16, transactional bool
 *             batches array<[topic string][partition int32][baseSequence int32 (-1 none)] records>
 *               v0 records: array<[key string][payload bytes]>
 *               v1 records: count int32, bytes: the log's own record encoding (STORAGE.md; see
 *                  common.ts RecordSet), appended as it is, without a decode per record
 *   response: errorCode int16, errorMessage string
 *             results array<[errorCode int16][errorMessage string][baseOffset int64][duplicate bool]>
 *
 * Not implemented: partition -1 (the client picks partitions, as Kafka clients do).
 */
import {
  EncodedRecords,
  type RecordsIn,
  recordInputs,
  sectionBytes,
  writeSection,
} from "../../storage/record-section.js";
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import { ProtocolError, type Reader } from "../codec.js";
import { MIN_BYTES, readEnum, writeEnum } from "../common.js";

export const ACKS = ["none", "leader", "flushed"] as const;
export type WireAcks = (typeof ACKS)[number];

export interface ProduceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly baseSequence: number;
  /** Decoded: objects (v0) or the section as it came (v1). */
  readonly records: RecordsIn;
}

export interface ProduceRequest {
  readonly acks: WireAcks;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactional: boolean;
  readonly batches: readonly ProduceBatch[];
}

export interface ProduceBatchResult extends ErrorPart {
  readonly baseOffset: number;
  readonly duplicate: boolean;
}

export interface ProduceResponse extends ErrorPart {
  readonly results: readonly ProduceBatchResult[];
}

function readBatchResult(r: Reader): ProduceBatchResult {
  const { errorCode, errorMessage } = readError(r);
  return { errorCode, errorMessage, baseOffset: r.int64(), duplicate: r.bool() };
}

export const produce = defineApi<ProduceRequest, ProduceResponse>({
  key: 4,
  name: "Produce",
  minVersion: 0,
  maxVersion: 1,
  encodeRequest(w, req, version) {
    writeEnum(w, ACKS, req.acks);
    w.int64(req.producerId).int16(req.producerEpoch).bool(req.transactional);
    w.array(req.batches, (w, b) => {
      w.string(b.topic).int32(b.partition).int32(b.baseSequence);
      if (version === 0) {
        w.array(recordInputs(b.records), (w, rec) => w.string(rec.key).bytes(rec.payload));
      } else if (b.records instanceof EncodedRecords) {
        w.int32(b.records.count).bytes(b.records.bytes);
      } else {
        const records = b.records;
        const n = sectionBytes(records);
        w.int32(records.length).int32(n);
        w.writeWith(n, (buf, at) => writeSection(buf, at, records));
      }
    });
  },
  decodeRequest(r, version) {
    const acks = readEnum(r, ACKS, "acks");
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const transactional = r.bool();
    const batches = r.array((r) => {
      const topic = r.text("topic");
      const partition = r.int32();
      const baseSequence = r.int32();
      if (version === 0) {
        const records = r.array((r) => ({ key: r.string(), payload: r.bytes() ?? new Uint8Array(0) }), 6);
        return { topic, partition, baseSequence, records };
      }
      const count = r.int32();
      const records = EncodedRecords.check(r.bytes() ?? Buffer.alloc(0), count);
      if (records === null)
        throw new ProtocolError(`Produce to ${topic}/${partition}: not ${count} well-formed records`);
      return { topic, partition, baseSequence, records };
    }, MIN_BYTES.topicPartition + 8);
    return { acks, producerId, producerEpoch, transactional, batches };
  },
  encodeResponse(w, res) {
    writeError(w, res);
    w.array(res.results, (w, x) => {
      writeError(w, x);
      w.int64(x.baseOffset).bool(x.duplicate);
    });
  },
  // Literals, not spreads: api.ts NO_ERROR says why.
  decodeResponse(r) {
    const { errorCode, errorMessage } = readError(r);
    return { errorCode, errorMessage, results: r.array(readBatchResult, 13) };
  },
  errorResponse: (e) => ({ ...e, results: [] }),
  requestBytes(req) {
    let n = 64;
    for (const b of req.batches) {
      n += 64 + b.topic.length * 3;
      n +=
        b.records instanceof EncodedRecords
          ? b.records.bytes.length
          : sectionBytes(b.records) + 6 * b.records.length;
    }
    return n;
  },
});
