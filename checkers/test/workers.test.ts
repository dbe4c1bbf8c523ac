/**
 * The worker-thread reader only exists compiled (dist/, `npm run build`): when it is there, a
 * history large enough to be read by workers must give the same verdict as the in-process read.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeBenchHistory } from "../../bench/checkers-history.js";
import { jsonLinesFileToCompact } from "../../core/history/from-json-lines.js";
import { checkHistoryFile } from "../check.js";

const compiled = fileURLToPath(new URL("../../dist/checkers/index.js", import.meta.url));
const built = existsSync(compiled) && existsSync(compiled.replace("index.js", "scan-worker.js"));

describe("worker threads", () => {
  it.skipIf(!built)(
    `agree with the in-process reader (skipped when dist/ is not built: run npm run build)`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "bb-workers-"));
      const path = join(dir, "h.jsonl");
      try {
        // ~70 MiB: several chunks, dealt to workers and to the main thread.
        writeBenchHistory(path, {
          messages: 250_000,
          partitions: 16,
          batch: 100,
          groups: 2,
          consumersPerGroup: 2,
          keys: 64,
        });
        const dist = (await import(compiled)) as { checkHistoryFile: typeof checkHistoryFile };
        const viaWorkers = await dist.checkHistoryFile(path, { threads: 1, witnesses: 2 });
        const inProcess = await checkHistoryFile(path, { threads: 0, witnesses: 2 });
        expect(viaWorkers).toEqual(inProcess);
        expect(viaWorkers.valid).toBe(true);
        expect(viaWorkers.messages.acknowledged).toBe(250_000);
        // The same history compactly encoded, in many blocks dealt to the worker and this thread.
        const compact = join(dir, "h.bbh");
        const converted = jsonLinesFileToCompact(path, compact, { blockBytes: 16 << 10 });
        expect(converted.eventLines).toBeGreaterThan(converted.lines * 0.99);
        const compactWorkers = await dist.checkHistoryFile(compact, { threads: 1, witnesses: 2 });
        expect(compactWorkers).toEqual(inProcess);
        expect(await checkHistoryFile(compact, { threads: 0, witnesses: 2 })).toEqual(inProcess);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
