/**
 * Starting a broker with testcontainers. Imported lazily (testcontainers and its Docker client are
 * heavy), and only after the runtime check found a runtime.
 */
import type { BrokerImage } from "./images.js";
import type { RuntimeEndpoint } from "./runtime.js";

export interface StartedBroker {
  readonly settings: Record<string, string>;
  readonly address: string;
  stop(): Promise<void>;
}

/** A starter image's container waits for STARTER_READY, then runs STARTER_SCRIPT with sh. */
const STARTER_SCRIPT = "/tmp/brokerbench-start.sh";
const STARTER_READY = "/tmp/brokerbench-start.ready";
const STARTER_WAITING = "brokerbench: waiting for the start script";
export const STARTER_COMMAND = `echo '${STARTER_WAITING}'; while [ ! -f ${STARTER_READY} ]; do sleep 0.1; done; exec sh ${STARTER_SCRIPT}`;

function waitForLog(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  timeoutMs: number,
  image: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.removeListener("data", onData);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen = (seen + chunk.toString()).slice(-65_536);
      if (pattern.test(seen)) done();
    };
    const timer = setTimeout(
      () => done(new Error(`${image}: no log line matching ${pattern} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    stream.on("data", onData);
  });
}

export async function startWithTestcontainers(
  spec: BrokerImage,
  runtime: RuntimeEndpoint,
): Promise<StartedBroker> {
  // testcontainers finds Podman (and rootless sockets outside its list) through DOCKER_HOST.
  if (runtime.kind === "podman" && process.env.DOCKER_HOST === undefined) {
    process.env.DOCKER_HOST = runtime.dockerHost;
  }
  const { GenericContainer, Wait } = await import("testcontainers");
  let container = new GenericContainer(spec.image)
    .withExposedPorts(spec.port)
    .withStartupTimeout(120_000)
    .withWaitStrategy(
      spec.starter
        ? Wait.forLogMessage(STARTER_WAITING)
        : spec.readyLog
          ? Wait.forLogMessage(spec.readyLog)
          : Wait.forListeningPorts(),
    );
  if (spec.env) container = container.withEnvironment({ ...spec.env });
  if (spec.starter) container = container.withEntrypoint(["sh"]).withCommand(["-c", STARTER_COMMAND]);
  else if (spec.command) container = container.withCommand([...spec.command]);
  if (spec.files) {
    container = container.withCopyContentToContainer(
      spec.files.map((f) => ({ content: f.content, target: f.target })),
    );
  }
  const started = await container.start();
  const host = started.getHost();
  const port = started.getMappedPort(spec.port);
  if (spec.starter) {
    try {
      await started.copyContentToContainer([{ content: spec.starter(host, port), target: STARTER_SCRIPT }]);
      // The flag after the script, so the loop never runs a half-copied script.
      await started.copyContentToContainer([{ content: "", target: STARTER_READY }]);
      if (spec.readyLog) await waitForLog(await started.logs(), spec.readyLog, 120_000, spec.image);
    } catch (err) {
      await started.stop().catch(() => {});
      throw err;
    }
  }
  return {
    settings: spec.settings(host, port),
    address: `${host}:${port} (${spec.image})`,
    stop: async () => {
      await started.stop();
    },
  };
}
