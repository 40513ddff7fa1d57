/**
 * A minimal, fast STOMP 1.2 client for load generation against any broker (ours, RabbitMQ's STOMP
 * plugin, ActiveMQ). Raw TCP socket, writes batched per event-loop turn; frames are parsed and written
 * by the broker's own codec (src/protocol: FrameParser, serializeFrame), so the benchmarks exercise
 * no second copy of it. Only what the benchmarks need: CONNECT, SEND (optional receipt), SUBSCRIBE,
 * ACK (optional receipt), DISCONNECT.
 */
import net from 'node:net';
import { type Frame, SUPPORTED_VERSIONS, type StompVersion } from '../src/protocol/frame.js';
import { FrameParser } from '../src/protocol/parser.js';
import { serializeFrame } from '../src/protocol/writer.js';

/** A frame as received: header values unescaped for the negotiated version, the first of a name wins. */
export type StompFrame = Frame;

/** How to reach and log in to a broker. */
export interface ConnectOptions {
  host: string;
  port: number;
  login?: string;
  passcode?: string;
  /** CONNECT's `host` header: the virtual host (RabbitMQ wants `/`). */
  vhost?: string;
  /** CONNECT's `heart-beat` header; default 0,0 (none). */
  heartBeat?: string;
  /** Milliseconds allowed from TCP connect to CONNECTED. */
  timeoutMs?: number;
  /** Extra CONNECT headers (e.g. `client-id` for ActiveMQ). */
  headers?: Record<string, string>;
}

/** SUBSCRIBE options. */
export interface SubscribeOptions {
  id?: string;
  ack?: 'auto' | 'client' | 'client-individual';
  /** Sent both as RabbitMQ's `prefetch-count` and ActiveMQ's `activemq.prefetchSize`. */
  prefetch?: number;
  headers?: Record<string, string>;
}

/** Timings of one connection setup, in ms from the start of `connect()`. */
export interface ConnectTimings {
  /** TCP handshake done. */
  tcp: number;
  /** CONNECTED received. */
  connected: number;
}

/** Unsent bytes past which `writable` turns false and producers should await `drain()`. */
const HIGH_WATER = 1024 * 1024;
/** Outbox bytes past which the batch is flushed at once rather than at the end of the turn. */
const FLUSH_AT = 256 * 1024;
/** The client takes whatever the broker sends: its limits are the broker's business, not ours. */
const CLIENT_LIMITS = { maxFrameSize: 1024 ** 3, maxHeaderLines: 100_000, maxHeaderLineLength: 16 * 1024 ** 2 };
const EMPTY = Buffer.alloc(0);

/** A FrameParser from the broker's own codec, set up for the client side of a connection. */
export function clientParser(onFrame: (frame: Frame) => void, onError: (err: Error) => void): FrameParser {
  return new FrameParser(onFrame, onError, CLIENT_LIMITS);
}

/** The bytes of a CONNECT frame (its headers are never escaped, which the writer does for 1.0). */
export function connectFrame(opts: ConnectOptions): Buffer {
  const headers: Record<string, string> = {
    'accept-version': '1.2', host: opts.vhost ?? '/', 'heart-beat': opts.heartBeat ?? '0,0',
    ...(opts.login !== undefined ? { login: opts.login } : {}),
    ...(opts.passcode !== undefined ? { passcode: opts.passcode } : {}),
    ...opts.headers,
  };
  return serializeFrame({ command: 'CONNECT', headers, body: EMPTY }, '1.0');
}

/** One STOMP connection. Create with `StompClient.connect`. */
export class StompClient {
  private readonly parser: FrameParser;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private nextReceipt = 1;
  private nextSub = 1;
  private readonly receipts = new Map<string, () => void>();
  private readonly pendingRejects = new Map<string, (err: Error) => void>();
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private connectWaiter: ((frame: StompFrame) => void) | null = null;
  /** The version CONNECTED named; frames are written and read by it. */
  version: StompVersion = '1.0';
  /** CONNECTED's headers. */
  connectedHeaders: Record<string, string> = {};
  /** Every MESSAGE frame. */
  onMessage: (frame: StompFrame) => void = () => {};
  /** Every RECEIPT, after its own callback (if any) ran. */
  onReceipt: (receiptId: string) => void = () => {};
  /** An ERROR frame or a socket error; the connection is closed after it. */
  onError: (err: Error) => void = (err) => {
    process.stderr.write(`stomp client: ${err.message}\n`);
  };
  /** The socket closed (for whatever reason). */
  onClose: () => void = () => {};

  private constructor(readonly socket: net.Socket) {
    this.parser = clientParser((f) => this.frame(f), (err) => this.failed(err));
  }

