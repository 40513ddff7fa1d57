/**
 * SessionPool: pre-forked idle session processes, and the handoff of accepted sockets to them.
 * A process start is the dearest thing the broker does, so idle sessions are kept ready, the pool
 * grows with the connection rate and shrinks back when it falls, and a session whose client ended
 * cleanly comes back to serve the next one (Apache's prefork model). Handoff can be refused (as Node
 * cluster's `newconn` can): the socket then goes to another session.
 *
 * Start priority: a starting session runs at a higher nice value than the hub and the sessions that
 * serve clients, so starts take CPU only when serving needs none; once it has a client the hub lowers
 * it again where the system allows (root or CAP_SYS_NICE; elsewhere nice can only rise, and starts
 * are only paced: few at a time unless clients are waiting).
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionConfig } from '../config.js';
import type { ClientTransport, HandoffMsg, HandoffReplyMsg, SessionStatus, TlsSetupMsg } from '../ipc/contract.js';
import type { Logger } from '../log.js';
import { readWhileWaiting, takeBuffered } from './socket-reading.js';

/** Most idle sessions the pool keeps ready because of a high connection rate. */
const MAX_ADAPTIVE_IDLE = 32;
/** Nice value of a session while it starts, and once it serves (if the system lets the hub lower it). */
const STARTING_NICE = 10;
const SERVING_NICE = 0;
/** An idle session beyond what the pool wants is stopped after this long without a client, ms. */
const IDLE_SHRINK_MS = 30_000;
/** Starts at once while no client waits (refilling the pool in the background). */
const BACKGROUND_STARTS = 2;
/** How often the pool looks for idle sessions to stop, ms. */
const SHRINK_INTERVAL_MS = 5_000;
/**
 * How long the pool waits before it starts processes, ms: long enough for a busy session whose client
 * has just gone to come back, or for a waiting client that has gone to be noticed (churn would
 * otherwise buy a start for every burst), short beside the ~75 ms a start takes. Shorter while
 * clients wait than for a background refill.
 */
const WAITING_GRACE_MS = 10;
const BACKGROUND_GRACE_MS = 100;
/** How long a session has to answer a handoff before it is stopped (a healthy one answers within milliseconds), ms. */
const HANDOFF_REPLY_MS = 5_000;
/** Most bytes the hub reads on from a TCP socket waiting for a session (the pre-CONNECT frame limit). */
const WAITING_READ_LIMIT = 64 * 1024;

/** Pool settings. */
export interface PoolOptions {
  /** Compiled session entry point. */
  script: string;
  busPath: string;
  prefork: number;
  /** Forks allowed to be starting at once while clients wait (each costs ~76 ms of CPU). */
  maxStarting: number;
  sessionConfig: SessionConfig;
  /** V8 heap limit of one session, in MiB: one client cannot starve the others. */
  sessionHeapMb: number;
  /** The TLS port's key material, sent to every session over its channel before its first client. */
  tls: TlsSetupMsg | null;
  log: Logger;
}

/** A forked session process as the pool sees it. */
export interface PooledSession {
  id: number;
  child: ChildProcess;
  state: 'starting' | 'idle' | 'busy';
  /** Address of the client it serves ('' when none). */
  address: string;
  /** How the client it serves came in (TCP, the TLS port, the WebSocket port). */
  transport: ClientTransport;
  /** When it last became idle (epoch ms). */
  idleSince: number;
  /** Clients handed to it so far. */
  clients: number;
}

/** A socket waiting for a session, with the bytes the hub read from it. */
interface WaitingSocket {
  socket: Socket;
  head: Buffer;
  address: string;
  transport: ClientTransport;
  /** Stops the reading `wait` started, if it did. */
  stopReading?: () => void;
}

