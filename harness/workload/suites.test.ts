import { describe, expect, it } from "vitest";
import { loadWorkloadFile, type WorkloadRun } from "./load.js";
import { resolveWorkloadArg } from "./resolve.js";

// The experiment suites of the README's "Experiment suites": each loads, expands to the runs the
// README describes, and schedules its faults inside the producing time. Nothing is run here.
const load = (name: string): Promise<WorkloadRun[]> => loadWorkloadFile(resolveWorkloadArg(name));
const kinds = (run: WorkloadRun | undefined): string[] => (run?.workload.faults ?? []).map((f) => f.kind);

describe("experiment suites", () => {
  it("delivery-modes: 3 modes × consumer crash, ack loss, broker crash under default and durable persistence", async () => {
    const runs = await load("delivery-modes");
    expect(runs).toHaveLength(12);
    const modes = new Set(runs.map((r) => r.workload.deliveryMode));
    expect(modes).toEqual(new Set(["at-most-once", "at-least-once", "exactly-once"]));
    const crashes = runs.filter((r) => kinds(r).includes("broker-crash"));
    expect(crashes).toHaveLength(6);
    for (const run of runs) {
      const crash = kinds(run).includes("broker-crash");
      expect(run.workload.server).toBe(crash ? "spawn" : "none");
      // A broker crash strikes while the stalled consumer leaves acknowledged messages unread.
      expect(kinds(run)).toEqual(crash ? ["consumer-stall", "broker-crash"] : [kinds(run)[0]]);
    }
    expect(crashes.map((r) => `${r.workload.deliveryMode} ${r.workload.serverProfile}`).sort()).toEqual([
      "at-least-once default",
      "at-least-once durable",
      "at-most-once default",
      "at-most-once durable",
      "exactly-once default",
      "exactly-once durable",
    ]);
    expect(new Set(runs.map((r) => kinds(r).at(-1)))).toEqual(
      new Set(["consumer-crash", "producer-ack-loss", "broker-crash"]),
    );
  });

  it("push-vs-pull: push and pull, each with a stall and then a consumer down and back", async () => {
    const runs = await load("push-vs-pull");
    expect(runs.map((r) => r.workload.delivery)).toEqual(["push", "pull", "push"]);
    // The reference broker's bounded push buffer is a point of its own, scoped to that adapter.
    expect(runs[2]?.workload.settings).toEqual({
      "reference.push": "buffer",
      "reference.overflow": "drop",
      "reference.pushBuffer": "1000",
    });
    for (const run of runs) expect(kinds(run)).toEqual(["consumer-stall", "consumer-crash"]);
  });

  it("retention-catchup: push and pull, the only consumer down while the producer goes on", async () => {
    const runs = await load("retention-catchup");
    expect(runs.map((r) => r.workload.delivery)).toEqual(["push", "pull"]);
    for (const run of runs) {
      expect(kinds(run)).toEqual(["consumer-crash"]);
      expect(run.workload.consumersPerGroup).toBe(1);
    }
  });

  it("nemesis: 30 broker kills 1.2 s apart and 100 one a second, from fixed seeds", async () => {
    const runs = await load("nemesis");
    expect(runs.map((r) => [r.id, r.workload.faults.length])).toEqual([
      ["nemesis-schedule=kills-30", 30],
      ["nemesis-schedule=kills-100", 100],
    ]);
    for (const run of runs) {
      expect(new Set(kinds(run))).toEqual(new Set(["broker-crash"]));
      expect(run.workload).toMatchObject({
        server: "spawn",
        serverFlush: "always",
        deliveryMode: "at-least-once",
      });
    }
    const [, hundred] = runs;
    // One a second: consecutive kills start one second apart (no jitter).
    const starts = hundred!.workload.faults.map((f) => f.at);
    expect(starts.every((at, k) => k === 0 || Math.abs(at - starts[k - 1]! - 1) < 1e-9)).toBe(true);
  });

  it("streaming: pipelines in 3 modes × none, processor crash, ack loss, broker crash (spawned)", async () => {
    const runs = await load("streaming");
    expect(runs).toHaveLength(12);
    for (const run of runs) {
      expect(run.workload.kind).toBe("pipeline");
      expect(run.workload.server).toBe(kinds(run).includes("broker-crash") ? "spawn" : "none");
    }
    expect(new Set(runs.map((r) => kinds(r).join("+")))).toEqual(
      new Set(["", "consumer-crash+consumer-crash", "producer-ack-loss", "broker-crash"]),
    );
  });

  it("every suite's faults end before producing does", async () => {
    for (const name of ["delivery-modes", "push-vs-pull", "retention-catchup", "nemesis", "streaming"]) {
      for (const run of await load(name)) {
        const { durationS, faults } = run.workload;
        for (const f of faults) expect(f.at + f.duration, `${run.id} ${f.kind}`).toBeLessThan(durationS);
      }
    }
  });
});
