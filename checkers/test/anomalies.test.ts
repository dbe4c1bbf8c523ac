/**
 * One hand-written history per anomaly of ../docs/HISTORY.md that has exactly that anomaly,
 * and a valid history of the same shape that has none.
 */
import { describe, expect, it } from "vitest";
import { checkHistory } from "../check.js";
import type { Anomaly, Verdict } from "../verdict.js";
import {
  ack,
  assign,
  commit,
  drain,
  history,
  meta,
  type Pos,
  poll,
  sendFailed,
  sendOk,
} from "./history-dsl.js";

function found(v: Verdict): Partial<Record<Anomaly, number>> {
  return Object.fromEntries(Object.entries(v.counts).filter(([, n]) => n > 0));
}

const a0: Pos = ["1-0", 0, 0];
const b1: Pos = ["1-1", 0, 1];
const c2: Pos = ["1-2", 0, 2];

interface Case {
  readonly anomaly: Anomaly;
  /** Anomalies the definition entails along with it (duplicate-processing is also a duplicate delivery). */
  readonly alsoEntailed?: readonly Anomaly[];
  readonly expect: readonly [string, string];
  readonly bad: string[];
  readonly good: string[];
}

const cases: Case[] = [
  {
    anomaly: "lost",
    expect: ["at-least-once", "none"],
    bad: history(sendOk(1, [a0, b1]), poll(7, "g", [a0]), drain("g")),
    good: history(sendOk(1, [a0, b1]), poll(7, "g", [a0, b1]), drain("g")),
  },
  {
    anomaly: "duplicate-delivery",
    expect: ["at-most-once", "none"],
    bad: history(
      sendOk(1, [a0, b1]),
      poll(7, "g", [a0, b1]),
      assign(7, "g", [0]),
      poll(7, "g", [b1]),
      drain("g"),
    ),
    good: history(sendOk(1, [a0, b1]), poll(7, "g", [a0, b1]), assign(7, "g", [0]), drain("g")),
  },
  {
    anomaly: "duplicate-processing",
    alsoEntailed: ["duplicate-delivery"],
    expect: ["exactly-once", "none"],
    bad: history(
      sendOk(1, [a0, b1]),
      poll(7, "g", [a0]),
      commit(7, "g", [[0, 1]]),
      assign(7, "g", [0]),
      poll(7, "g", [a0, b1]),
      commit(7, "g", [[0, 2]]),
      drain("g"),
    ),
    good: history(
      sendOk(1, [a0, b1]),
      poll(7, "g", [a0]),
      commit(7, "g", [[0, 1]]),
      assign(7, "g", [0]),
      poll(7, "g", [b1]),
      commit(7, "g", [[0, 2]]),
      drain("g"),
    ),
  },
  {
    anomaly: "duplicate-write",
    expect: ["exactly-once", "none"],
    bad: history(sendOk(1, [a0]), poll(7, "g", [["1-0", 0, 1]]), drain("g")),
    good: history(sendOk(1, [a0]), poll(7, "g", [a0]), drain("g")),
  },
  {
    anomaly: "unexpected",
    expect: ["none", "none"],
    bad: history(sendOk(1, [a0]), poll(7, "g", [a0, ["9-9", 0, 1]])),
    good: history(sendOk(1, [a0]), sendOk(9, [["9-9", 0, 1]]), poll(7, "g", [a0, ["9-9", 0, 1]])),
  },
  {
    anomaly: "aborted-read",
    expect: ["none", "none"],
    bad: history(sendOk(1, [a0]), sendFailed(2, ["2-0"], "fail"), poll(7, "g", [a0, ["2-0", 0, 1]])),
    good: history(sendOk(1, [a0]), sendOk(2, [["2-0", 0, 1]]), poll(7, "g", [a0, ["2-0", 0, 1]])),
  },
  {
    anomaly: "inconsistent-offset",
    expect: ["none", "none"],
    bad: history(sendOk(1, [a0]), sendOk(2, [["2-0", 0, 0]]), poll(7, "g", [a0])),
    good: history(sendOk(1, [a0]), sendOk(2, [["2-0", 0, 1]]), poll(7, "g", [a0])),
  },
  {
    anomaly: "poll-skip",
    expect: ["none", "partition"],
    bad: history(sendOk(1, [a0, b1, c2]), poll(7, "g", [a0, c2])),
    good: history(sendOk(1, [a0, b1, c2]), poll(7, "g", [a0, b1, c2])),
  },
  {
    anomaly: "nonmonotonic-poll",
    expect: ["none", "partition"],
    // Two producers, so that reading b before a breaks no causal order.
    bad: history(sendOk(1, [a0]), sendOk(2, [["2-0", 0, 1]]), poll(7, "g", [["2-0", 0, 1], a0])),
    good: history(sendOk(1, [a0]), sendOk(2, [["2-0", 0, 1]]), poll(7, "g", [a0, ["2-0", 0, 1]])),
  },
  {
    anomaly: "nonmonotonic-send",
    expect: ["none", "producer"],
    bad: history(sendOk(1, [["1-0", 0, 1]]), sendOk(1, [["1-1", 0, 0]])),
    good: history(sendOk(1, [["1-0", 0, 0]]), sendOk(1, [["1-1", 0, 1]])),
  },
  {
    anomaly: "key-order",
    expect: ["none", "key"],
    // A seek back to offset 0 after reading offset 1: the consumer sees k's later message first.
    bad: history(
      sendOk(1, [["1-0", 0, 0, "k"]]),
      sendOk(2, [["2-0", 0, 1, "k"]]),
      assign(7, "g", [0], [{ topic: "t", partition: 0, offset: 1 }]),
      poll(7, "g", [["2-0", 0, 1, "k"]]),
      assign(7, "g", [0], [{ topic: "t", partition: 0, offset: 0 }]),
      poll(7, "g", [["1-0", 0, 0, "k"]]),
    ),
    good: history(
      sendOk(1, [["1-0", 0, 0, "k"]]),
      sendOk(2, [["2-0", 0, 1, "k"]]),
      assign(7, "g", [0], [{ topic: "t", partition: 0, offset: 0 }]),
      poll(7, "g", [["1-0", 0, 0, "k"]]),
      assign(7, "g", [0], [{ topic: "t", partition: 0, offset: 1 }]),
      poll(7, "g", [["2-0", 0, 1, "k"]]),
    ),
  },
  {
    anomaly: "total-order",
    expect: ["none", "total"],
    bad: history(
      sendOk(1, [["1-0", 0, 0]]),
      sendOk(2, [["2-0", 1, 0]]),
      poll(7, "g1", [
        ["1-0", 0, 0],
        ["2-0", 1, 0],
      ]),
      poll(8, "g2", [
        ["2-0", 1, 0],
        ["1-0", 0, 0],
      ]),
    ),
    good: history(
      sendOk(1, [["1-0", 0, 0]]),
      sendOk(2, [["2-0", 1, 0]]),
      poll(7, "g1", [
        ["1-0", 0, 0],
        ["2-0", 1, 0],
      ]),
      poll(8, "g2", [
        ["1-0", 0, 0],
        ["2-0", 1, 0],
      ]),
    ),
  },
  {
    anomaly: "causal",
    expect: ["none", "causal"],
    // 2-0 declares it depends on 1-0; they sit on two partitions, read in the wrong order.
    bad: history(
      sendOk(1, [["1-0", 0, 0]]),
      sendOk(2, [["2-0", 1, 0]], ["1-0"]),
      poll(7, "g", [
        ["2-0", 1, 0],
        ["1-0", 0, 0],
      ]),
    ),
    good: history(
      sendOk(1, [["1-0", 0, 0]]),
      sendOk(2, [["2-0", 1, 0]], ["1-0"]),
      poll(7, "g", [
        ["1-0", 0, 0],
        ["2-0", 1, 0],
      ]),
    ),
  },
];

