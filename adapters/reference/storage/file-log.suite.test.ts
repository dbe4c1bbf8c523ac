import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileLog } from "./file-log.js";
import { describePartitionLog } from "./partition-log.suite.js";

const dirs: string[] = [];

// The same conformance suite the memory log passes, against segment files on disk.
describePartitionLog("file", {
  create: (options) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "filelog-suite-"));
    dirs.push(dir);
    const open = () => new FileLog(dir, { segmentBytes: options.segmentBytes, retention: options.retention });
    return Promise.resolve({ log: open(), reopen: () => Promise.resolve(open()) });
  },
  cleanup: () => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    return Promise.resolve();
  },
});
