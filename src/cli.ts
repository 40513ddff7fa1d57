/**
 * The command line (commander): `start` (the default), `stop`, `status`, `reload`, and `user …` (the
 * users file, src/auth/user-commands.ts). Flags map onto BrokerConfig.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { userCommands } from './auth/user-commands.js';
import { UsersFileError } from './auth/users-file.js';
import { type BrokerConfig, DEFAULT_CONFIG, type LogLevel } from './config.js';
import { Hub } from './hub/hub.js';
import { ConfigError } from './hub/policy.js';
import { DataDirLockedError, defaultPidfile, isAlive, readBrokerInfo, readPidfile } from './hub/run-files.js';
import type { BrokerStatus } from './ipc/contract.js';
import { askReload, askStatus } from './ipc/control.js';
import { BROKER_VERSION } from './version.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function port(value: string): number {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number, 0-65535');
  return n;
}

function byteSize(value: string): number {
  const m = /^(\d+)\s*([kKmMgG]i?[bB]?)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a size such as 8388608, 512k or 8M');
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  return Number(m[1]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit] || Number(m[1]);
}

function heartbeatPair(value: string): [number, number] {
  const m = /^(\d+),(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be "send,receive" in ms, e.g. 100,100');
  return [Number(m[1]), Number(m[2])];
}

interface StartOptions {
  host: string; port: number; dataDir: string; prefork: number; maxConnections: number;
  maxFrameSize: number; heartbeat?: [number, number]; prefetch: number; daemonize: boolean;
  pidfile?: string; logLevel: LogLevel; logPretty: boolean; maxMemory: number; offerFanout: number; config?: string;
  store: 'lmdb' | 'memory'; httpPort?: number; httpHost: string; maxDestinationMemory: number; connectTimeout: number; slowTopicBacklog: number;
  maxConnectionsPerAddress: number; sessionReuse: number; maxSubscriptions: number; maxTransactionFrames: number;
  maxTransactionBytes: number; users?: string; allowAnonymous: boolean; tlsPort?: number; wsPort?: number; tlsCert?: string;
  tlsKey?: string; tlsCa?: string; tlsCertLogin: boolean; authFailureDelay: number; shutdownTimeout: number;
}

function startCommand(program: Command): void {
  const d = DEFAULT_CONFIG;
  program.command('start', { isDefault: true })
    .description('start the broker (the default command)')
    .option('--host <host>', 'address to listen on', d.host)
    .option('-p, --port <port>', 'TCP port for STOMP', port, d.port)
    .option('--data-dir <dir>', 'data directory (locked: one broker per directory)', d.dataDir)
    .option('--prefork <n>', 'idle session processes kept ready', positiveInt, d.prefork)
    .option('--max-connections <n>', 'clients served at once', positiveInt, d.maxConnections)
    .option('--max-connections-per-address <n>', 'connections one client address may hold (0 = no limit)',
      positiveInt, d.maxConnectionsPerAddress)
    .option('--session-reuse <n>', 'clients one session process serves one after another (0 = a fresh process each)',
      positiveInt, d.sessionReuse)
    .option('--max-frame-size <bytes>', 'largest frame accepted (e.g. 8M)', byteSize, d.maxFrameSize)
    .option('--connect-timeout <ms>', 'time a client has to send its CONNECT frame', positiveInt, d.connectTimeoutMs)
    .option('--heartbeat <send,receive>', 'shortest heart-beat intervals the broker agrees to, ms (default: 100,100)',
      heartbeatPair)
    .option('--prefetch <n>', 'credit of client-ack subscriptions that set none (0 = unlimited)',
      positiveInt, d.defaultPrefetch)
    .option('--max-memory <bytes>', 'queued bytes in all past which the biggest producers are paused', byteSize,
      d.memoryHighWatermark)
    .option('--max-destination-memory <bytes>', 'bytes one queue may hold before its producers are paused', byteSize,
      d.destinationMemory)
    .option('--slow-topic-backlog <bytes>', 'bytes a topic subscriber may fall behind; past it its topic messages are dropped until it catches up',
      byteSize, d.topicDropWatermark)
    .option('--offer-fanout <n>', 'sessions a queue message is offered to at once', positiveInt, d.offerFanout)
    .option('--max-subscriptions <n>', 'subscriptions one connection may hold', positiveInt, d.maxSubscriptions)
    .option('--max-transaction-frames <n>', 'SEND/ACK/NACK frames one transaction may hold', positiveInt,
      d.maxTransactionFrames)
    .option('--max-transaction-bytes <bytes>', 'body bytes one transaction may hold (e.g. 64M)', byteSize,
      d.maxTransactionBytes)
    .option('--config <file>', 'destination policies (JSON): persistence, retries, dead letters, bounds …')
    .addOption(new Option('--store <kind>', 'where persistent messages go').choices(['lmdb', 'memory'])
      .default(d.store))
    .option('--http-port <port>', 'management HTTP API, metrics and web console (0 picks a free port; off when absent)',
      port)
    .option('--http-host <host>', 'address the management HTTP server listens on', d.httpHost)
    .option('--users <file>', 'users, password hashes and permissions (see "stomp-broker user"); none = anonymous clients')
    .option('--allow-anonymous', 'without --users, accept anonymous clients on a non-loopback --host too', false)
    .option('--ws-port <port>', 'STOMP over WebSocket on this port too, path /ws (browsers: @stomp/stompjs)', port)
    .option('--tls-port <port>', 'STOMP over TLS on this port too (needs --tls-cert and --tls-key)', port)
    .option('--tls-cert <file>', 'PEM certificate (chain) of the TLS port')
    .option('--tls-key <file>', 'PEM private key of the TLS port')
    .option('--tls-ca <file>', 'PEM CA certificates: TLS clients must present a certificate one of them signed')
    .option('--tls-cert-login', 'a TLS client logs in as its certificate\'s subject CN (needs --tls-ca and --users)', false)
    .option('--auth-failure-delay <ms>', 'delay before a failed login\'s ERROR; doubles per further failure from the address',
      positiveInt, d.authFailureDelayMs)
    .option('--shutdown-timeout <ms>', 'how long stopping waits for pending receipts and store commits', positiveInt,
      d.shutdownTimeoutMs)
    .option('--daemonize', 'run in the background; logs go to <data-dir>/stomp-broker.log', false)
    .option('--pidfile <file>', 'pid file (default <data-dir>/stomp-broker.pid)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug'])
      .default(d.logLevel))
    .option('--log-pretty', 'human-readable log lines instead of JSON (for a terminal)', false)
    .action(async (opts: StartOptions) => {
      if (opts.daemonize) return daemonize(opts);
      await runBroker(opts);
    });
}

function configOf(opts: StartOptions): BrokerConfig {
  return {
    ...DEFAULT_CONFIG, host: opts.host, port: opts.port, dataDir: opts.dataDir, prefork: Math.max(1, opts.prefork),
    maxConnections: opts.maxConnections, maxFrameSize: opts.maxFrameSize, heartbeat: opts.heartbeat ?? DEFAULT_CONFIG.heartbeat,
    defaultPrefetch: opts.prefetch, logLevel: opts.logLevel, logPretty: opts.logPretty, memoryHighWatermark: opts.maxMemory,
    destinationMemory: opts.maxDestinationMemory, topicDropWatermark: opts.slowTopicBacklog,
    offerFanout: Math.max(1, opts.offerFanout), configFile: opts.config ?? '', store: opts.store,
    maxConnectionsPerAddress: opts.maxConnectionsPerAddress, sessionReuse: opts.sessionReuse,
    connectTimeoutMs: Math.max(1, opts.connectTimeout),
    maxSubscriptions: opts.maxSubscriptions, maxTransactionFrames: opts.maxTransactionFrames,
    maxTransactionBytes: opts.maxTransactionBytes,
    httpPort: opts.httpPort ?? null, httpHost: opts.httpHost,
    usersFile: opts.users ?? '', allowAnonymous: opts.allowAnonymous, tlsPort: opts.tlsPort ?? null, wsPort: opts.wsPort ?? null,
    tlsCert: opts.tlsCert ?? '', tlsKey: opts.tlsKey ?? '', tlsCa: opts.tlsCa ?? '', tlsCertLogin: opts.tlsCertLogin,
    authFailureDelayMs: opts.authFailureDelay, shutdownTimeoutMs: opts.shutdownTimeout,
  };
}

/** Runs the broker in this process until SIGTERM/SIGINT. */
async function runBroker(opts: StartOptions): Promise<void> {
  const hub = new Hub(configOf(opts), { pidfile: opts.pidfile });
  try {
    await hub.start();
  } catch (err) {
    const expected = err instanceof DataDirLockedError || err instanceof ConfigError || err instanceof UsersFileError
      || (err as NodeJS.ErrnoException).code !== undefined;
    const message = expected ? (err as Error).message : (err as Error).stack;
    process.stderr.write(`stomp-broker: cannot start: ${message}\n`);
    process.exit(1);
  }
  const stop = () => hub.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // As nginx and most daemons: SIGHUP rereads the users file and the configuration (see Hub.reload).
  process.on('SIGHUP', () => hub.reload());
  guardProcess(hub);
}

