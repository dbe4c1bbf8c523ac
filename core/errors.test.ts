import { afterEach, describe, expect, it, vi } from "vitest";
import { internalErrorLine, printable } from "./errors.js";

afterEach(() => vi.unstubAllEnvs());

describe("error lines", () => {
  it("never carry a control character to the terminal", () => {
    expect(printable("a\x1b[31mb\x07c\x00\td\ne")).toBe("a\\x1b[31mb\\x07c\\x00\td\\x0ae");
    expect(printable("plain — ünïcode")).toBe("plain — ünïcode");
  });

  it("an unexpected error is one line with its code; its stack only with BROKERBENCH_DEBUG", () => {
    vi.stubEnv("BROKERBENCH_DEBUG", "");
    const err = Object.assign(new Error("disk full"), { code: "ENOSPC" });
    expect(internalErrorLine(err)).toBe(
      "brokerbench: disk full (ENOSPC) (set BROKERBENCH_DEBUG=1 for details)",
    );
    expect(internalErrorLine("a string")).toBe("brokerbench: a string (set BROKERBENCH_DEBUG=1 for details)");
    vi.stubEnv("BROKERBENCH_DEBUG", "1");
    expect(internalErrorLine(err)).toMatch(/^Error: disk full\\x0a {4}at /);
  });
});
