/** Pattern subscriptions on the reference broker, embedded and over TCP (adapters/patterns.suite.ts). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { describePatternSubscriptions } from "../patterns.suite.js";
import type { ServiceGate } from "../test/index.js";
import { referenceAdapter } from "./index.js";
import { startBrokerServer } from "./server/run.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ref-patterns-"));
const server = await startBrokerServer({ host: "127.0.0.1", port: 0, dataDir, flush: "none" });
const url = `127.0.0.1:${server.port}`;
afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const inProcess = (address: string): ServiceGate => ({
  name: "reference broker",
  address,
  available: true,
  skip: false,
  fail: false,
  reason: "",
});

// Patterns resolve to a set of topics: a message of a topic two patterns match arrives once.
describePatternSubscriptions(
  "reference-embedded",
  referenceAdapter,
  {},
  {
    service: inProcess("in process"),
    overlapDeliveries: 1,
    // Resolved when the consumer subscribes (adapters/reference/client/patterns.ts).
    lateTopics: false,
  },
);
describePatternSubscriptions(
  "reference-tcp",
  referenceAdapter,
  { url },
  {
    service: inProcess(url),
    overlapDeliveries: 1,
    // Resolved when the consumer subscribes (adapters/reference/client/patterns.ts).
    lateTopics: false,
  },
);
