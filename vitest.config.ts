import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{core,harness,adapters,checkers,reports,deploy}/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
