/**
 * The crash-safety scenario: a `brokerbench broker --flush always` child process, producers sending
 * with acks=flushed and a consumer group reading and committing, all through the reference adapter
 * over TCP; SIGKILL at a random moment; restart on the same data directory; repeat. At the end a
 * fresh consumer of the group drains, and the history goes to the checker: every acknowledged
 * message must be delivered (none lost) and no offset may hold two different messages. The log is
 * also read back directly: each acknowledged offset must hold exactly the acknowledged message.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkHistoryFile, formatVerdict } from "../../../../checkers/index.js";
import type { Verdict } from "../../../../checkers/verdict.js";
import { decodePayload, encodePayload, messageId } from "../../../../core/payload.js";
import { type Adapter, type Delivery, SendError } from "../../../contract.js";
import { TestHistory } from "../../../test/history.js";
import { ReferenceClient } from "../../client/client.js";
import { referenceAdapter } from "../../index.js";
import { APIS } from "../../protocol/apis.js";
import { recordSetRecords } from "../../protocol/common.js";
import type { FetchResponseIn } from "../../protocol/requests/05-fetch.js";
import { type ChildBroker, startChildBroker } from "./child-broker.js";

export interface CrashScenarioOptions {
  readonly cli: string;
  readonly killPoints: number;
  /** Each cycle runs this long (uniformly random within) before the SIGKILL. */
  readonly minRunMs: number;
  readonly maxRunMs: number;
  readonly partitions: number;
  readonly producers: number;
  readonly batchSize: number;
  readonly seed: number;
}

export interface CrashScenarioResult {
  readonly verdict: Verdict;
  readonly verdictText: string;
  readonly acknowledged: number;
  readonly unknown: number;
  readonly kills: number;
  /** Acknowledged offsets whose record, read back from the recovered log, is missing or different. */
  readonly directMismatches: readonly string[];
  readonly historyPath: string;
}

const TOPIC = "crash";
const GROUP = "g";

/** Small deterministic PRNG, so a failing seed can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCrashScenario(o: CrashScenarioOptions): Promise<CrashScenarioResult> {
  const random = mulberry32(o.seed);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bb-crash-"));
  const dataDir = path.join(work, "data");
  const history = new TestHistory();
  history.meta({
    adapter: "reference",
    workload: "crash-safety",
    model: "log",
    expect: { delivery: "at-least-once", order: "none" },
  });
  const acked = new Map<string, string>(); // "partition/offset" -> id
  let acknowledged = 0;
  let unknown = 0;
  let nextProcess = 1;
  const brokerArgs = ["--data-dir", dataDir, "--flush", "always"];
  const settings = (port: number) => ({
    url: `127.0.0.1:${port}`,
    acks: "flushed",
    sessionTimeoutMs: "1000",
  });

  let broker: ChildBroker = await startChildBroker(o.cli, brokerArgs);
  {
    const admin = await referenceAdapter.connect(settings(broker.port));
    await admin.createTopic({ name: TOPIC, partitions: o.partitions });
    await admin.close();
  }

  for (let cycle = 0; cycle < o.killPoints; cycle++) {
    const adapter = await referenceAdapter.connect(settings(broker.port));
    let running = true;
    const workers: Promise<void>[] = [];
    for (let p = 0; p < o.producers; p++) {
      const process = nextProcess++;
      workers.push(
        (async () => {
          const producer = await adapter.createProducer({
            process,
            mode: "at-least-once",
            idempotent: false,
          });
          let seq = 0;
          while (running) {
            const msgs = Array.from({ length: o.batchSize }, () => {
              const s = seq++;
              return {
                id: messageId(process, s),
                topic: TOPIC,
                key: null,
                payload: encodePayload(100, process, s, 0),
              };
            });
            history.sendInvoke(process, msgs);
            try {
              const acks = await producer.send(msgs);
              history.sendOk(process, msgs, acks);
              acknowledged += msgs.length;
              for (let i = 0; i < acks.length; i++) {
                acked.set(`${acks[i]!.partition}/${acks[i]!.offset}`, msgs[i]!.id);
              }
            } catch (err) {
              const definite = err instanceof SendError && err.definite;
              history.sendFailed(process, msgs, definite);
              if (!definite) unknown += msgs.length;
              return; // the connection is gone: this process never sends again
            }
          }
        })().catch(() => {}),
      );
    }
    const consumerProcess = nextProcess++;
    workers.push(consume(adapter, history, consumerProcess, () => running).catch(() => {}));

    await sleep(o.minRunMs + random() * (o.maxRunMs - o.minRunMs));
    broker.child.kill("SIGKILL");
    await broker.exited;
    running = false;
    await Promise.all(workers);
    history.crash(consumerProcess);
    await adapter.close().catch(() => {});
    broker = await startChildBroker(o.cli, brokerArgs);
  }

  // Final: a fresh member of the group drains everything the group has not processed.
  const adapter = await referenceAdapter.connect(settings(broker.port));
  const drainer = nextProcess++;
  history.drain(GROUP, false);
  await consume(adapter, history, drainer, () => true, 4);
  history.drain(GROUP, true);
  await adapter.close();

  const directMismatches = await readBack(broker.port, o.partitions, acked);
  broker.child.kill("SIGTERM");
  await broker.exited;

  const historyPath = path.join(work, "history.jsonl");
  fs.writeFileSync(historyPath, history.toJsonl());
  const verdict = await checkHistoryFile(historyPath, {
    expect: { delivery: "at-least-once", order: "none" },
  });
  const result = {
    verdict,
    verdictText: formatVerdict(verdict, historyPath),
    acknowledged,
    unknown,
    kills: o.killPoints,
    directMismatches,
    historyPath,
  };
  if (verdict.valid && directMismatches.length === 0) fs.rmSync(dataDir, { recursive: true, force: true });
  return result;
}

/**
 * One consumer of the group: poll, record, commit (at-least-once), until `running()` is false or
 * the connection dies. With `quietPolls`, stops after that many empty polls in a row (a drain).
 */
