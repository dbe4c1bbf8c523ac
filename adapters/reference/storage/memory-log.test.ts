import { describe, expect, it } from "vitest";
import { MemoryLog, MemoryLogData } from "./memory-log.js";
import { MemoryLogFactory } from "./memory-log-factory.js";
import { describePartitionLog, header } from "./partition-log.suite.js";

describePartitionLog("memory", {
  create: (options) => {
    const data = new MemoryLogData();
    return Promise.resolve({
      log: new MemoryLog(options, data),
      reopen: () => Promise.resolve(new MemoryLog(options, data)),
    });
  },
});

describe("MemoryLog specifics", () => {
  it("refuses appends after close, and empty non-control batches", async () => {
    const log = new MemoryLog();
    expect(() => log.append(header(), [])).toThrow(/empty batch/);
    expect(() =>
      log.append(header({ control: "commit" }), [{ key: null, payload: new Uint8Array(1) }]),
    ).toThrow(/control batch/);
    await log.close();
    expect(() => log.append(header(), [{ key: null, payload: new Uint8Array(1) }])).toThrow(/closed/);
  });

  it("the factory keeps a partition's data across handles until it is removed", async () => {
    const f = new MemoryLogFactory();
    const a = await f.open("t", 0);
    a.append(header(), [{ key: "k", payload: new Uint8Array([1]) }]);
    await a.close();
    expect((await f.open("t", 0)).endOffset).toBe(1);
    expect((await f.open("t", 1)).endOffset).toBe(0);
    await f.remove("t", 0);
    expect((await f.open("t", 0)).endOffset).toBe(0);
  });
});