/** Keeps sessions ready, hands sockets over, takes sessions back, reports exits. */
export class SessionPool {
  private readonly sessions = new Map<number, PooledSession>();
  /** Idle sessions; the most recently used last (they are warm: handed out first). */
  private readonly idle: PooledSession[] = [];
  private readonly waiting: WaitingSocket[] = [];
  private starting = 0;
  private nextId = 1;
  /** When recent sockets were handed over, oldest first (for the connection rate). */
  private readonly recentHandoffs: number[] = [];
  /** When sessions came back for reuse after a clean end, oldest first (see recentDemand). */
  private readonly recentReturns: number[] = [];
  private stopping = false;
  private readonly shrinker: NodeJS.Timeout;
  /** The pending look at whether to start processes (see refill), and when it is due. */
  private refillTimer: NodeJS.Timeout | null = null;
  private refillDue = 0;
  /** A dispatch of waiting sockets is scheduled (see dispatchSoon). */
  private dispatchPending = false;
  /** Whether lowering a session's nice value worked (false: the system does not allow it). */
  private canLowerNice = true;
  /** A session process exited (any cause). */
  onExit: (session: PooledSession, code: number | null, signal: string | null) => void = () => {};
  /** A client served (or waiting to be) has gone: its connection slot is free. */
  onClientGone: (address: string) => void = () => {};

  constructor(private readonly options: PoolOptions) {
    this.shrinker = setInterval(() => this.shrink(), SHRINK_INTERVAL_MS).unref();
  }

  /** Forks the initial sessions; resolves once they are ready. */
  async start(): Promise<void> {
    const ready = Array.from({ length: this.options.prefork }, () => this.spawn());
    await Promise.all(ready);
  }

  /** Sessions serving a client. */
  get busyCount(): number {
    return this.sessions.size - this.idle.length - this.starting;
  }

