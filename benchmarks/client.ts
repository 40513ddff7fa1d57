/**
 * A minimal, fast, dependency-free STOMP 1.2 client for load generation against any broker (ours,
 * RabbitMQ's STOMP plugin, ActiveMQ). Raw TCP socket, its own frame parser, writes batched per turn.
 * Only what the benchmarks need: CONNECT, SEND (optional receipt), SUBSCRIBE, ACK (optional receipt), DISCONNECT.
 */
import net from 'node:net';

/** A frame as received. Header values are unescaped (STOMP 1.2 "Value Encoding"); first one wins. */
export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

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

const NUL = 0;
const LF = 10;
const CR = 13;
const COLON = 58;
/** Unsent bytes past which `writable` turns false and producers should await `drain()`. */
const HIGH_WATER = 1024 * 1024;
/** Outbox bytes past which the batch is flushed at once rather than at the end of the turn. */
const FLUSH_AT = 256 * 1024;

function escape(text: string): string {
  // STOMP 1.2: backslash, LF, CR and colon in header names and values.
  if (!/[\\\n\r:]/.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\c');
}

function unescape(text: string): string {
  if (text.indexOf('\\') === -1) return text;
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'c' ? ':' : c));
}

/** Incremental frame parser: push chunks, get frames. Heart-beat EOLs between frames are skipped. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Bytes needed before another parse attempt can succeed (known once headers are read). */
  private need = 0;
  /** Whether frames from the broker escape header values (1.1+ except CONNECTED). */
  escaped = true;

  constructor(private readonly onFrame: (frame: StompFrame) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes < this.need) return;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytes);
    let pos = 0;
    const end = buf.length;
    for (;;) {
      while (pos < end && (buf[pos] === LF || buf[pos] === CR)) pos++;
      if (pos >= end) break;
      const next = this.parseOne(buf, pos);
      if (next < 0) {
        this.need = -next - pos;
        break;
      }
      pos = next;
    }
    if (pos >= end) {
      this.chunks = [];
      this.bytes = 0;
      this.need = 0;
    } else {
      const rest = buf.subarray(pos);
      this.chunks = [rest];
      this.bytes = rest.length;
    }
  }

  /** Parses the frame at `start`: the position after it, or -(bytes needed from 0) when incomplete. */
  private parseOne(buf: Buffer, start: number): number {
    let eol = buf.indexOf(LF, start);
    if (eol < 0) return -(buf.length + 1);
    const command = buf.toString('latin1', start, eol > start && buf[eol - 1] === CR ? eol - 1 : eol);
    const headers: Record<string, string> = {};
    const unesc = this.escaped && command !== 'CONNECTED';
    let p = eol + 1;
    for (;;) {
      eol = buf.indexOf(LF, p);
      if (eol < 0) return -(buf.length + 1);
      const lineEnd = eol > p && buf[eol - 1] === CR ? eol - 1 : eol;
      if (lineEnd === p) {
        p = eol + 1;
        break;
      }
      const colon = buf.indexOf(COLON, p);
      if (colon > p && colon < lineEnd) {
        const name = buf.toString('utf8', p, colon);
        if (!(name in headers)) {
          const value = buf.toString('utf8', colon + 1, lineEnd);
          headers[unesc ? unescape(name) : name] = unesc ? unescape(value) : value;
        }
      }
      p = eol + 1;
    }
    const length = headers['content-length'];
    let bodyEnd: number;
    if (length !== undefined) {
      bodyEnd = p + Number(length);
      if (bodyEnd >= buf.length) return -(bodyEnd + 1);
      if (buf[bodyEnd] !== NUL) throw new Error(`frame ${command}: no NUL after content-length ${length}`);
    } else {
      bodyEnd = buf.indexOf(NUL, p);
      if (bodyEnd < 0) return -(buf.length + 1);
    }
    this.onFrame({ command, headers, body: buf.subarray(p, bodyEnd) });
    return bodyEnd + 1;
  }
}

/** One STOMP connection. Create with `StompClient.connect`. */
export class StompClient {
  private readonly reader: FrameReader;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private nextReceipt = 1;
  private nextSub = 1;
  private readonly receipts = new Map<string, () => void>();
  private drainWaiters: (() => void)[] = [];
  private closed = false;
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
  onClose: () => void = () => {};

  private constructor(readonly socket: net.Socket) {
    this.reader = new FrameReader((f) => this.frame(f));
  }

