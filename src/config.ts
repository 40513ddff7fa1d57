/**
 * Broker configuration: every tunable with its default, shared by the CLI, the hub and the sessions.
 */

/** What the hub and its sessions need to know; the CLI fills it from flags. */
export interface BrokerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Idle session processes kept forked and ready. */
  prefork: number;
  /** Clients served at once; the next one gets an ERROR and a close. */
  maxConnections: number;
  /** Connections one client address may hold at once (0 = no limit). */
  maxConnectionsPerAddress: number;
  /** Clients one session process serves one after another before it exits (0 or 1 = a fresh one each). */
  sessionReuse: number;
  /** Largest frame accepted after CONNECT, in bytes. */
  maxFrameSize: number;
  /** Largest frame accepted before CONNECT (RabbitMQ uses 64 KiB for this). */
  maxFrameSizeBeforeConnect: number;
  maxHeaderLines: number;
  maxHeaderLineLength: number;
  /** Shortest heart-beat intervals the broker agrees to, [send, receive] in ms (see README). */
  heartbeat: [number, number];
  /** Subscriptions one connection may hold at once (each costs the hub a trie entry and credit state). */
  maxSubscriptions: number;
  /** Transactions one connection may have open at once. */
  maxTransactions: number;
  /** SEND, ACK and NACK frames one transaction may hold until COMMIT. */
  maxTransactionFrames: number;
  /** Body bytes one transaction may hold until COMMIT. */
  maxTransactionBytes: number;
  /** A client that has not sent CONNECT by then is dropped, in ms. */
  connectTimeoutMs: number;
  /** Credit of a client/client-individual subscription that names none (ActiveMQ's 1000). */
  defaultPrefetch: number;
  /** Offers a session may have unanswered per auto-ack subscription. */
  autoAckWindow: number;
  /** Sessions a queue message is offered to at once; the first claim wins (1 = strict round robin). */
  offerFanout: number;
  /** Bytes of queued messages past which producers are paused (the biggest first): the last resort. */
  memoryHighWatermark: number;
  /** Bytes one queue may hold before producers sending to it are paused (a destination's `maxMemory`). */
  destinationMemory: number;
  /** A consumer whose socket holds this many unsent bytes stops claiming queue messages. */
  consumerWriteWatermark: number;
  /** Past this many unsent bytes a consumer's topic messages are dropped (and counted). */
  topicDropWatermark: number;
  logLevel: LogLevel;
  /** Human-readable log lines (pino-pretty) instead of JSON lines. */
  logPretty: boolean;
  /** Destination policies (JSON file), or '' for none. */
  configFile: string;
  /** Where persistent messages go: the lmdb store in dataDir, or memory only. */
  store: 'lmdb' | 'memory';
  /** Port of the management HTTP API, metrics and console (src/http/); null = none, 0 = a free one. */
  httpPort: number | null;
  /** Address the management HTTP server listens on. */
  httpHost: string;
  /** The users file (users, password hashes, permissions), or '' for anonymous clients. */
  usersFile: string;
  /** Without a users file, accept anonymous clients on a non-loopback address too. */
  allowAnonymous: boolean;
  /** STOMP over TLS on this port; null = no TLS port (0 picks a free one). */
  tlsPort: number | null;
  /** STOMP over WebSocket (path /ws) on this port; null = none (0 picks a free one). */
  wsPort: number | null;
  /** PEM files of the TLS port: certificate (chain), private key, and the CA that signs client certificates ('' = none). */
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  /** A TLS client's login is its certificate's subject CN (needs tlsCa and usersFile). */
  tlsCertLogin: boolean;
  /** Delay before a failed login's ERROR, ms; doubles with each further failure from the same address. */
  authFailureDelayMs: number;
  /** How long a stopping broker waits for pending receipts and store commits, ms. */
  shutdownTimeoutMs: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Defaults: a broker on 127.0.0.1:61613 with its store in ./data. */
export const DEFAULT_CONFIG: BrokerConfig = {
  host: '127.0.0.1',
  port: 61613,
  dataDir: './data',
  prefork: 4,
  maxConnections: 1000,
  maxConnectionsPerAddress: 256,
  sessionReuse: 1000,
  maxFrameSize: 8 * 1024 * 1024,
  maxFrameSizeBeforeConnect: 64 * 1024,
  maxHeaderLines: 1000,
  maxHeaderLineLength: 64 * 1024,
  heartbeat: [100, 100],
  connectTimeoutMs: 10_000,
  maxSubscriptions: 1024,
  maxTransactions: 64,
  maxTransactionFrames: 10_000,
  maxTransactionBytes: 64 * 1024 * 1024,
  defaultPrefetch: 1000,
  autoAckWindow: 256,
  offerFanout: 1,
  memoryHighWatermark: 512 * 1024 * 1024,
  destinationMemory: 128 * 1024 * 1024,
  consumerWriteWatermark: 1024 * 1024,
  topicDropWatermark: 16 * 1024 * 1024,
  logLevel: 'info',
  logPretty: false,
  configFile: '',
  store: 'lmdb',
  httpPort: null,
  httpHost: '127.0.0.1',
  usersFile: '',
  allowAnonymous: false,
  tlsPort: null,
  wsPort: null,
  tlsCert: '',
  tlsKey: '',
  tlsCa: '',
  tlsCertLogin: false,
  authFailureDelayMs: 500,
  shutdownTimeoutMs: 10_000,
};

/**
 * The subset of the configuration a session process needs, passed to it at fork, plus the CONNECTED
 * `server` header (the session cannot read package.json: it reads only the broker's code).
 */
export type SessionConfig = { server: string } & Pick<BrokerConfig,
  'maxFrameSize' | 'maxFrameSizeBeforeConnect' | 'maxHeaderLines' | 'maxHeaderLineLength' | 'heartbeat'
  | 'connectTimeoutMs' | 'defaultPrefetch' | 'consumerWriteWatermark' | 'topicDropWatermark' | 'logLevel'
  | 'maxSubscriptions' | 'maxTransactions' | 'maxTransactionFrames' | 'maxTransactionBytes' | 'sessionReuse'>;

const SESSION_KEYS = [
  'maxFrameSize', 'maxFrameSizeBeforeConnect', 'maxHeaderLines', 'maxHeaderLineLength', 'heartbeat',
  'connectTimeoutMs', 'defaultPrefetch', 'consumerWriteWatermark', 'topicDropWatermark', 'logLevel',
  'maxSubscriptions', 'maxTransactions', 'maxTransactionFrames', 'maxTransactionBytes', 'sessionReuse',
] as const satisfies ReadonlyArray<keyof SessionConfig>;

/** Picks the session's part of the configuration. */
export function sessionConfigOf(config: BrokerConfig, server: string): SessionConfig {
  return { server, ...Object.fromEntries(SESSION_KEYS.map((k) => [k, config[k]])) } as SessionConfig;
}
