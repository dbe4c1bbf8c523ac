import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import {
  BROKER_IMAGES,
  findContainerRuntime,
  hostProbe,
  NoContainerRuntimeError,
  provisionBroker,
  type RuntimeProbe,
} from "./index.js";

/** A machine with no runtime at all: no DOCKER_HOST, no properties file, no sockets. */
function emptyMachine(env: NodeJS.ProcessEnv = {}): RuntimeProbe {
  return {
    env,
    home: "/home/nobody",
    uid: 1000,
    exists: () => false,
    readFile: () => null,
    reachable: async () => false,
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(target: number | string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    servers.push(s);
    s.listen(target, () => resolve(s));
  });
}

describe("container runtime detection", () => {
  it("without any runtime: one line that names what was tried and what to do", async () => {
    const err = await findContainerRuntime(emptyMachine()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoContainerRuntimeError);
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).not.toContain("\n");
    expect(msg).toMatch(
      /^no container runtime found \(DOCKER_HOST unset; no socket at \/var\/run\/docker\.sock/,
    );
    expect(msg).toMatch(/--provision testcontainers needs Docker or Podman; start one or drop the flag$/);
  });

  it("a DOCKER_HOST nobody answers on is reported as such, without trying elsewhere", async () => {
    const probe = { ...hostProbe, env: { DOCKER_HOST: "tcp://127.0.0.1:1" }, home: "/nonexistent" };
    const err = await findContainerRuntime(probe, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoContainerRuntimeError);
    expect((err as Error).message).toContain("DOCKER_HOST=tcp://127.0.0.1:1: nothing answers at 127.0.0.1:1");
  });

  it("a DOCKER_HOST that answers is used", async () => {
    const server = await listen(0);
    const port = (server.address() as { port: number }).port;
    const probe = { ...hostProbe, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` }, home: "/nonexistent" };
    await expect(findContainerRuntime(probe)).resolves.toMatchObject({
      kind: "configured",
      source: "DOCKER_HOST",
    });
  });

  it("finds a rootless Docker socket and a Podman socket where testcontainers would", async () => {
    const home = mkdtempSync(join(tmpdir(), "bb-provision-"));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(home, ".docker", "run"), { recursive: true });
    const socket = join(home, ".docker", "run", "docker.sock");
    await listen(socket);
    const probe = { ...hostProbe, env: {}, home, exists: (p: string) => p === socket };
    await expect(findContainerRuntime(probe)).resolves.toEqual({
      dockerHost: `unix://${socket}`,
      source: socket,
      kind: "docker",
    });

    const xdg = mkdtempSync(join(tmpdir(), "bb-xdg-"));
    mkdirSync(join(xdg, "podman"));
    const podman = join(xdg, "podman", "podman.sock");
    await listen(podman);
    const probe2 = { ...hostProbe, env: { XDG_RUNTIME_DIR: xdg }, home, exists: (p: string) => p === podman };
    await expect(findContainerRuntime(probe2)).resolves.toMatchObject({ kind: "podman" });
  });

  it("reads docker.host from ~/.testcontainers.properties", async () => {
    const probe = { ...emptyMachine(), readFile: () => "docker.host=tcp://127.0.0.1:1\n" };
    await expect(findContainerRuntime(probe)).rejects.toThrow(
      /docker\.host in ~\/\.testcontainers\.properties=tcp:\/\/127\.0\.0\.1:1/,
    );
  });
});

const hostHasRuntime = await findContainerRuntime(hostProbe, 500).then(
  () => true,
  () => false,
);

describe("provisionBroker", () => {
  it("fails up front, before loading testcontainers, when there is no runtime", async () => {
    const started = Date.now();
    await expect(provisionBroker("nats", "testcontainers", emptyMachine())).rejects.toThrow(
      NoContainerRuntimeError,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.skipIf(hostHasRuntime)(
    "on this machine (no Docker, no Podman): the one-line error, within a second",
    async () => {
      const started = Date.now();
      const err = await provisionBroker("mqtt", "testcontainers").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoContainerRuntimeError);
      expect((err as Error).message.split("\n")).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(1000);
    },
  );

  it("names the adapters it can provision when asked for one it cannot", async () => {
    await expect(provisionBroker("reference", "testcontainers", emptyMachine())).rejects.toThrow(
      /runs embedded\); provisionable adapters: nats, jetstream, mqtt/,
    );
  });

  it("maps each started broker's address onto its adapter's url setting", () => {
    const urls = Object.fromEntries(
      Object.entries(BROKER_IMAGES).map(([name, spec]) => [name, spec.settings("localhost", 32768).url]),
    );
    expect(urls).toEqual({
      nats: "nats://localhost:32768",
      jetstream: "nats://localhost:32768",
      mqtt: "mqtt://localhost:32768",
      "redis-pubsub": "redis://localhost:32768",
      "redis-streams": "redis://localhost:32768",
      rabbitmq: "amqp://guest:guest@localhost:32768",
      kafka: "localhost:32768",
    });
    expect(BROKER_IMAGES.jetstream?.command).toContain("-js");
    expect(BROKER_IMAGES.mqtt?.files?.[0]?.content).toMatch(/allow_anonymous true/);
  });

  it("kafka: one KRaft node advertising the mapped address clients reach it at", () => {
    const kafka = BROKER_IMAGES.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:4\./);
    expect(kafka.env).toMatchObject({
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9094",
      KAFKA_LISTENERS: "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
      KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    });
    // The advertised listener is only known once the port is mapped: the start script sets it.
    expect(kafka.env).not.toHaveProperty("KAFKA_ADVERTISED_LISTENERS");
    expect(kafka.starter?.("docker.example", 32768)).toBe(
      "export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://docker.example:32768,BROKER://localhost:9093\nexec /etc/kafka/docker/run\n",
    );
    expect(
      kafka.readyLog?.test("[2026-12-04 23:00:10,215] INFO [KafkaRaftServer nodeId=1] Kafka Server started"),
    ).toBe(true);
  });
});