/**
 * Last-resort handlers. A rejected promise nobody handled is a bug in one operation: it is logged and
 * the broker goes on (every store write is handled where it is made, so no acknowledgement depends on
 * it). An uncaught exception may have left the hub's state half-changed: the hub stops cleanly (clients
 * get ERROR, the store is closed with everything acknowledged on disk) and exits 70 for a supervisor.
 */
function guardProcess(hub: Hub): void {
  process.on('unhandledRejection', (reason) => {
    hub.log.error(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  process.once('uncaughtException', (err) => {
    hub.log.error(`uncaught exception, stopping: ${err.stack ?? err.message}`);
    const force = setTimeout(() => process.exit(70), 10_000);
    force.unref();
    void hub.stop().finally(() => process.exit(70));
  });
}

/** Starts a detached copy of this command without --daemonize; returns once it listens. */
async function daemonize(opts: StartOptions): Promise<void> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const logFile = path.join(opts.dataDir, 'stomp-broker.log');
  const log = fs.openSync(logFile, 'a');
  const logStart = fs.fstatSync(log).size;
  const args = process.argv.slice(1).filter((a) => a !== '--daemonize');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  for (let waited = 0; waited < 30_000; waited += 100) {
    const info = readBrokerInfo(opts.dataDir);
    if (info && info.pid === child.pid) {
      process.stdout.write(`stomp-broker started (pid ${child.pid}) on ${info.host}:${info.port}; log ${logFile}\n`);
      process.exit(0);
    }
    if (child.exitCode !== null || !isAlive(child.pid!)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stderr.write(`stomp-broker: the daemon did not start; see ${logFile}\n${whyNotStarted(logFile, logStart)}`);
  process.exit(1);
}

/** The last lines the failed daemon wrote to its log (the `msg` of JSON lines), for the terminal. */
function whyNotStarted(logFile: string, from: number): string {
  let text = '';
  try {
    text = fs.readFileSync(logFile).subarray(from).toString('utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '').slice(-5).map((line) => {
    try {
      const { msg } = JSON.parse(line) as { msg?: unknown };
      return typeof msg === 'string' ? msg : line;
    } catch {
      return line;
    }
  });
  return lines.map((l) => `  ${l}\n`).join('');
}

function stopCommand(program: Command): void {
  program.command('stop')
    .description('stop the broker running on a data directory (SIGTERM, then wait)')
    .option('--data-dir <dir>', 'data directory', DEFAULT_CONFIG.dataDir)
    .option('--pidfile <file>', 'pid file (default <data-dir>/stomp-broker.pid)')
    .action(async (opts: { dataDir: string; pidfile?: string }) => {
      // A broker started with its own --pidfile is still found through its data directory.
      const pid = opts.pidfile ? readPidfile(opts.pidfile)
        : readPidfile(defaultPidfile(opts.dataDir)) ?? readBrokerInfo(opts.dataDir)?.pid;
      if (!pid || !isAlive(pid)) {
        process.stderr.write(`stomp-broker: no broker is running ${opts.pidfile ? `with pid file ${opts.pidfile}`
          : `on data directory ${path.resolve(opts.dataDir)}`}\n`);
        process.exit(1);
      }
      process.kill(pid, 'SIGTERM');
      for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (isAlive(pid)) {
        process.stderr.write(`stomp-broker: pid ${pid} did not stop within 30 s\n`);
        process.exit(1);
      }
      process.stdout.write(`stomp-broker stopped (pid ${pid})\n`);
    });
}

function statusCommand(program: Command): void {
  program.command('status')
    .description('ask the running broker for uptime, connections and destinations')
    .option('--data-dir <dir>', 'data directory', DEFAULT_CONFIG.dataDir)
    .option('--json', 'print JSON', false)
    .action(async (opts: { dataDir: string; json: boolean }) => {
      const info = readBrokerInfo(opts.dataDir);
      if (!info || !isAlive(info.pid)) {
        process.stderr.write(`stomp-broker: no broker is running on data directory ${path.resolve(opts.dataDir)}\n`);
        process.exit(1);
      }
      const status = await askStatus(info.busPath);
      writeAndExit(process.stdout, opts.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status), 0);
    });
}

function reloadCommand(program: Command): void {
  program.command('reload')
    .description('make the running broker reread its users file and --config (clients stay connected)')
    .option('--data-dir <dir>', 'data directory', DEFAULT_CONFIG.dataDir)
    .action(async (opts: { dataDir: string }) => {
      const info = readBrokerInfo(opts.dataDir);
      if (!info || !isAlive(info.pid)) {
        process.stderr.write(`stomp-broker: no broker is running on data directory ${path.resolve(opts.dataDir)}\n`);
        process.exit(1);
      }
      const reply = await askReload(info.busPath);
      writeAndExit(reply.ok ? process.stdout : process.stderr,
        reply.message.split('\n').map((line) => `stomp-broker: ${line}\n`).join(''), reply.ok ? 0 : 1);
    });
}

/** Exits once `text` is written: a pipe (`status --json | jq`) takes it in chunks, and exit would cut it. */
function writeAndExit(stream: NodeJS.WriteStream, text: string, code: number): void {
  stream.write(text, () => process.exit(code));
}

function formatStatus(s: BrokerStatus): string {
  const lines = [
    `stomp-broker ${s.version}, pid ${s.pid}, listening on ${s.host}:${s.port}${s.tlsPort ? `, TLS on ${s.tlsPort}` : ''}`
      + `${s.wsPort ? `, WebSocket on ${s.wsPort}` : ''}`,
    `uptime ${(s.uptimeMs / 1000).toFixed(0)} s, ${s.connections} connections (${s.pendingConnections} before CONNECT), `
      + `${s.idleSessions} idle sessions`,
  ];
  if (s.sessions.length > 0) {
    lines.push('', 'session   pid      state     clients  address');
    for (const p of s.sessions) {
      lines.push(String(p.id).padEnd(10) + String(p.pid).padEnd(9) + p.state.padEnd(10) + String(p.clients).padStart(7)
        + `  ${p.address}`);
    }
  }
  if (s.destinations.length > 0) {
    lines.push('', 'destination'.padEnd(40) + 'kind   depth  consumers  in-flight  enqueued  delivered');
    for (const d of s.destinations) {
      lines.push(d.name.padEnd(40) + d.kind.padEnd(7) + String(d.depth).padStart(5) + String(d.consumers).padStart(11)
        + String(d.inFlight).padStart(11) + String(d.enqueued).padStart(10) + String(d.delivered).padStart(11));
    }
  }
  return lines.join('\n') + '\n';
}

/** Parses argv and runs the command. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('stomp-broker')
    .description('A STOMP 1.0/1.1/1.2 broker that serves every client in its own process')
    .version(BROKER_VERSION);
  startCommand(program);
  stopCommand(program);
  statusCommand(program);
  reloadCommand(program);
  userCommands(program);
  await program.parseAsync(argv);
}
