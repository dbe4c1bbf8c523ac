import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AT_ONCE_BYTES, FrameWriter } from "./frame-writer.js";

/** A real loopback connection: what the writer writes on `client` arrives on `server`. */
let listener: net.Server;
let client: net.Socket;
let server: net.Socket;
let received: Buffer[] = [];

beforeAll(async () => {
  listener = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => listener.once("connection", resolve));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as net.AddressInfo;
  client = net.connect({ host: "127.0.0.1", port });
  server = await accepted;
  server.on("data", (chunk: Buffer) => received.push(chunk));
});

afterAll(async () => {
  client.destroy();
  server.destroy();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function receivedBytes(n: number): Promise<Buffer> {
  for (let i = 0; i < 500 && received.reduce((s, b) => s + b.length, 0) < n; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const all = Buffer.concat(received);
  received = [];
  return all;
}

function frame(size: number, fill: number): Buffer {
  return Buffer.alloc(size, fill);
}

describe("FrameWriter", () => {
  it("holds small frames until the turn ends, then sends them together", async () => {
    const writer = new FrameWriter(client);
    writer.write(frame(10, 1));
    writer.write(frame(20, 2));
    expect(client.writableCorked).toBe(1);
    expect(client.writableLength).toBe(30);
    await nextTurn();
    expect(client.writableCorked).toBe(0);
    expect(await receivedBytes(30)).toEqual(Buffer.concat([frame(10, 1), frame(20, 2)]));
  });

  it("sends a large frame at once, after the small frames queued before it", async () => {
    const writer = new FrameWriter(client);
    writer.write(frame(10, 1));
    writer.write(frame(AT_ONCE_BYTES, 2));
    // Not corked any more, and nothing waits for the end of the turn.
    expect(client.writableCorked).toBe(0);
    expect(await receivedBytes(10 + AT_ONCE_BYTES)).toEqual(
      Buffer.concat([frame(10, 1), frame(AT_ONCE_BYTES, 2)]),
    );
    await nextTurn();
    expect(client.writableCorked).toBe(0);
  });

  it("keeps every byte in order and leaves the socket uncorked, for any mix of sizes and turns", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            size: fc.oneof(
              fc.integer({ min: 1, max: 64 }),
              fc.integer({ min: AT_ONCE_BYTES, max: 3 * AT_ONCE_BYTES }),
            ),
            endsTurn: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (writes) => {
          const writer = new FrameWriter(client);
          const sent: Buffer[] = [];
          for (const [i, w] of writes.entries()) {
            const f = frame(w.size, i % 256);
            sent.push(f);
            writer.write(f);
            if (w.endsTurn) await nextTurn();
          }
          await nextTurn();
          expect(client.writableCorked).toBe(0);
          const expected = Buffer.concat(sent);
          expect((await receivedBytes(expected.length)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
