import { describe, expect, it } from "vitest";
import { formatHostPort, isLoopback, parseHostPort } from "./address.js";

describe("HOST:PORT", () => {
  it("takes addresses, DNS names (a Kubernetes service's) and bracketed IPv6", () => {
    expect(parseHostPort("127.0.0.1:7878")).toEqual({ host: "127.0.0.1", port: 7878 });
    expect(parseHostPort("bb-worker-0.bb-workers.default.svc.cluster.local:7878")).toEqual({
      host: "bb-worker-0.bb-workers.default.svc.cluster.local",
      port: 7878,
    });
    expect(parseHostPort("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(formatHostPort({ host: "::1", port: 9 })).toBe("[::1]:9");
  });

  it("refuses what is not one", () => {
    for (const bad of ["host", ":80", "host:", "host:65536", "a b:1", "http://h:1"])
      expect(parseHostPort(bad)).toBeNull();
  });

  it("tells loopback (no token needed) from any other address", () => {
    expect(["127.0.0.1", "127.3.2.1", "::1", "localhost"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "10.0.0.5", "::", "worker-0"].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