  /** Opens a connection and completes CONNECT; rejects on ERROR, close or timeout. */
  static connect(opts: ConnectOptions, timings?: ConnectTimings): Promise<StompClient> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
      const client = new StompClient(socket);
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`no CONNECTED within ${opts.timeoutMs ?? 30_000} ms`)),
        opts.timeoutMs ?? 30_000);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.on('error', (err) => (settled ? client.failed(err) : fail(err)));
      socket.on('close', () => {
        if (!settled) fail(new Error('connection closed before CONNECTED'));
        else client.handleClose();
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          client.reader.push(chunk);
        } catch (err) {
          client.failed(err as Error);
        }
      });
      socket.once('connect', () => {
        if (timings) timings.tcp = performance.now() - t0;
        const headers: Record<string, string> = {
          'accept-version': '1.2', host: opts.vhost ?? '/', 'heart-beat': opts.heartBeat ?? '0,0',
          ...(opts.login !== undefined ? { login: opts.login } : {}),
          ...(opts.passcode !== undefined ? { passcode: opts.passcode } : {}),
          ...opts.headers,
        };
        // CONNECT's headers are never escaped (STOMP 1.2).
        let text = 'CONNECT\n';
        for (const [k, v] of Object.entries(headers)) text += `${k}:${v}\n`;
        socket.write(text + '\n\0');
      });
      client.connectWaiter = (frame) => {
        if (settled) return;
        if (frame.command === 'CONNECTED') {
          settled = true;
          clearTimeout(timer);
          if (timings) timings.connected = performance.now() - t0;
          client.connectedHeaders = frame.headers;
          client.reader.escaped = (frame.headers.version ?? '1.0') !== '1.0';
          resolve(client);
        } else {
          fail(new Error(`CONNECT refused: ${frame.headers.message ?? frame.command} ${frame.body.toString()}`));
        }
      };
    });
  }

  private connectWaiter: ((frame: StompFrame) => void) | null = null;

  /** Whether a producer may go on writing without awaiting `drain()`. */
  get writable(): boolean {
    return this.socket.writableLength + this.outboxBytes < HIGH_WATER;
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
    let head = 'SEND\ndestination:' + escape(destination) + '\ncontent-length:' + body.length + '\n';
    if (headers) for (const k in headers) head += escape(k) + ':' + escape(headers[k]) + '\n';
    if (onReceipt) {
      const id = String(this.nextReceipt++);
      this.receipts.set(id, onReceipt);
      head += 'receipt:' + id + '\n';
    }
    this.write(Buffer.from(head + '\n', 'utf8'));
    if (body.length > 0) this.write(body);
    this.write(NUL_BUF);
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
    const h = message.headers;
    let head = h.ack !== undefined
      ? 'ACK\nid:' + escape(h.ack) + '\n'
      : 'ACK\nmessage-id:' + escape(h['message-id']) + '\nsubscription:' + escape(h.subscription ?? '') + '\n';
    if (onReceipt) {
      const id = String(this.nextReceipt++);
      this.receipts.set(id, onReceipt);
      head += 'receipt:' + id + '\n';
    }
    this.write(Buffer.from(head + '\n\0', 'utf8'));
  }

  /** Sends a frame asking for a receipt; resolves when it arrives. */
  request(command: string, headers: Record<string, string>, body: Buffer = Buffer.alloc(0)): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`${command}: connection closed`));
      const id = String(this.nextReceipt++);
      this.receipts.set(id, resolve);
      let head = command + '\n';
      for (const k in headers) head += escape(k) + ':' + escape(headers[k]) + '\n';
      head += 'receipt:' + id + '\n';
      if (body.length > 0) head += 'content-length:' + body.length + '\n';
      this.write(Buffer.from(head + '\n', 'utf8'));
      if (body.length > 0) this.write(body);
      this.write(NUL_BUF);
      this.pendingRejects.set(id, reject);
    });
  }

  private readonly pendingRejects = new Map<string, (err: Error) => void>();

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
      return;
    }
    switch (frame.command) {
      case 'MESSAGE':
        this.onMessage(frame);
        break;
      case 'RECEIPT': {
        const id = frame.headers['receipt-id'];
        const cb = this.receipts.get(id);
        if (cb) {
          this.receipts.delete(id);
          this.pendingRejects.delete(id);
          cb();
        }
        this.onReceipt(id);
        break;
      }
      case 'ERROR':
        this.failed(new Error(`ERROR ${frame.headers.message ?? ''}: ${frame.body.toString().slice(0, 500)}`));
        break;
      default:
        break;
    }
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

const NUL_BUF = Buffer.from([0]);
