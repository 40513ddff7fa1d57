/**
 * Hub: the parent process. Accepts TCP (TLS, WebSocket) connections and hands each to a session process,
 * serves the bus, decides logins and checks rights (Gatekeeper), owns routing (Router), and
 * supervises: a session that exits, by any cause, has its subscriptions dropped and its
 * unacknowledged messages returned to their queues. SIGHUP (or `reload`) rereads the users file and
 * the configuration; stopping lets what clients already asked finish before they are closed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrokerConfig, sessionConfigOf } from '../config.js';
import type { UserDb } from '../auth/user-db.js';
import {
  type AuthMsg, BUS_VERSION, type BrokerStatus, type ControlToHub, type Handlers, type HelloMsg, type HubToControl,
  type HubToSession, type RequestId, type SessionToHub,
} from '../ipc/contract.js';
import { type BusLimits, checkSessionMessage } from '../ipc/validate.js';
import { type ManagementServer, startManagement } from '../http/server.js';
import type { BrokerSource, CloseOutcome } from '../http/source.js';
import { openStore } from '../store/open.js';
import type { QueueStore } from '../store/store.js';
import { type BrokerFileConfig, ConfigError, loadConfigFile } from './policy.js';
import { type BusPeer, BusServer } from '../ipc/transport.js';
import { keepHeapGrowthMatched } from '../heap-growth.js';
import { Logger } from '../log.js';
import { BROKER_VERSION } from '../version.js';
import { sessionHandlers } from './bus-handlers.js';
import { Gatekeeper, type Revocation, type Verdict } from './gatekeeper.js';
import { Listener } from './listener.js';
import type { HubSession } from './model.js';
import { Refusal, Router } from './router.js';
import {
  defaultPidfile, lockDataDir, removeBrokerInfo, removePidfile, removeStaleRunDir, RUN_DIR_PREFIX, writeBrokerInfo,
  writePidfile,
} from './run-files.js';
import {
  checkAnonymous, checkSecurityOptions, deadLettersOf, loadUsersFile,
} from './security-setup.js';
import { defaultSessionScript, SESSION_READABLE, SessionPool } from './session-pool.js';
import { loadTlsFiles } from './tls-files.js';

type Peer = BusPeer<SessionToHub | ControlToHub, HubToSession | HubToControl>;

/** How long a client closed by an operator has to go before its session is killed, ms. */
const OPERATOR_CLOSE_GRACE_MS = 10_000;

/** Options beyond BrokerConfig that only the process entry point sets. */
export interface HubOptions {
  pidfile?: string;
  /** Heap limit of each session process, MiB. */
  sessionHeapMb?: number;
  /** The session entry point (tests run a deliberately broken session to prove the hub survives it). */
  sessionScript?: string;
}

/** A running broker. */
export class Hub {
  readonly log: Logger;
  router!: Router;
  private store: QueueStore | null = null;
  private readonly sessions = new Map<number, HubSession>();
  private handlers!: Handlers<SessionToHub, HubSession>;
  private pool!: SessionPool;
  private bus!: BusServer<SessionToHub | ControlToHub, HubToSession | HubToControl>;
  /** What a session's bus messages must stay within. */
  private readonly busLimits: BusLimits;
  private listener: Listener | null = null;
  /** The management HTTP server (--http-port). */
  private http: ManagementServer | null = null;
  private runDir = '';
  private releaseLock: (() => Promise<void>) | null = null;
  private readonly startedAt = Date.now();
  /** Serial number of the last client registered (HubSession.serial). */
  private clientSerial = 0;
  private stopping: Promise<void> | null = null;
  private gate!: Gatekeeper;
  /** Sessions whose `drained` the stopping hub waits for. */
  private readonly drainWaiters = new Map<HubSession, () => void>();
  /** Stops matching V8's heap growth to the live heap (heap-growth.ts). */
  private stopHeapGrowth: (() => void) | null = null;