describe("each anomaly, alone", () => {
  it("covers every anomaly of the table", () => {
    expect(new Set(cases.map((c) => c.anomaly)).size).toBe(13);
  });
  for (const c of cases) {
    it(`${c.anomaly}: reported, and nothing else`, () => {
      const v = checkHistory([...meta(...c.expect), ...c.bad]);
      const want: Partial<Record<Anomaly, number>> = { [c.anomaly]: 1 };
      for (const a of c.alsoEntailed ?? []) want[a] = 1;
      expect(found(v)).toEqual(want);
      expect(v.valid).toBe(false);
      expect(v.forbidden).toContain(c.anomaly);
      const where = [...v.groups.map((g) => g.anomalies[c.anomaly]), v.log[c.anomaly]].find((f) => f);
      expect(where?.witnesses[0]?.lines.length).toBeGreaterThan(0);
      for (const w of where?.witnesses[0]?.lines ?? []) expect(w.text).toBe(c.bad[w.line - 2]);
    });
    it(`${c.anomaly}: a valid history of the same shape reports nothing`, () => {
      const v = checkHistory([...meta(...c.expect), ...c.good]);
      expect(found(v)).toEqual({});
      expect(v.valid).toBe(true);
    });
  }
});

describe("processing", () => {
  it("a redelivery committed only once is one processing, under exactly-once valid", () => {
    const v = checkHistory(
      history(
        meta("exactly-once", "partition"),
        sendOk(1, [a0, b1]),
        poll(7, "g", [a0]),
        assign(7, "g", [0]),
        poll(7, "g", [a0, b1]),
        commit(7, "g", [[0, 2]]),
        drain("g"),
      ),
    );
    expect(found(v)).toEqual({ "duplicate-delivery": 1 });
    expect(v.valid).toBe(true);
  });
  it("queue model: an id acknowledged by two consumers was processed twice", () => {
    const v = checkHistory(
      history(
        meta("exactly-once", "none", "queue"),
        sendOk(1, [["1-0", 0, null]]),
        poll(7, "g", [["1-0", 0, null]]),
        ack(7, "g", ["1-0"]),
        poll(8, "g", [["1-0", 0, null]]),
        ack(8, "g", ["1-0"]),
        drain("g"),
      ),
    );
    expect(found(v)).toEqual({ "duplicate-delivery": 1, "duplicate-processing": 1 });
    expect(v.valid).toBe(false);
  });
});

