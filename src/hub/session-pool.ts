/**
 * SessionPool: pre-forked idle session processes, and the handoff of accepted sockets to them.
 * A process start is the dearest thing the broker does, so idle sessions are kept ready and the pool
 * forks more while sockets wait. Handoff can be refused (as Node cluster's `newconn` can): the socket
 * then goes to another session.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionConfig } from '../config.js';
import type { HandoffMsg, HandoffReplyMsg } from '../ipc/contract.js';
import type { Logger } from '../log.js';

/** Most idle sessions the pool keeps ready because of a high connection rate. */
const MAX_ADAPTIVE_IDLE = 32;

/** Pool settings. */
export interface PoolOptions {
  /** Compiled session entry point. */
  script: string;
  busPath: string;
  prefork: number;
  /** Forks allowed to be starting at once (each costs ~76 ms of CPU). */
  maxStarting: number;
  sessionConfig: SessionConfig;
  /** V8 heap limit of one session, in MiB: one client cannot starve the others. */
  sessionHeapMb: number;
  log: Logger;
}

/** A forked session process as the pool sees it. */
export interface PooledSession {
  id: number;
  child: ChildProcess;
  state: 'starting' | 'idle' | 'busy';
}

/** Keeps `prefork` sessions idle, hands sockets over, reports exits. */
export class SessionPool {
  private readonly sessions = new Map<number, PooledSession>();
  private readonly idle: PooledSession[] = [];
  private readonly waiting: Socket[] = [];
  private starting = 0;
  private nextId = 1;
  /** When recent sockets were handed over, oldest first (for the connection rate). */
  private readonly recentHandoffs: number[] = [];
  private stopping = false;
  /** A session process exited (any cause). */
  onExit: (session: PooledSession, code: number | null, signal: string | null) => void = () => {};

  constructor(private readonly options: PoolOptions) {}

  /** Forks the initial sessions; resolves once they are ready. */
  async start(): Promise<void> {
    const ready = Array.from({ length: this.options.prefork }, () => this.spawn());
    await Promise.all(ready);
  }

  /** Sessions serving a client. */
  get busyCount(): number {
    return this.sessions.size - this.idle.length - this.starting;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Sockets accepted and waiting for a session. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** The pid of session `id`, if this pool started it and it still runs. */
  pidOf(id: number): number | undefined {
    return this.sessions.get(id)?.child.pid;
  }

  /** Kills session `id` (it misbehaved); its exit is handled like any other. */
  kill(id: number): void {
    this.sessions.get(id)?.child.kill('SIGKILL');
  }

  /** Gives `socket` to an idle session, or queues it until one is ready. */
  handoff(socket: Socket): void {
    this.recentHandoffs.push(Date.now());
    const session = this.idle.shift();
    if (!session) {
      this.waiting.push(socket);
      socket.once('close', () => this.forgetWaiting(socket));
    } else {
      this.give(session, socket);
    }
    this.refill();
  }

  /** Signals every session; resolves when all have exited (SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const socket of this.waiting.splice(0)) socket.destroy();
    const exits = [...this.sessions.values()].map((s) => exited(s.child));
    for (const s of this.sessions.values()) if (s.state !== 'busy') s.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const s of this.sessions.values()) s.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  private give(session: PooledSession, socket: Socket): void {
    session.state = 'busy';
    const msg: HandoffMsg = { t: 'handoff', remote: `${socket.remoteAddress}:${socket.remotePort}` };
    const onReply = (reply: HandoffReplyMsg) => {
      if (reply?.t !== 'handoff-reply') return;
      session.child.off('message', onReply);
      if (reply.accepted) socket.destroy(); // the child has its own copy of the descriptor now
      else this.handoff(socket);
    };
    session.child.on('message', onReply);
    session.child.send(msg, socket, { keepOpen: true }, (err) => {
      if (!err) return;
      session.child.off('message', onReply);
      this.options.log.warn(`handoff to session ${session.id} failed: ${err.message}`);
      this.handoff(socket);
    });
  }

  /**
   * Forks until idle + starting covers the sockets waiting plus the larger of `prefork` and the
   * connections of the last second (capped): the pool grows with the connection rate.
   */
  private refill(): void {
    if (this.stopping) return;
    const wanted = this.waiting.length + Math.max(this.options.prefork, Math.min(this.recentRate(), MAX_ADAPTIVE_IDLE));
    while (this.idle.length + this.starting < wanted && this.starting < this.options.maxStarting) {
      this.spawn().catch((err: Error) => {
        if (!this.stopping) this.options.log.error(`fork failed: ${err.message}`);
      });
    }
  }

  private spawn(): Promise<void> {
    const id = this.nextId++;
    const child = fork(this.options.script, [], {
      // A scrubbed environment: the session learns nothing of the broker's (credentials, paths).
      env: {
        STOMP_BROKER_BUS: this.options.busPath,
        STOMP_BROKER_SESSION_ID: String(id),
        STOMP_BROKER_SESSION_CONFIG: JSON.stringify(this.options.sessionConfig),
      },
      execArgv: sessionExecArgv(this.options.sessionHeapMb),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const session: PooledSession = { id, child, state: 'starting' };
    this.sessions.set(id, session);
    this.starting++;
    child.on('error', (err) => this.options.log.warn(`session ${id}: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(session, code, signal));
    return new Promise((resolve, reject) => {
      child.once('exit', () => reject(new Error(`session ${id} exited before it was ready`)));
      child.on('message', (m: { t?: string }) => {
        if (m?.t !== 'ready' || session.state !== 'starting') return;
        this.starting--;
        this.becomeIdle(session);
        resolve();
      });
    });
  }

  private becomeIdle(session: PooledSession): void {
    const socket = this.waiting.shift();
    if (socket) {
      this.give(session, socket);
      this.refill();
      return;
    }
    session.state = 'idle';
    this.idle.push(session);
  }

  private exited(session: PooledSession, code: number | null, signal: string | null): void {
    this.sessions.delete(session.id);
    if (session.state === 'starting') this.starting--;
    const i = this.idle.indexOf(session);
    if (i >= 0) this.idle.splice(i, 1);
    this.onExit(session, code, signal);
    this.refill();
  }

  /** Handoffs in the last second. */
  private recentRate(): number {
    const since = Date.now() - 1000;
    while (this.recentHandoffs.length > 0 && this.recentHandoffs[0] < since) this.recentHandoffs.shift();
    return this.recentHandoffs.length;
  }

  private forgetWaiting(socket: Socket): void {
    const i = this.waiting.indexOf(socket);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

/** The project root (this file runs as dist/src/hub/session-pool.js). */
const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** All a session may read: the compiled broker and its dependencies, never the data directory. */
export const SESSION_READABLE = [path.join(PROJECT_ROOT, 'dist') + path.sep, path.join(PROJECT_ROOT, 'node_modules') + path.sep];

/** Node's permission-model flag: `--permission` since 22.13 (and 23.5), `--experimental-permission` before. */
export function permissionFlag(version = process.versions.node): string {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}

/**
 * Node flags of a session: its own heap limit (one client cannot starve the others) and Node's
 * permission model: a session reads only the broker's code, writes no file, spawns no process and
 * loads no native addon, so a compromised parser cannot reach the store. (Node 20 has no network
 * permission: a session can still open connections.)
 */
function sessionExecArgv(heapMb: number): string[] {
  return [
    `--max-old-space-size=${heapMb}`,
    permissionFlag(), ...SESSION_READABLE.map((dir) => `--allow-fs-read=${dir}`),
    '--disable-warning=ExperimentalWarning',
  ];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