  /** Sessions forked and not yet ready. */
  get startingCount(): number {
    return this.starting;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Sockets accepted and waiting for a session. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Totals since the broker started, for the management API's metrics. */
  readonly counters = { started: 0, exited: 0, handoffs: 0 };

  /** Every session process, for `status`. */
  snapshot(): Array<Omit<SessionStatus, 'paused'>> {
    return [...this.sessions.values()].map((s) => ({
      id: s.id, pid: s.child.pid ?? 0, state: s.state, address: s.address, clients: s.clients,
    }));
  }

  /** Session `id` as `snapshot` shows it, if it still runs. */
  info(id: number): Omit<SessionStatus, 'paused'> | undefined {
    const s = this.sessions.get(id);
    return s && { id: s.id, pid: s.child.pid ?? 0, state: s.state, address: s.address, clients: s.clients };
  }

  /** The pid of session `id`, if this pool started it and it still runs. */
  pidOf(id: number): number | undefined {
    return this.sessions.get(id)?.child.pid;
  }

  /** Where the client session `id` serves came from, as the listener saw it (never as the session says). */
  clientOf(id: number): { address: string; tls: boolean; transport: ClientTransport } | undefined {
    const session = this.sessions.get(id);
    if (session?.state !== 'busy') return undefined;
    return { address: session.address, tls: session.transport === 'tls', transport: session.transport };
  }

  /** Kills session `id` (it misbehaved); its exit is handled like any other. */
  kill(id: number): void {
    this.sessions.get(id)?.child.kill('SIGKILL');
  }

  /**
   * Gives `socket` (and what was read from it) to an idle session, or queues it until one is ready;
   * a `tls` socket is unread, for the session's own handshake; a `ws` one has had its upgrade request read.
   * `address` is the one the listener counted the connection under (`onClientGone` gives it back).
   */
  handoff(socket: Socket, head: Buffer, transport: ClientTransport, address: string): void {
    const waiting: WaitingSocket = { socket, head, address, transport };
    if (transport === 'tcp') {
      // Read on for one more turn of the event loop before a session gets it: a client that sent its
      // CONNECT and reset at once (churn) is then usually seen gone, and costs no session.
      this.wait(waiting);
      this.dispatchSoon();
      return;
    }
    this.place(waiting);
  }

  /** Session `id` has reset itself after its client ended cleanly: it may serve the next one. */
  release(id: number): void {
    const session = this.sessions.get(id);
    if (!session || session.state !== 'busy') return;
    this.recentReturns.push(Date.now());
    this.clientGone(session);
    this.becomeIdle(session);
  }

  /** Signals every session; resolves when all have exited (SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.shrinker);
    if (this.refillTimer) clearTimeout(this.refillTimer);
    for (const w of this.waiting.splice(0)) w.socket.destroy();
    const exits = [...this.sessions.values()].map((s) => exited(s.child));
    for (const s of this.sessions.values()) if (s.state !== 'busy') s.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.options.log.warn(`${this.sessions.size} session(s) still running ${graceMs} ms after stop: killed`);
      for (const s of this.sessions.values()) s.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  /**
   * Queues `waiting` until a session is free. A plain TCP socket is read on meanwhile (the bytes join
   * its head): a client that has already gone, as a connect-and-abort churner has, leaves the queue at
   * once instead of holding a connection slot and costing a session, or a process start, later.
   */
  private wait(waiting: WaitingSocket): void {
    this.waiting.push(waiting);
    const { socket } = waiting;
    socket.once('close', () => {
      const i = this.waiting.indexOf(waiting);
      if (i < 0) return;
      this.waiting.splice(i, 1);
      this.onClientGone(waiting.address);
    });
    // Sockets are half open: a client that ended its side is still served if it sent frames behind its
    // CONNECT (they take effect), but one that sent nothing more has nothing left to act on.
    socket.once('end', () => {
      if (this.waiting.includes(waiting) && onlyFirstFrame(waiting.head)) socket.destroy();
    });
    if (waiting.transport === 'tcp' && !socket.destroyed) {
      waiting.stopReading = readWhileWaiting(socket, WAITING_READ_LIMIT, (chunk) => {
        waiting.head = Buffer.concat([waiting.head, chunk]);
      });
    }
  }

  private give(session: PooledSession, waiting: WaitingSocket): void {
    waiting.stopReading?.();
    if (waiting.transport === 'tcp' && waiting.socket.readableLength > 0) {
      waiting.head = Buffer.concat([waiting.head, takeBuffered(waiting.socket)]);
    }
    const { socket, head, address, transport } = waiting;
    session.state = 'busy';
    if (socket.destroyed) return this.notGiven(session, address);
    // Counted here, not when queued: a client that left the queue cost no session (see recentDemand).
    this.recentHandoffs.push(Date.now());
    this.counters.handoffs++;
    session.address = address;
    session.transport = transport;
    this.prioritise(session);
    const msg: HandoffMsg = { t: 'handoff', remote: `${address}:${socket.remotePort}`, head: head.toString('base64'), transport };
    const settled = () => {
      clearTimeout(timer);
      session.child.off('message', onReply);
      session.child.off('exit', onExit);
    };
    // A session that cannot take the socket is not trusted with another: it is stopped, the socket
    // goes to the next one.
    const retry = (why: string) => {
      settled();
      this.options.log.warn(`session ${session.id} ${why}: stopped`);
      session.address = '';
      session.child.kill('SIGTERM');
      if (socket.destroyed) this.onClientGone(address);
      else this.place(waiting);
    };
    // A session that dies before it answers took the socket with it, or never will: the hub's copy goes.
    const onExit = () => {
      settled();
      socket.destroy();
    };
    const onReply = (reply: HandoffReplyMsg) => {
      if (reply?.t !== 'handoff-reply') return;
      if (reply.accepted) {
        settled();
        session.clients++;
        socket.destroy(); // the child has its own copy of the descriptor now
      } else if (socket.destroyed) {
        // Node sends a handoff without the descriptor of a socket closed while the send waited
        // (one handle at a time per channel): the session had nothing to take and is not at fault.
        settled();
        this.notGiven(session, address);
      } else {
        retry('refused a client');
      }
    };
    // Never answering holds the client's connection slot for ever: the session is not trusted either.
    const timer = setTimeout(() => retry(`did not answer a handoff within ${HANDOFF_REPLY_MS} ms`), HANDOFF_REPLY_MS);
    session.child.on('message', onReply);
    session.child.once('exit', onExit);
    session.child.send(msg, socket, { keepOpen: true }, (err) => {
      if (err) retry(`could not be handed a client (${err.message})`);
    });
  }

  /** The client `session` was about to get had gone first: its slot is free, the session idle again. */
  private notGiven(session: PooledSession, address: string): void {
    this.onClientGone(address);
    this.becomeIdle(session);
  }

  /** Runs `dispatch` after the next poll phase (the second setImmediate runs after it). */
  private dispatchSoon(): void {
    if (this.dispatchPending) return;
    this.dispatchPending = true;
    setImmediate(() => setImmediate(() => {
      this.dispatchPending = false;
      this.dispatch();
    }));
  }

  /** Gives idle sessions the sockets waiting longest that are still open; starts more if some wait. */
  private dispatch(): void {
    if (this.stopping) return;
    while (this.idle.length > 0) {
      const waiting = this.nextWaiting();
      if (!waiting) break;
      this.give(this.idle.pop()!, waiting);
    }
    this.refill();
  }

  /** Gives `waiting` to an idle session now, or queues it (at the back) until one is free. */
  private place(waiting: WaitingSocket): void {
    const session = this.idle.pop();
    if (session) this.give(session, waiting);
    else this.wait(waiting);
    this.refill();
  }

  /** Looks at whether to start processes after a grace (WAITING_GRACE_MS, BACKGROUND_GRACE_MS). */
  private refill(): void {
    if (this.stopping) return;
    const delay = this.waiting.length > 0 ? WAITING_GRACE_MS : BACKGROUND_GRACE_MS;
    const due = Date.now() + delay;
    if (this.refillTimer) {
      if (this.refillDue <= due) return;
      clearTimeout(this.refillTimer);
    }
    this.refillDue = due;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.startWanted();
    }, delay).unref();
  }

  /**
   * Forks until idle + starting covers the sockets waiting plus the larger of `prefork` and the
   * sessions taken in the last second and not given back (capped): the pool grows with the rate of
   * connections that stay. Starts are paced: several at once only while clients wait, else
   * BACKGROUND_STARTS.
   */
  private startWanted(): void {
    if (this.stopping) return;
    const wanted = this.waiting.length + this.wantedIdle();
    const maxStarting = this.waiting.length > 0 ? this.options.maxStarting : BACKGROUND_STARTS;
    while (this.idle.length + this.starting < wanted && this.starting < maxStarting) {
      this.spawn().catch((err: Error) => {
        if (!this.stopping) this.options.log.error(`fork failed: ${err.message}`);
      });
    }
  }

  /** Idle sessions worth keeping: `prefork`, or the demand of the last second (capped). */
  private wantedIdle(): number {
    return Math.max(this.options.prefork, Math.min(this.recentDemand(), MAX_ADAPTIVE_IDLE));
  }

  /** Stops the longest-idle session when more are idle than wanted and it has waited long enough. */
  private shrink(): void {
    if (this.stopping || this.idle.length <= this.wantedIdle()) return;
    const oldest = this.idle[0];
    if (Date.now() - oldest.idleSince < IDLE_SHRINK_MS) return;
    this.idle.shift();
    oldest.state = 'busy'; // on its way out: never handed a client
    oldest.child.kill('SIGTERM');
  }

  private spawn(): Promise<void> {
    const id = this.nextId++;
    const child = fork(this.options.script, [], {
      // A scrubbed environment: the session learns nothing of the broker's (credentials, paths).
      env: {
        STOMP_BROKER_BUS: this.options.busPath,
        STOMP_BROKER_SESSION_ID: String(id),
        STOMP_BROKER_SESSION_CONFIG: JSON.stringify(this.options.sessionConfig),
        // A session may load no native addon: msgpackr need not spend ~10 ms of every start looking for one.
        MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true',
      },
      execArgv: sessionExecArgv(this.options.sessionHeapMb),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const session: PooledSession = { id, child, state: 'starting', address: '', transport: 'tcp', idleSince: 0, clients: 0 };
    this.sessions.set(id, session);
    this.counters.started++;
    this.starting++;
    setNice(child, STARTING_NICE);
    child.on('error', (err) => this.options.log.warn(`session ${id}: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(session, code, signal));
    return new Promise((resolve, reject) => {
      child.once('exit', () => reject(new Error(`session ${id} exited before it was ready`)));
      child.on('message', (m: { t?: string }) => {
        if (m?.t !== 'ready' || session.state !== 'starting') return;
        // Over the channel, before any client: a session's environment holds no secret.
        if (this.options.tls) child.send(this.options.tls);
        this.starting--;
        this.becomeIdle(session);
        this.refill(); // starts are paced: the next ones may begin now
        resolve();
      });
    });
  }

  /** A session about to serve a client runs at the serving priority, where the system allows it. */
  private prioritise(session: PooledSession): void {
    if (!this.canLowerNice || session.child.pid === undefined) return;
    try {
      if (os.getPriority(session.child.pid) !== SERVING_NICE) os.setPriority(session.child.pid, SERVING_NICE);
    } catch {
      this.canLowerNice = false; // unprivileged: sessions stay at the starting nice value; starts are paced
      this.options.log.debug('cannot lower session priority: session starts are paced instead');
    }
  }

  private becomeIdle(session: PooledSession): void {
    session.address = '';
    if (this.stopping) {
      // Busy when stop() signalled the others (it was resetting for its next client): without this it
      // would live until stop()'s SIGKILL, and the broker's exit would wait for that grace.
      session.child.kill('SIGTERM');
      return;
    }
    const waiting = this.nextWaiting();
    if (waiting) {
      this.give(session, waiting);
      this.refill();
      return;
    }
    session.state = 'idle';
    session.idleSince = Date.now();
    this.idle.push(session);
  }

  /**
   * The longest-waiting socket still open. A destroyed one has no descriptor left to send (Node would
   * send the handoff without it) and leaves the queue here: its 'close' comes only on a later tick.
   */
  private nextWaiting(): WaitingSocket | undefined {
    let waiting = this.waiting.shift();
    while (waiting?.socket.destroyed) {
      this.onClientGone(waiting.address);
      waiting = this.waiting.shift();
    }
    return waiting;
  }

  private clientGone(session: PooledSession): void {
    if (session.address) this.onClientGone(session.address);
    session.address = '';
  }

  private exited(session: PooledSession, code: number | null, signal: string | null): void {
    this.sessions.delete(session.id);
    this.counters.exited++;
    if (session.state === 'starting') this.starting--;
    if (session.state === 'busy') this.clientGone(session);
    const i = this.idle.indexOf(session);
    if (i >= 0) this.idle.splice(i, 1);
    this.onExit(session, code, signal);
    this.refill();
  }

  /**
   * Sessions handed a client in the last second less those that came back for reuse: clients that
   * connect and leave again at once (churn) need no more processes, only connections that stay do, and
   * growing the pool for churn would spend CPU on starts that the clients being served need.
   */
  private recentDemand(): number {
    const since = Date.now() - 1000;
    for (const times of [this.recentHandoffs, this.recentReturns]) {
      while (times.length > 0 && times[0] < since) times.shift();
    }
    return Math.max(0, this.recentHandoffs.length - this.recentReturns.length);
  }
}

function setNice(child: ChildProcess, nice: number): void {
  if (child.pid === undefined) return;
  try {
    os.setPriority(child.pid, nice);
  } catch {
    // raising nice is always allowed; a child that is already gone has no priority to set
  }
}

/** The project root (this file runs as dist/src/hub/session-pool.js). */
const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The script a session process runs: the one-file bundle of the session's code when the build made it
 * (scripts/bundle-session.mjs: it starts in half the time of the module graph), else the module graph.
 */
export function defaultSessionScript(): string {
  const sessionDir = path.join(PROJECT_ROOT, 'dist', 'src', 'session');
  const bundle = path.join(sessionDir, 'main.bundle.cjs');
  return fs.existsSync(bundle) ? bundle : path.join(sessionDir, 'main.js');
}

/**
 * All a session may read: the compiled broker and its dependencies, never the data directory. Module
 * loading opens real paths, so a symlinked node_modules (a shared install) is allowed where it points.
 */
export const SESSION_READABLE = [...new Set(['dist', 'node_modules'].flatMap((dir) => {
  const at = path.join(PROJECT_ROOT, dir);
  return [at + path.sep, realPath(at) + path.sep];
}))];

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

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
  const profileDir = process.env.STOMP_BROKER_SESSION_PROFILE_DIR;
  if (profileDir && path.isAbsolute(profileDir)) return profiledExecArgv(heapMb, profileDir);
  return [
    `--max-old-space-size=${heapMb}`,
    permissionFlag(), ...SESSION_READABLE.map((dir) => `--allow-fs-read=${dir}`),
    '--disable-warning=ExperimentalWarning',
  ];
}

/**
 * For benchmarks only (benchmarks/README.md, "Where the CPU goes"): with STOMP_BROKER_SESSION_PROFILE_DIR
 * set in the hub's environment, every session writes a V8 CPU profile there when it exits. Node 20's
 * permission model lets no profile be written, so profiled sessions run without their sandbox.
 */
function profiledExecArgv(heapMb: number, dir: string): string[] {
  return [`--max-old-space-size=${heapMb}`, '--cpu-prof', `--cpu-prof-dir=${dir}`];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Whether `head` holds one frame (it ends at the first NUL) and nothing behind it but EOLs (heart-beats). */
function onlyFirstFrame(head: Buffer): boolean {
  const end = head.indexOf(0);
  if (end < 0) return false;
  for (let i = end + 1; i < head.length; i++) if (head[i] !== 0x0a && head[i] !== 0x0d) return false;
  return true;
}
