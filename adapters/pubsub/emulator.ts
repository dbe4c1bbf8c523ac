/**
 * Where Google's Pub/Sub emulator is installed on this machine, and which one serves a port.
 *
 * The emulator is a Java program shipped as the Google Cloud CLI's `pubsub-emulator` component
 * (`<sdk>/platform/pubsub-emulator/lib/cloud-pubsub-emulator-<version>-all.jar`); no package
 * registry these machines reach has it. The service definition (harness/services/pubsub) starts
 * the jar found here, and the adapter's tests skip, naming what is missing, where none is.
 * Linux only for `servingEmulatorVersion` (it reads /proc); elsewhere it answers null.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

/** Names an explicit emulator jar, ahead of every Google Cloud CLI found. */
export const EMULATOR_JAR_ENV = "BROKERBENCH_PUBSUB_EMULATOR_JAR";

const JAR_PATTERN = /^cloud-pubsub-emulator-(\d+(?:\.\d+)*)-all\.jar$/;
const COMPONENT_DIR = join("platform", "pubsub-emulator", "lib");

export interface EmulatorInstall {
  readonly jar: string;
  /** From the jar's name (`0.8.20`); the emulator does not report its version over the API. */
  readonly version: string;
  /** The Google Cloud CLI the jar belongs to, or null for an explicit jar. */
  readonly sdkRoot: string | null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest emulator jar of one Google Cloud CLI installation, or null. */
function jarIn(sdkRoot: string): EmulatorInstall | null {
  let names: string[];
  try {
    names = readdirSync(join(sdkRoot, COMPONENT_DIR));
  } catch {
    return null;
  }
  let best: EmulatorInstall | null = null;
  for (const name of names) {
    const m = JAR_PATTERN.exec(name);
    if (m === null) continue;
    const version = m[1]!;
    if (best === null || compareVersions(version, best.version) > 0) {
      best = { jar: join(sdkRoot, COMPONENT_DIR, name), version, sdkRoot };
    }
  }
  return best;
}

/** The `gcloud` on PATH, followed through symlinks, or null. */
function gcloudOnPath(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "gcloud");
    if (isFile(candidate)) {
      try {
        return realpathSync(candidate);
      } catch {
        return candidate;
      }
    }
  }
  return null;
}

/** Google Cloud CLI roots to look in: $CLOUDSDK_ROOT_DIR, the `gcloud` on PATH, the usual places. */
export function sdkRoots(env: NodeJS.ProcessEnv): string[] {
  const roots: string[] = [];
  if (env.CLOUDSDK_ROOT_DIR) roots.push(env.CLOUDSDK_ROOT_DIR);
  const gcloud = gcloudOnPath(env);
  if (gcloud !== null) roots.push(dirname(dirname(gcloud))); // <root>/bin/gcloud
  roots.push(
    "/usr/lib/google-cloud-sdk",
    "/usr/share/google-cloud-sdk",
    "/opt/google-cloud-sdk",
    "/snap/google-cloud-cli/current",
    "/snap/google-cloud-sdk/current",
    join(env.HOME ?? homedir(), "google-cloud-sdk"),
  );
  return [...new Set(roots)];
}

/**
 * The emulator jar to run: $BROKERBENCH_PUBSUB_EMULATOR_JAR if set, else the newest one of the
 * first Google Cloud CLI that has the component. A string says, in one line, what is missing.
 */
export function findEmulator(
  env: NodeJS.ProcessEnv = process.env,
  roots: readonly string[] = sdkRoots(env),
): EmulatorInstall | string {
  const explicit = env[EMULATOR_JAR_ENV];
  if (explicit !== undefined && explicit !== "") {
    if (!isFile(explicit)) return `${EMULATOR_JAR_ENV}=${explicit} is not a file`;
    const m = JAR_PATTERN.exec(explicit.split("/").pop() ?? "");
    return { jar: explicit, version: m?.[1] ?? "unknown", sdkRoot: null };
  }
  for (const root of roots) {
    const found = jarIn(root);
    if (found !== null) return found;
  }
  const gcloud = gcloudOnPath(env);
  return gcloud !== null
    ? `the Google Cloud CLI at ${dirname(dirname(gcloud))} has no pubsub-emulator component ` +
        `(gcloud components install pubsub-emulator, or set ${EMULATOR_JAR_ENV})`
    : `the Pub/Sub emulator is not installed: no gcloud on PATH and no ${COMPONENT_DIR}/cloud-pubsub-emulator-*-all.jar ` +
        `under ${roots.join(", ")} (install the Google Cloud CLI's pubsub-emulator component, or set ${EMULATOR_JAR_ENV})`;
}

/** Socket inodes listening on a TCP port (IPv4 and IPv6 tables of /proc/net). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "<hex ip>:<hex port>", state 0A is LISTEN, the inode is field 9.
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === "0A") inodes.add(f[9]!);
    }
  }
  return inodes;
}

/**
 * The version of the Pub/Sub emulator listening on this machine's `port`, read from the command
 * line of the process holding the socket (`-jar …/cloud-pubsub-emulator-0.8.20-all.jar`); null
 * when no such process is found (another host, another user's process, not Linux).
 */
export function servingEmulatorVersion(port: number): string | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      for (const arg of cmdline) {
        const m = JAR_PATTERN.exec(arg.split("/").pop() ?? "");
        if (m !== null) return m[1]!;
      }
    } catch {}
    return null;
  }
  return null;
}