describe("causal order", () => {
  it("process order: a producer's two sends read in the opposite order on two partitions", () => {
    const v = checkHistory(
      history(
        meta("none", "causal"),
        sendOk(1, [
          ["1-0", 0, 0],
          ["1-1", 1, 0],
        ]),
        poll(7, "g", [
          ["1-1", 1, 0],
          ["1-0", 0, 0],
        ]),
      ),
    );
    expect(found(v)).toEqual({ causal: 1 });
  });
  it("transitively, through a relay that received the cause before sending", () => {
    const v = checkHistory(
      history(
        meta("none", "causal"),
        sendOk(1, [["1-0", 0, 0]]),
        poll(5, "relay", [["1-0", 0, 0]]),
        sendOk(5, [["5-0", 1, 0]]),
        sendOk(6, [["6-0", 2, 0]], ["5-0"]),
        poll(7, "g", [
          ["6-0", 2, 0],
          ["1-0", 0, 0],
          ["5-0", 1, 0],
        ]),
      ),
    );
    // 6-0 was read before both of its causes; 1-0 and 5-0 in order.
    expect(found(v)).toEqual({ causal: 1 });
    expect(v.groups.find((g) => g.group === "g")?.anomalies.causal?.witnesses[0]?.message).toMatch(
      /6-0 before 5-0/,
    );
  });
});

describe("total order", () => {
  it("a three-consumer cycle with no pairwise opposition is one disagreement", () => {
    const m = (p: number): Pos => [`${p}-0`, p, 0];
    const v = checkHistory(
      history(
        meta("none", "total"),
        sendOk(1, [m(1)]),
        sendOk(2, [m(2)]),
        sendOk(3, [m(3)]),
        poll(7, "a", [m(1), m(2)]),
        poll(8, "b", [m(2), m(3)]),
        poll(9, "c", [m(3), m(1)]),
      ),
    );
    expect(found(v)).toEqual({ "total-order": 1 });
  });
});