  constructor(readonly config: BrokerConfig, private readonly options: HubOptions = {}) {
    this.log = new Logger('hub', config.logLevel, config.logPretty);
    this.busLimits = {
      maxFrameSize: config.maxFrameSize, maxHeaderLines: config.maxHeaderLines,
      maxHeaderLineLength: config.maxHeaderLineLength, maxTransactionFrames: config.maxTransactionFrames,
      maxTransactionBytes: config.maxTransactionBytes,
    };
  }

  /** The port actually listened on (differs from config.port when that is 0). */
  get port(): number {
    return this.listener?.port ?? this.config.port;
  }

  /** Checks the options and files, locks the data directory, starts the bus, the session pool and the listener. */
  async start(): Promise<void> {
    const { config } = this;
    checkSecurityOptions(config);
    await checkAnonymous(config);
    const fileConfig = config.configFile ? loadConfigFile(config.configFile) : { destinations: [] };
    const users = config.usersFile ? loadUsersFile(config.usersFile, this.log) : null;
    const tls = config.tlsPort !== null ? loadTlsFiles({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa }) : null;
    this.gate = new Gatekeeper({
      users, certLogin: config.tlsCertLogin ? tls : null, deadLetters: deadLettersOf(fileConfig),
      failureDelayMs: config.authFailureDelayMs,
    });
    const dataDir = path.resolve(config.dataDir) + path.sep;
    if (SESSION_READABLE.some((dir) => dataDir.startsWith(dir))) {
      throw new ConfigError(`data directory ${config.dataDir} is inside the broker's code, which every session can read`);
    }
    this.releaseLock = await lockDataDir(config.dataDir);
    this.stopHeapGrowth = keepHeapGrowthMatched();
    try {
      writePidfile(this.pidfile);
      removeStaleRunDir(config.dataDir);
      this.store = await openStore({ dataDir: config.dataDir, kind: config.store });
      this.router = new Router({ ...config, paging: config.store === 'lmdb' }, this.store, fileConfig, this.log);
      this.handlers = sessionHandlers({
        router: this.router, log: this.log, complete: (s, work, rid) => this.complete(s, work, rid),
        login: (s, m) => this.login(s, m), drained: (s) => this.drainWaiters.get(s)?.(),
      });
      const recovered = await this.router.recover();
      if (recovered > 0) this.log.info(`recovered ${recovered} stored messages`);
      this.runDir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_DIR_PREFIX));
      // A batch holds at most one turn of a session's work: a COMMIT, or a frame plus one socket read.
      this.bus = new BusServer(path.join(this.runDir, 'bus.sock'),
        config.maxTransactionBytes + 2 * config.maxFrameSize + 16 * 1024 * 1024);
      this.bus.onPeer = (peer) => this.admit(peer);
      await this.bus.start();
      this.pool = new SessionPool({
        script: this.options.sessionScript ?? defaultSessionScript(),
        busPath: this.bus.path, prefork: config.prefork, maxStarting: 8,
        sessionConfig: sessionConfigOf(config, `stomp-broker/${BROKER_VERSION}`), sessionHeapMb: this.options.sessionHeapMb ?? 256,
        tls: tls?.setup ?? null, log: this.log,
      });
      this.pool.onExit = (s, code, signal) => {
        const fields = { event: 'session-exit', session: s.id, sessionPid: s.child.pid, code, signal };
        // While the broker stops, sessions end because it told them to: not worth a warning.
        if ((signal || code) && !this.stopping) this.log.warn(`session ${s.id} exited (${signal ?? code})`, fields);
        else this.log.debug(`session ${s.id} exited`, fields);
      };
      this.pool.onClientGone = (address) => this.listener?.released(address);
      await this.pool.start();
      this.listener = new Listener({
        host: config.host, port: config.port, tlsPort: config.tlsPort, wsPort: config.wsPort, maxConnections: config.maxConnections,
        maxPerAddress: config.maxConnectionsPerAddress, maxHeadBytes: config.maxFrameSizeBeforeConnect,
        connectTimeoutMs: config.connectTimeoutMs, loopbackOriginsOnly: !config.usersFile,
      }, (socket, head, transport, address) => this.pool.handoff(socket, head, transport, address));
      await this.listener.listen();
      await this.startHttp();
      writeBrokerInfo(config.dataDir, {
        pid: process.pid, host: config.host, port: this.port, busPath: this.bus.path, startedAt: this.startedAt,
      });
      const tlsNote = tls ? `, TLS on ${config.host}:${this.listener.tlsPort}` : '';
      const wsNote = config.wsPort !== null ? `, WebSocket on ws://${config.host}:${this.listener.wsPort}/ws` : '';
      this.log.info(`stomp-broker ${BROKER_VERSION} listening on ${config.host}:${this.port}${tlsNote}${wsNote} (pid ${process.pid})`);
      this.log.info(users ? `${users.names().length} users from ${config.usersFile}`
        : 'no --users: every client is anonymous, with every right');
    } catch (err) {
      await this.cleanup();
      throw err;
    }
  }

  /** Stops accepting, closes every client once what it asked is answered, waits for sessions, unlocks. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Rereads the users file and the destination configuration (SIGHUP, `stomp-broker reload`). Clients
   * stay connected: each one's session gets its new rights, and a subscription they no longer allow
   * ends with an ERROR. A file with a problem is refused as a whole and the configuration in use stays.
   */
  reload(): { ok: boolean; message: string } {
    if (this.stopping || !this.router) return { ok: false, message: 'the broker is not running' };
    let users: UserDb | null;
    let fileConfig: BrokerFileConfig;
    try {
      users = this.config.usersFile ? loadUsersFile(this.config.usersFile, this.log) : null;
      fileConfig = this.config.configFile ? loadConfigFile(this.config.configFile) : { destinations: [] };
    } catch (err) {
      const message = `reload refused, the configuration in use stays:\n${(err as Error).message}`;
      this.log.error(message, { event: 'reload', ok: false });
      return { ok: false, message };
    }
    this.router.reconfigure(fileConfig);
    for (const revocation of this.gate.reload(users, deadLettersOf(fileConfig), this.sessions.values())) {
      this.revoke(revocation);
    }
    const parts = [users && `${users.names().length} users from ${this.config.usersFile}`,
      this.config.configFile && `${fileConfig.destinations.length} destination patterns from ${this.config.configFile}`];
    const message = `reloaded ${parts.filter(Boolean).join(' and ') || 'nothing (no --users, no --config)'}`;
    this.log.info(message, { event: 'reload', ok: true });
    return { ok: true, message };
  }

  /** A snapshot for `stomp-broker status`. */
  status(): BrokerStatus {
    return {
      pid: process.pid, version: BROKER_VERSION, uptimeMs: Date.now() - this.startedAt,
      host: this.config.host, port: this.port, tlsPort: this.listener?.tlsPort ?? 0, wsPort: this.listener?.wsPort ?? 0, connections: this.pool.busyCount,
      pendingConnections: this.listener?.waitingCount ?? 0,
      idleSessions: this.pool.idleCount, destinations: this.router.status(),
      sessions: this.pool.snapshot().map((p) => {
        const client = this.sessions.get(p.id);
        return { ...p, paused: client !== undefined && this.router.flow.isThrottled(client) };
      }),
    };
  }

  private get pidfile(): string {
    return this.options.pidfile ?? defaultPidfile(this.config.dataDir);
  }

  /**
   * Stops accepting; lets every session finish what its client already asked (RECEIPTs written, store
   * commits done) within the shutdown deadline; then closes every client (no ERROR, as RabbitMQ and
   * ActiveMQ: see ShutdownMsg), waits for the sessions, closes the store (its queued commits first) and unlocks.
   */
  private async shutdown(): Promise<void> {
    this.log.info('shutting down');
    this.listener?.close();
    await this.closeHttp(); // no operator action may start while the store closes
    await this.drainSessions();
    for (const session of this.sessions.values()) {
      session.send({ t: 'shutdown' });
    }
    await this.pool?.stop(5000);
    await this.router?.unmarkWaiting().catch((err: Error) => this.log.warn(`forgetting delivery marks: ${err.message}`));
    await this.cleanup();
    this.log.info('stopped');
  }

  /**
   * Tells every session to stop reading its client (`drain`), then waits until each has answered
   * (`drained`: nothing more will come) and everything it asked before has taken effect; at most
   * `shutdownTimeoutMs`.
   */
  private async drainSessions(): Promise<void> {
    const sessions = [...this.sessions.values()];
    if (sessions.length === 0) return;
    const drained = sessions.map((s) => new Promise<void>((resolve) => {
      this.drainWaiters.set(s, resolve);
      s.send({ t: 'drain' });
    }).then(() => s.pending).catch(() => {}));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs);
    });
    const finished = await Promise.race([Promise.all(drained).then(() => true), deadline]);
    clearTimeout(timer);
    if (!finished) this.log.warn(`pending requests not finished within ${this.config.shutdownTimeoutMs} ms: closing clients anyway`);
  }

  private async cleanup(): Promise<void> {
    this.stopHeapGrowth?.();
    this.stopHeapGrowth = null;
    await this.closeHttp();
    this.bus?.stop();
    this.router?.close();
    await this.store?.close().catch((err: Error) => this.log.error(`closing the store: ${err.message}`));
    this.store = null;
    if (this.runDir) fs.rmSync(this.runDir, { recursive: true, force: true });
    removeBrokerInfo(this.config.dataDir);
    removePidfile(this.pidfile);
    await this.releaseLock?.().catch((err: Error) => this.log.warn(`releasing the data directory lock: ${err.message}`));
    this.releaseLock = null;
  }

  /** A bus connection: a session (after a valid `hello`) or a control client (`status`). */
  private admit(peer: Peer): void {
    let session: HubSession | null = null;
    let control = false;
    peer.onMessage = (m) => {
      if (session) {
        session = this.dispatch(m as SessionToHub, session, peer);
        return;
      }
      if (control || m.t === 'status' || m.t === 'reload') {
        control = true;
        return this.control(m as ControlToHub, peer);
      }
      const problem = this.helloProblem(m);
      if (problem) {
        this.log.warn(`bus peer refused: ${problem}`);
        return peer.close();
      }
      const hello = m as HelloMsg;
      session = this.register(hello.session, hello.pid, peer);
      peer.send({ t: 'welcome', v: BUS_VERSION });
    };
    // The bus closes after the last byte the session wrote has been read, so every ACK it sent has
    // been applied before its unacknowledged messages are returned.
    peer.onClose = () => {
      if (!session) return;
      this.sessions.delete(session.id);
      this.router.dropSession(session);
      this.drainWaiters.get(session)?.();
    };
  }

  /** Why a first bus message is not the hello of a session this hub started and has not admitted, or null. */
  private helloProblem(m: unknown): string | null {
    const problem = checkSessionMessage(m, this.busLimits);
    if (problem) return problem;
    const hello = m as SessionToHub;
    if (hello.t !== 'hello') return `first message was ${hello.t}, not hello`;
    if (hello.v !== BUS_VERSION) return `bus version ${hello.v}, not ${BUS_VERSION}`;
    if (this.pool.pidOf(hello.session) !== hello.pid) return `session ${hello.session} pid ${hello.pid} is not one of ours`;
    if (this.sessions.has(hello.session)) return `session ${hello.session} is already on the bus`;
    return null;
  }

  /** A control client's request (the CLI); only the broker's OS user can open the bus socket. */
  private control(m: ControlToHub, peer: Peer): void {
    if (!Number.isSafeInteger(m?.rid)) return peer.close();
    if (m.t === 'status') peer.send({ t: 'status-reply', rid: m.rid, status: this.status() });
    else if (m.t === 'reload') peer.send({ t: 'reload-reply', rid: m.rid, ...this.reload() });
    else peer.close();
  }

  private register(id: number, pid: number, peer: Peer): HubSession {
    const session: HubSession = {
      id, serial: ++this.clientSerial, pid, send: (m) => peer.send(m), subs: new Map(), writable: true,
      login: '', version: '', remote: '', clientId: '', pending: null,
    };
    this.sessions.set(id, session);
    return session;
  }

  /**
   * Validates and handles one session message; a session that sends an invalid one is killed. Returns
   * the record for the session's next messages: a new one after `end` (its next client's).
   */
  private dispatch(m: SessionToHub, session: HubSession, peer: Peer): HubSession {
    const problem = checkSessionMessage(m, this.busLimits) ?? this.stateProblem(m, session);
    const verdict: Verdict = problem ? { kill: problem } : this.gate.check(m, session);
    if (verdict && 'kill' in verdict) {
      this.log.warn(`session ${session.id} (pid ${session.pid}) sent an invalid bus message (${verdict.kill}): killed`);
      this.pool.kill(session.id);
      peer.onMessage = () => {}; // nothing more from it counts
      peer.close();
      return session;
    }
    if (verdict) {
      // Sent before the session learnt that a reload took the right away: refused, not acted on.
      this.complete(session, Promise.reject(verdict.refuse), 'rid' in m ? m.rid : 0);
      return session;
    }
    if (m.t === 'end') return this.endClient(session, peer);
    const handler = this.handlers[m.t] as (m: SessionToHub, s: HubSession) => void;
    try {
      handler(m, session);
    } catch (err) {
      this.complete(session, Promise.reject(err), 'rid' in m ? m.rid : 0);
    }
    return session;
  }

  /**
   * The session's client ended cleanly and the session reset itself: forget that client as if its
   * session had exited, answer `reset` once its requests have been answered, and give the session back
   * to the pool for the next client.
   */
  private endClient(old: HubSession, peer: Peer): HubSession {
    old.ended = true;
    this.router.dropSession(old);
    this.drainWaiters.get(old)?.();
    const next = this.register(old.id, old.pid, peer);
    void Promise.resolve(old.pending).then(() => {
      peer.send({ t: 'reset' });
      peer.flush(); // before the pool hands it a socket over the other channel
      this.pool.release(old.id);
    });
    return next;
  }

  /**
   * Decides a login (the gatekeeper). No other request comes before its answer, so it is not chained
   * with them: a client that leaves while its failed login waits out the failure delay (up to 64 times
   * --auth-failure-delay, behind its address's earlier attempts) frees its session and connection slot
   * at once, and the throttle goes on timing the attempts of that address all the same.
   */
  private login(session: HubSession, m: AuthMsg): void {
    const origin = this.pool.clientOf(session.id) ?? { address: '', tls: false };
    void this.gate.login(session, m, origin).then((access) => {
      if (session.ended) return;
      if (!access) {
        this.log.info('login refused', {
          event: 'login-refused', session: session.id, sessionPid: session.pid, remote: origin.address,
          login: m.login.slice(0, 128), tls: origin.tls,
        });
      }
      session.send({ t: 'auth-reply', access });
    }, (err: Error) => {
      if (!session.ended) this.reject(session, 0, err);
    });
  }

  /** Ends the subscriptions a reload no longer allows; the client gets ERROR naming the right. */
  private revoke({ session, keys, refusal }: Revocation): void {
    for (const key of keys) void this.router.unsubscribe(session, key);
    session.send({ t: 'reject', rid: 0, message: refusal.message, detail: refusal.detail });
    this.log.info(refusal.message, { event: 'rights-revoked', session: session.id, sessionPid: session.pid, login: session.login });
  }

  /** What a well-formed message may still get wrong about the session's own state. */
  private stateProblem(m: SessionToHub, session: HubSession): string | null {
    if (m.t === 'hello') return 'a second hello';
    if (m.t !== 'subscribe') return null;
    if (session.subs.has(m.sub)) return `subscription key ${m.sub} is already in use`;
    if (session.subs.size >= this.config.maxSubscriptions) return 'more subscriptions than --max-subscriptions';
    return null;
  }

  private complete(session: HubSession, work: Promise<void> | undefined, rid: RequestId): void {
    if (!work && !session.pending) {
      if (rid) session.send({ t: 'done', rid });
      return;
    }
    const link: Promise<void> = Promise.all([session.pending, work]).then(
      () => {
        if (rid) session.send({ t: 'done', rid });
      },
      (err: Error) => this.reject(session, rid, err),
    );
    session.pending = link;
    void link.then(() => {
      if (session.pending === link) session.pending = null;
    });
  }

  /** A refused request: the session sends ERROR (no RECEIPT) and closes; others are untouched. */
  private reject(session: HubSession, rid: RequestId, err: Error): void {
    if (err instanceof Refusal) {
      session.send({ t: 'reject', rid, message: err.message, detail: err.detail });
      return;
    }
    this.log.error(`session ${session.id}: ${err.stack}`);
    session.send({ t: 'reject', rid, message: 'Internal error', detail: 'The broker failed to process the request.' });
  }

  // --- the management API (src/http/) --------------------------------------------------------------

  private async startHttp(): Promise<void> {
    const { httpPort, httpHost } = this.config;
    if (httpPort === null) return;
    // --allow-anonymous opens STOMP, never the API: without --users it stays on loopback.
    this.http = await startManagement(this.managementSource(), {
      host: httpHost, port: httpPort, log: this.log, authFailureDelayMs: this.config.authFailureDelayMs,
    });
    const host = httpHost.includes(':') ? `[${httpHost}]` : httpHost;
    const url = `http://${host}:${this.http.port}/`;
    this.log.info(`management API, metrics and console on ${url}`, { event: 'http-listening', url });
  }

  private async closeHttp(): Promise<void> {
    await this.http?.close().catch((err: Error) => this.log.warn(`closing the management server: ${err.message}`));
    this.http = null;
  }

  /** What the management API reads and asks of the hub. */
  private managementSource(): BrokerSource {
    const entry = (p: ReturnType<SessionPool['snapshot']>[number]) => {
      const client = this.sessions.get(p.id);
      return { process: p, client, paused: client !== undefined && this.router.flow.isThrottled(client) };
    };
    return {
      router: this.router,
      summary: () => ({
        pid: process.pid, version: BROKER_VERSION, uptimeMs: Date.now() - this.startedAt, host: this.config.host,
        port: this.port, connections: this.pool.busyCount, pendingConnections: this.listener?.waitingCount ?? 0,
        idleSessions: this.pool.idleCount,
        sessionProcesses: this.pool.busyCount + this.pool.idleCount + this.pool.startingCount,
      }),
      counters: () => ({
        connectionsAccepted: this.listener?.counters.accepted ?? 0, connectionsRefused: this.listener?.counters.refused ?? 0,
        sessionsStarted: this.pool.counters.started, sessionsExited: this.pool.counters.exited,
        clientsHandedOff: this.pool.counters.handoffs,
      }),
      sessions: () => this.pool.snapshot().map(entry),
      session: (id) => {
        const p = this.pool.info(id);
        return p && entry(p);
      },
      closeClient: (id, client) => this.closeClient(id, client),
      // With a users file the API asks for basic auth of a user with admin on * (src/http/access.ts).
      users: () => this.gate.userDb,
    };
  }

  /** An operator closes session `id`'s client: ERROR "closed by an operator", then the session ends it. */
  private closeClient(id: number, serial?: number): CloseOutcome {
    const process = this.pool.info(id);
    const session = this.sessions.get(id);
    if (!process) return 'no-session';
    if (process.state !== 'busy' || !session) return 'no-client';
    if (serial !== undefined && session.serial !== serial) return 'other-client';
    session.send({
      t: 'reject', rid: 0, message: 'closed by an operator',
      detail: 'An operator closed this connection through the management API.',
    });
    // A session that ignores it (a compromised one) does not keep the client.
    setTimeout(() => {
      if (this.sessions.get(id) === session) this.pool.kill(id);
    }, OPERATOR_CLOSE_GRACE_MS).unref();
    this.log.info(`session ${id} (pid ${session.pid}, ${session.remote}): closed by an operator`);
    return 'closing';
  }
}