  /** Opens a connection and completes CONNECT; rejects on ERROR, close or timeout. */
  static connect(opts: ConnectOptions, timings?: ConnectTimings): Promise<StompClient> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
      const client = new StompClient(socket);
      let settled = false;
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => fail(new Error(`no CONNECTED within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.on('error', (err) => (settled ? client.failed(err) : fail(err)));
      socket.on('close', () => (settled ? client.handleClose() : fail(new Error('connection closed before CONNECTED'))));
      socket.on('data', (chunk: Buffer) => client.parser.push(chunk));
      socket.once('connect', () => {
        if (timings) timings.tcp = performance.now() - t0;
        socket.write(connectFrame(opts));
      });
      client.connectWaiter = (frame) => {
        if (settled) return;
        if (frame.command !== 'CONNECTED') {
          fail(new Error(`CONNECT refused: ${frame.headers.message ?? frame.command} ${frame.body.toString()}`));
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (timings) timings.connected = performance.now() - t0;
        client.connected(frame.headers);
        resolve(client);
      };
    });
  }

  /** Whether a producer may go on writing without awaiting `drain()`. */
  get writable(): boolean {
    return this.socket.writableLength + this.outboxBytes < HIGH_WATER;
  }

  /** Whether the connection is over (closed, failed or disconnected). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once unsent bytes are under the high-water mark again. */
  drain(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.flush();
    });
  }

  /** SEND; with `onReceipt` a receipt is asked for and the callback runs when it arrives. */
  send(destination: string, body: Buffer, headers?: Record<string, string> | null, onReceipt?: () => void): void {
    const h: Record<string, string> = { destination, ...headers };
    if (onReceipt) h.receipt = this.expectReceipt(onReceipt);
    this.write(serializeFrame({ command: 'SEND', headers: h, body }, this.version));
  }

  /** SUBSCRIBE; resolves once the broker's RECEIPT says the subscription is in place. Returns its id. */
  async subscribe(destination: string, opts: SubscribeOptions = {}): Promise<string> {
    const id = opts.id ?? `sub-${this.nextSub++}`;
    const headers: Record<string, string> = { id, destination, ack: opts.ack ?? 'auto', ...opts.headers };
    if (opts.prefetch !== undefined) {
      headers['prefetch-count'] = String(opts.prefetch);
      headers['activemq.prefetchSize'] = String(opts.prefetch);
    }
    await this.request('SUBSCRIBE', headers);
    return id;
  }

  /**
   * ACK of a MESSAGE (STOMP 1.2: its `ack` header; 1.0/1.1 brokers: `message-id` + `subscription`).
   * With `onReceipt` a receipt is asked for and the callback runs when it arrives.
   */
  ack(message: StompFrame, onReceipt?: () => void): void {
    const m = message.headers;
    const headers: Record<string, string> = m.ack !== undefined
      ? { id: m.ack } : { 'message-id': m['message-id'], subscription: m.subscription ?? '' };
    if (onReceipt) headers.receipt = this.expectReceipt(onReceipt);
    this.write(serializeFrame({ command: 'ACK', headers, body: EMPTY }, this.version));
  }

  /** Sends a frame asking for a receipt; resolves when it arrives, rejects if the connection closes first. */
  request(command: string, headers: Record<string, string>, body: Buffer = EMPTY): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`${command}: connection closed`));
      const id = this.expectReceipt(resolve);
      this.pendingRejects.set(id, reject);
      this.write(serializeFrame({ command, headers: { ...headers, receipt: id }, body }, this.version));
    });
  }

  /** DISCONNECT with a receipt (everything sent before has been processed), then close. */
  async disconnect(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.request('DISCONNECT', {}).catch(() => {}), timer]);
    this.socket.end();
    this.closed = true;
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** Writes what is batched now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.outboxBytes === 0 || this.socket.destroyed) return;
    const data = this.outbox.length === 1 ? this.outbox[0] : Buffer.concat(this.outbox, this.outboxBytes);
    this.outbox = [];
    this.outboxBytes = 0;
    this.socket.write(data, () => this.maybeDrained());
  }

  private expectReceipt(callback: () => void): string {
    const id = String(this.nextReceipt++);
    this.receipts.set(id, callback);
    return id;
  }

  private connected(headers: Record<string, string>): void {
    this.connectedHeaders = headers;
    const version = headers.version ?? '1.0';
    this.version = (SUPPORTED_VERSIONS as readonly string[]).includes(version) ? version as StompVersion : '1.2';
    this.parser.version = this.version;
  }

  private write(data: Buffer): void {
    this.outbox.push(data);
    this.outboxBytes += data.length;
    if (this.outboxBytes >= FLUSH_AT) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private maybeDrained(): void {
    if (this.drainWaiters.length === 0 || !this.writable) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private frame(frame: StompFrame): void {
    if (this.connectWaiter) {
      const waiter = this.connectWaiter;
      this.connectWaiter = null;
      waiter(frame);
    } else if (frame.command === 'MESSAGE') {
      this.onMessage(frame);
    } else if (frame.command === 'RECEIPT') {
      this.receipt(frame.headers['receipt-id']);
    } else if (frame.command === 'ERROR') {
      this.failed(new Error(`ERROR ${frame.headers.message ?? ''}: ${frame.body.toString().slice(0, 500)}`));
    }
  }

  private receipt(id: string): void {
    const cb = this.receipts.get(id);
    if (cb) {
      this.receipts.delete(id);
      this.pendingRejects.delete(id);
      cb();
    }
    this.onReceipt(id);
  }

  private failed(err: Error): void {
    if (!this.closed) this.onError(err);
    this.closed = true;
    this.socket.destroy();
  }

  private handleClose(): void {
    this.closed = true;
    for (const reject of this.pendingRejects.values()) reject(new Error('connection closed'));
    this.pendingRejects.clear();
    for (const w of this.drainWaiters.splice(0)) w();
    this.onClose();
  }
}
