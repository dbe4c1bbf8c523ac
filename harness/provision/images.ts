/**
 * What `--provision testcontainers` starts for each adapter: image, port, command, files, and how
 * the started container's address becomes the adapter's settings. Plain data, so it is tested
 * without a container runtime.
 */
export interface BrokerImage {
  readonly image: string;
  readonly port: number;
  readonly command?: readonly string[];
  /** Files written into the container before it starts. */
  readonly files?: readonly { readonly target: string; readonly content: string }[];
  /** A log line that says the broker accepts clients (else: wait for the port). */
  readonly readyLog?: RegExp;
  /** Adapter settings for a broker reachable at host:port. */
  settings(host: string, port: number): Record<string, string>;
}

const nats: BrokerImage = {
  image: "nats:2.10",
  port: 4222,
  command: ["-js"],
  readyLog: /Server is ready/,
  settings: (host, port) => ({ url: `nats://${host}:${port}` }),
};

const redis: BrokerImage = {
  image: "redis:7",
  port: 6379,
  command: ["redis-server", "--save", "", "--appendonly", "no"],
  readyLog: /Ready to accept connections/,
  settings: (host, port) => ({ url: `redis://${host}:${port}` }),
};

/** The image's own defaults plus anonymous access on all interfaces (mosquitto 2 allows neither by default). */
export const MOSQUITTO_CONFIG = "listener 1883 0.0.0.0\nallow_anonymous true\npersistence false\n";

export const BROKER_IMAGES: Readonly<Record<string, BrokerImage>> = {
  nats,
  jetstream: nats,
  mqtt: {
    image: "eclipse-mosquitto:2",
    port: 1883,
    files: [{ target: "/mosquitto/config/mosquitto.conf", content: MOSQUITTO_CONFIG }],
    readyLog: /mosquitto version .* running/,
    settings: (host, port) => ({ url: `mqtt://${host}:${port}` }),
  },
  "redis-pubsub": redis,
  "redis-streams": redis,
  rabbitmq: {
    image: "rabbitmq:3",
    port: 5672,
    readyLog: /Server startup complete/,
    // The official image lets guest/guest connect from outside the container.
    settings: (host, port) => ({ url: `amqp://guest:guest@${host}:${port}` }),
  },
};
