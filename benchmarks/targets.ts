/**
 * Benchmark targets: a broker by name (`ours`, `rabbitmq`, `activemq`, `activemq-nio`) or by
 * `name=host:port`, how to log in to it, and starting/stopping it ALONE through brokers.sh when it is
 * not already listening.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import type { ConnectOptions } from './client.js';
import { BROKERS_SH } from './machine.js';
import { listenerPid } from './proc.js';

/** The brokers brokers.sh knows, with its ports and their logins. */
export const KNOWN_TARGETS: Record<string, { port: number; login?: string; passcode?: string; vhost?: string }> = {
  ours: { port: 61700 },
  rabbitmq: { port: 61623, login: 'guest', passcode: 'guest', vhost: '/' },
  activemq: { port: 61614 },
  'activemq-nio': { port: 61615 },
};

/** One broker to measure. */
export interface Target {
  /** As given: `ours`, `rabbitmq=127.0.0.1:61623`, … */
  name: string;
  /** A name brokers.sh can start, or null for a broker someone else runs. */
  kind: string | null;
  conn: ConnectOptions;
}

/** Parses `name` or `name=host:port`; a known name brings its port and login. */
export function parseTarget(spec: string): Target {
  const m = /^([A-Za-z0-9_.-]+)(?:=([^:]+):(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`bad target '${spec}': want NAME or NAME=HOST:PORT`);
  const known = KNOWN_TARGETS[m[1]];
  if (!known && !m[2]) throw new Error(`unknown target '${m[1]}': give its address as ${m[1]}=HOST:PORT`);
  const port = m[3] ? Number(m[3]) : known.port;
  return {
    name: m[1], kind: known ? m[1] : null,
    conn: { host: m[2] ?? '127.0.0.1', port, login: known?.login, passcode: known?.passcode, vhost: known?.vhost ?? '/' },
  };
}

/** Parses a comma-separated list of targets. */
export function parseTargets(list: string[]): Target[] {
  return list.flatMap((s) => s.split(',')).filter(Boolean).map(parseTarget);
}

/** Whether something accepts TCP connections at host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function brokersSh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [BROKERS_SH, ...args], { env: { ...process.env, ...env }, timeout: 180_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`brokers.sh ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve());
  });
}

/** A target made ready: whether this process started it (and so must stop it). */
export interface Running {
  target: Target;
  managed: boolean;
  /** The process listening on the target's port (the broker, or ours' hub), when it can be seen. */
  pid: number | null;
}

/**
 * Makes `target` listen: a broker already listening is used as it is (not managed); otherwise a known
 * one is started by brokers.sh, which stops the other brokers it manages first, so it runs alone.
 * `oursArgs` are extra flags for our broker (OURS_ARGS).
 */
export async function startTarget(target: Target, oursArgs = ''): Promise<Running> {
  const { host, port } = target.conn;
  if (await portOpen(host, port)) return { target, managed: false, pid: listenerPid(port) };
  if (!target.kind) throw new Error(`${target.name}: nothing listens on ${host}:${port}, and brokers.sh cannot start it`);
  const env: NodeJS.ProcessEnv = { OURS_ARGS: oursArgs };
  if (target.kind === 'ours') env.OURS_PORT = String(port);
  await brokersSh(['start', target.kind], env);
  return { target, managed: true, pid: listenerPid(port) };
}

/** Stops a target this process started; leaves others alone. */
/** On Ctrl-C, stops the target `current()` returns (if any) before exiting 130. */
export function stopOnInterrupt(current: () => Running | null): void {
  process.once('SIGINT', () => {
    const running = current();
    void (running ? stopTarget(running) : Promise.resolve()).finally(() => process.exit(130));
  });
}

export async function stopTarget(running: Running): Promise<void> {
  if (running.managed && running.target.kind) await brokersSh(['stop', running.target.kind]);
}
