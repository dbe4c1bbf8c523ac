import { describe, expect, it } from "vitest";
import { quietFor } from "./drain.js";

describe("drain quiet", () => {
  it("waits out the broker's redelivery delay before judging the rest lost", () => {
    expect(quietFor()).toBe(2000);
    expect(quietFor(500)).toBe(2000);
    expect(quietFor(10_000)).toBe(11_000);
  });
});
