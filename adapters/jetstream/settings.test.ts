import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { jetstreamFactory } from "./descriptor.js";

describe("jetstream replicas setting", () => {
  it("is refused in one line naming it before anything connects (a closed port is never tried)", async () => {
    for (const replicas of ["0", "6", "2.5", "three"]) {
      const connecting = jetstreamFactory.connect({ url: "nats://127.0.0.1:1", replicas });
      await expect(connecting).rejects.toBeInstanceOf(UsageError);
      await expect(jetstreamFactory.connect({ url: "nats://127.0.0.1:1", replicas })).rejects.toThrow(
        `jetstream: setting replicas=${replicas} must be an integer from 1 to 5`,
      );
    }
  });
});
