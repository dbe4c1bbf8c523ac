/**
 * `readPartition` for Kafka: one partition from its log start to its end as of the call, outside
 * any group, read_committed (what a restarting pipeline processor restores its state from).
 *
 * The end is the high watermark when the call starts (ListOffsets latest, read_uncommitted): every
 * record written before the call, committed or not. Fetch with read_committed returns data only up
 * to the last stable offset, so a transaction still open below that end holds the read until it
 * commits, aborts, is fenced or times out on the broker — waited for up to `timeoutMs`, as the
 * reference client does.
 *
 * Aborted records are dropped here as the Java consumer does (`committedRecords` in its
 * CompletedFetch): a batch of a producer with an aborted transaction starting at or before it is
 * skipped until that producer's ABORT marker. The client's own filter keeps an aborted range whose
 * marker is not in the same response (a response cut short by maxBytes), so it is not relied on.
 */
import type { RecordsBatch } from "@platformatic/kafka";
import type { Delivery } from "../contract.js";
import { describeError, type RoutedConsumer } from "./clients.js";
import { NAME } from "./settings.js";

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
/** Control record key: version (int16) then type (int16): 0 abort, 1 commit. */
const ABORT_MARKER = 0;
const READ_COMMITTED = 1;
const READ_UNCOMMITTED = 0;
const EARLIEST = -2n;
const LATEST = -1n;

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export interface CommittedRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * The committed data records of one fetch response's batches (in log order), given the aborted
 * transactions the broker listed for it: control batches and aborted transactional batches go.
 */
export function committedRecords(
  batches: readonly RecordsBatch[],
  aborted: readonly AbortedTransaction[],
): CommittedRecord[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const aborting = new Set<bigint>();
  const out: CommittedRecord[] = [];
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && pending[0]!.firstOffset <= last) aborting.add(pending.shift()!.producerId);
    if (batch.attributes & IS_CONTROL) {
      const type = batch.records[0]?.key?.readInt16BE(2);
      if (type === ABORT_MARKER) aborting.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && aborting.has(batch.producerId)) continue;
    for (const r of batch.records) {
      out.push({ offset: batch.firstOffset + BigInt(r.offsetDelta), key: r.key, value: r.value });
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One offset of the partition by ListOffsets (`EARLIEST`/`LATEST`). */
async function listOffset(
  client: RoutedConsumer,
  topic: string,
  partition: number,
  timestamp: bigint,
): Promise<bigint> {
  const offsets = await client.listOffsets({
    topics: [topic],
    partitions: { [topic]: [partition] },
    timestamp,
    isolationLevel: READ_UNCOMMITTED,
  });
  const offset = offsets.get(topic)?.[partition];
  if (offset === undefined) throw new Error(`${NAME}: no offset for ${topic}-${partition}`);
  return offset;
}

export async function readPartitionToEnd(
  client: RoutedConsumer,
  topic: string,
  partition: number,
  timeoutMs: number,
  maxBytes: number,
): Promise<Delivery[]> {
  const end = await listOffset(client, topic, partition, LATEST);
  let offset = await listOffset(client, topic, partition, EARLIEST);
  const out: Delivery[] = [];
  const deadline = performance.now() + timeoutMs;
  while (offset < end) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new Error(
        `${NAME}: ${topic}-${partition} not readable to offset ${end} within ${timeoutMs} ms (stuck at ${offset}: an open transaction)`,
      );
    }
    const metadata = await client.metadata({ topics: [topic] });
    const t = metadata.topics.get(topic);
    const leader = t?.partitions[partition]?.leader ?? -1;
    if (t === undefined || leader < 0) {
      await sleep(50);
      continue;
    }
    const response = await client.fetch({
      node: leader,
      maxWaitTime: Math.max(1, Math.min(Math.floor(remaining), 100)),
      minBytes: 1,
      maxBytes,
      isolationLevel: READ_COMMITTED,
      topics: [
        {
          topicId: t.id,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              partitionMaxBytes: maxBytes,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    });
    const p = response.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
    if (p === undefined) continue;
    if (p.errorCode !== 0) {
      throw new Error(`${NAME}: reading ${topic}-${partition} at ${offset}: error code ${p.errorCode}`);
    }
    const batches = p.records ?? [];
    if (batches.length === 0) continue; // the open transaction below `end` is not decided yet
    for (const r of committedRecords(batches, p.abortedTransactions)) {
      if (r.offset < offset || r.offset >= end) continue;
      out.push({
        topic,
        partition,
        offset: Number(r.offset),
        key: r.key === null || r.key.length === 0 ? null : r.key.toString(),
        payload: r.value ?? Buffer.alloc(0),
        redelivered: false,
      });
    }
    const lastBatch = batches.at(-1)!;
    offset = lastBatch.firstOffset + BigInt(lastBatch.lastOffsetDelta) + 1n;
  }
  return out;
}

export function readFailure(topic: string, partition: number, err: unknown): Error {
  return new Error(`${NAME}: reading ${topic}-${partition}: ${describeError(err)}`, { cause: err });
}
