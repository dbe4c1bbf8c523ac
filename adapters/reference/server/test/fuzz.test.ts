/**
 * Fuzz: at least 10,000 random and mutated frames thrown at a running server over many
 * connections, while a well-behaved client keeps producing and fetching. The server must not
 * crash or hang, must close only the offending connections, and the good client must see every
 * request answered correctly throughout.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReferenceClient } from "../../client/client.js";
import { APIS } from "../../protocol/apis.js";
import { recordSetRecords } from "../../protocol/common.js";
import { beginRequest, endFrame } from "../../protocol/frame.js";
import type { FetchResponseIn } from "../../protocol/requests/05-fetch.js";
import { mulberry32, type Rand, sample } from "../../protocol/test/samples.js";
import { type RunningBrokerServer, startBrokerServer } from "../run.js";

const FRAMES = Number(process.env.BB_FUZZ_FRAMES ?? 12_000);
const SEED = Number(process.env.BB_FUZZ_SEED ?? Date.now() % 1_000_000);
const NAMES = Object.keys(APIS) as (keyof typeof APIS)[];

let dir: string;
let server: RunningBrokerServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-fuzz-"));
  server = await startBrokerServer({
    host: "127.0.0.1",
    port: 0,
    dataDir: dir,
    flush: "none",
    maxFrameBytes: 64 * 1024,
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A valid request frame of a random type (topics "t", "fz" exist, so some really do work). */
function validFrame(rand: Rand): Buffer {
  const s = sample(NAMES[Math.floor(rand() * NAMES.length)]!, rand);
  const w = beginRequest({ apiKey: s.api.key, apiVersion: 0, correlationId: Math.floor(rand() * 1e6) });
  s.api.encodeRequest(w, s.request, 0);
  return Buffer.from(endFrame(w));
}

/** One fuzz frame: valid, or mutated in one of several ways, or pure garbage. */
function fuzzFrame(rand: Rand): Buffer {
  const f = validFrame(rand);
  const kind = Math.floor(rand() * 8);
  switch (kind) {
    case 0:
      return f;
    case 1: {
      // Flip a few bytes after the size field.
      for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) {
        const at = 4 + Math.floor(rand() * (f.length - 4));
        f[at] = Math.floor(rand() * 256);
      }
      return f;
    }
    case 2: {
      // Truncate the body, keeping a consistent size field (a short, malformed request).
      const n = 8 + Math.floor(rand() * Math.max(1, f.length - 12));
      const t = Buffer.from(f.subarray(0, Math.min(f.length, 4 + n)));
      t.writeUInt32BE(t.length - 4, 0);
      return t;
    }
    case 3: {
      // Random api key / version.
      f.writeInt16BE(Math.floor(rand() * 65536) - 32768, 4);
      if (rand() < 0.5) f.writeInt16BE(Math.floor(rand() * 10), 6);
      return f;
    }
    case 4: {
      // A size larger than the maximum frame, or than what follows.
      const t = Buffer.from(f);
      t.writeUInt32BE(rand() < 0.5 ? 0xffffffff : f.length + Math.floor(rand() * 100), 0);
      return t;
    }
    case 5: {
      // Trailing garbage inside the frame.
      const extra = Buffer.from(
        Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256)),
      );
      const t = Buffer.concat([f, extra]);
      t.writeUInt32BE(t.length - 4, 0);
      return t;
    }
    case 6: {
      // Forged array/string lengths: overwrite an int32 in the body with a huge or negative value.
      if (f.length > 16)
        f.writeInt32BE(rand() < 0.5 ? 0x7fffffff : -2, 12 + Math.floor(rand() * (f.length - 16)));
      return f;
    }
    default: {
      // Pure garbage, any size (including shorter than a header).
      const n = Math.floor(rand() * 64);
      const g = Buffer.from(Array.from({ length: 4 + n }, () => Math.floor(rand() * 256)));
      if (rand() < 0.7) g.writeUInt32BE(n, 0);
      return g;
    }
  }
}

/** Writes frames on one connection until it is closed by the server or `count` are sent; returns how many. */
function blast(port: number, frames: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(sent);
    };
    s.on("error", finish);
    s.on("close", finish);
    s.on("data", () => {});
    s.once("connect", () => {
      for (const f of frames) {
        if (s.destroyed) break;
        s.write(f);
        sent++;
      }
      // Give the server a moment to answer or close, then hang up ourselves.
      setTimeout(finish, 20);
    });
  });
}

describe("reference server fuzz", () => {
  it(`survives ${FRAMES} random and mutated frames (seed ${SEED}); other connections keep working`, async () => {
    const rand = mulberry32(SEED);
    const good = await ReferenceClient.connect({
      host: "127.0.0.1",
      port: server.port,
      requestTimeoutMs: 5000,
    });
    for (const name of ["t", "fz"]) await good.request(APIS.createTopic, { name, partitions: 3 });
    // The good client's topic is one the fuzzer never names (it creates and deletes "t" and "fz").
    await good.request(APIS.createTopic, { name: "good-topic", partitions: 1 });

    // The good client works throughout: produce then read back, in a loop.
    let goodRounds = 0;
    let stop = false;
    const goodLoop = (async () => {
      while (!stop) {
        const payload = Buffer.from(`good-${goodRounds}`);
        const p = await good.request(APIS.produce, {
          acks: "leader",
          producerId: -1,
          producerEpoch: -1,
          transactional: false,
          batches: [
            { topic: "good-topic", partition: 0, baseSequence: -1, records: [{ key: null, payload }] },
          ],
        });
        const r0 = p.results[0]!;
        expect(r0.errorCode).toBe(0);
        const f = (await good.request(APIS.fetch, {
          waitMs: 0,
          maxRecords: 1,
          maxBytes: 1000,
          isolation: "read_uncommitted",
          group: null,
          positions: [{ topic: "good-topic", partition: 0, offset: r0.baseOffset }],
        })) as FetchResponseIn;
        expect(Buffer.from(recordSetRecords(f.partitions[0]!.sets)[0]!.payload).toString()).toBe(
          `good-${goodRounds}`,
        );
        goodRounds++;
      }
    })();

    let sent = 0;
    const workers = 4;
    let connections = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (sent < FRAMES) {
          const frames = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => fuzzFrame(rand));
          const n = await blast(server.port, frames);
          sent += n;
          connections++;
        }
      }),
    );
    stop = true;
    await goodLoop;
    console.log(
      `fuzz: ${sent} frames over ${connections} connections; the good client completed ${goodRounds} rounds`,
    );

    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(goodRounds).toBeGreaterThan(10);
    expect(good.closed).toBe(false);
    // Everything the fuzzers opened is gone again (nothing hangs around), and new clients are served.
    for (let i = 0; i < 50 && server.server.connectionCount > 1; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(server.server.connectionCount).toBeLessThanOrEqual(1);
    const fresh = await ReferenceClient.connect({ host: "127.0.0.1", port: server.port });
    expect((await fresh.request(APIS.metadata, {})).topics.map((t) => t.name)).toContain("good-topic");
    fresh.destroy();
    good.destroy();
  }, 120_000);
});