async function consume(
  adapter: Adapter,
  history: TestHistory,
  process: number,
  running: () => boolean,
  quietPolls = Number.POSITIVE_INFINITY,
): Promise<void> {
  const c = await adapter.createConsumer({
    process,
    group: GROUP,
    topics: [TOPIC],
    delivery: "pull",
    mode: "at-least-once",
    start: "earliest",
    prefetch: 500,
    onAssign: (a) => history.assign(process, GROUP, a),
  });
  if (c.delivery !== "pull") throw new Error("pull consumer expected");
  let quiet = 0;
  while (running() && quiet < quietPolls) {
    history.pollInvoke(process, GROUP);
    let got: readonly Delivery[];
    try {
      got = await c.poll(500, 200);
    } catch {
      return;
    }
    history.pollOk(process, GROUP, got);
    quiet = got.length === 0 ? quiet + 1 : 0;
    if (got.length === 0) continue;
    try {
      const committed = await c.commit(got);
      history.commit(process, GROUP, committed, got);
    } catch {
      return;
    }
  }
  await c.close().catch(() => {});
}

/** Reads every partition from its start and compares each acknowledged offset with what it holds. */
async function readBack(
  port: number,
  partitions: number,
  acked: ReadonlyMap<string, string>,
): Promise<string[]> {
  const client = await ReferenceClient.connect({ host: "127.0.0.1", port });
  const found = new Map<string, string>();
  try {
    for (let p = 0; p < partitions; p++) {
      let offset = 0;
      for (;;) {
        const r = (await client.request(APIS.fetch, {
          waitMs: 0,
          maxRecords: 10_000,
          maxBytes: 8 << 20,
          isolation: "read_uncommitted",
          group: null,
          positions: [{ topic: TOPIC, partition: p, offset }],
        })) as FetchResponseIn;
        const part = r.partitions[0]!;
        if (part.errorCode !== 0)
          throw new Error(`read back partition ${p} at ${offset}: error ${part.errorCode}`);
        for (const rec of recordSetRecords(part.sets)) {
          const h = decodePayload(rec.payload);
          found.set(`${p}/${rec.offset}`, messageId(h.process, h.sequence));
        }
        if (part.nextOffset === offset) break;
        offset = part.nextOffset;
      }
    }
  } finally {
    await client.close();
  }
  const mismatches: string[] = [];
  for (const [at, id] of acked) {
    const there = found.get(at);
    if (there !== id) mismatches.push(`${at}: acknowledged ${id}, log holds ${there ?? "nothing"}`);
  }
  return mismatches;
}
