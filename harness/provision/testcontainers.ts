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
    .withWaitStrategy(spec.readyLog ? Wait.forLogMessage(spec.readyLog) : Wait.forListeningPorts());
  if (spec.command) container = container.withCommand([...spec.command]);
  if (spec.files) {
    container = container.withCopyContentToContainer(
      spec.files.map((f) => ({ content: f.content, target: f.target })),
    );
  }
  const started = await container.start();
  const host = started.getHost();
  const port = started.getMappedPort(spec.port);
  return {
    settings: spec.settings(host, port),
    address: `${host}:${port} (${spec.image})`,
    stop: async () => {
      await started.stop();
    },
  };
}
