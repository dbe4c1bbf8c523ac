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
  /** Environment of the container. */
  readonly env?: Readonly<Record<string, string>>;
  /** A log line that says the broker accepts clients (else: wait for the port). */
  readonly readyLog?: RegExp;
  /**
   * For a broker that must advertise the address clients reach it at (Kafka: clients reconnect to
   * what its metadata advertises), known only once the port is mapped: the container waits, the
   * script (shell, run with `sh`) is copied in with the mapped host and port, and it starts the
   * broker; then `readyLog` is awaited.
   */
  starter?(host: string, port: number): string;
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

/**
 * Apache Kafka's own image, one KRaft node. Three listeners, as Testcontainers' Kafka modules set
 * them: PLAINTEXT for clients (advertised as the mapped host:port), BROKER for the broker's own
 * connections inside the container, CONTROLLER for the quorum of one.
 */
const kafka: BrokerImage = {
  image: "apache/kafka:4.4.0",
  port: 9092,
  env: {
    CLUSTER_ID: "4L6g3nShT-eMCtK--X86sw",
    KAFKA_NODE_ID: "1",
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_LISTENERS: "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "BROKER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9094",
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
  },
  readyLog: /Kafka Server started/,
  starter: (host, port) =>
    `export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${host}:${port},BROKER://localhost:9093\nexec /etc/kafka/docker/run\n`,
  settings: (host, port) => ({ url: `${host}:${port}` }),
};

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
  kafka,
};
