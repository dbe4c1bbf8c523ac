import { describe, expect, it } from "vitest";
import { buildCli, COMMANDS } from "./cli.js";

describe("CLI command list", () => {
  it("lists each command as its module defines it (the module loads only when the command is named)", async () => {
    for (const entry of COMMANDS) {
      const c = await entry.load();
      expect({ command: entry.command, describe: entry.describe }).toEqual({
        command: c.command,
        describe: c.describe,
      });
    }
  });

  it("--help lists every command without loading one; a named command loads only itself", async () => {
    const loaded: string[] = [];
    const spied = COMMANDS.map((e) => ({
      ...e,
      load: () => {
        loaded.push(e.command);
        return e.load();
      },
    }));
    const help = await (await buildCli(["--help"], spied)).getHelp();
    // yargs wraps long descriptions over lines.
    for (const entry of COMMANDS) expect(help.replace(/\s+/g, " ")).toContain(entry.describe);
    expect(loaded).toEqual([]);
    await buildCli(["list", "--help"], spied);
    expect(loaded).toEqual(["list"]);
  });
});
