/**
 * Integration-test helpers: start a real broker process, and talk raw STOMP to it over TCP, TLS or
 * WebSocket.
 *
 * Every wait here has a timeout, but only as a guard against a hung test: no test asserts on speed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach } from 'node:test';
import { createWebSocketStream, WebSocket } from 'ws';
import { isAlive, readBrokerInfo, removeStaleRunDir } from '../../src/hub/run-files.js';
import type { BrokerStatus } from '../../src/ipc/contract.js';
import { askStatus } from '../../src/ipc/control.js';

/** Whether a process with this pid exists (the broker's own check). */
export { isAlive };

/** Repository root: this file runs as dist/test/helpers/broker.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The broker's command-line entry point. */
export const BROKER_BIN = path.join(REPO_ROOT, 'bin', 'stomp-broker');

/** A broker process started for a test file. */
export interface Broker {
  port: number;
  host: string;
  dataDir: string;
  pid: number;
  proc: ChildProcess;
  /** SIGTERM, wait for exit (SIGKILL after 10 s), remove the data directory. */
  stop(): Promise<void>;
  /** Everything the broker wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves with the exit code (or signal name) once the broker process has exited. */
  exited: Promise<number | string | null>;
}

/** Brokers still running; killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of running) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A fresh empty directory under the system temp dir. */
export function freshDir(prefix = 'stomp-it-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Spawns `node bin/stomp-broker start --port 0 --data-dir <fresh dir> --prefork 2 ...extraArgs` and
 * resolves once it logs "listening on host:port". Later flags override earlier ones (e.g. --prefork 8).
 */
export async function startBroker(extraArgs: string[] = [], opts: { dataDir?: string } = {}): Promise<Broker> {
  const dataDir = opts.dataDir ?? freshDir();
  const ownsDir = opts.dataDir === undefined;
  const args = [BROKER_BIN, 'start', '--port', '0', '--data-dir', dataDir, '--prefork', '2', ...extraArgs];
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let output = '';
  const exited = new Promise<number | string | null>((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      resolve(code ?? signal);
    });
  });
  proc.stdout!.on('data', (d: Buffer) => { output += d.toString('utf8'); });

  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`broker did not report "listening on" within 30 s; output:\n${output}`));
    }, 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      output += d.toString('utf8');
      const m = /listening on (\S+):(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ host: m[1], port: Number(m[2]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}) before listening; output:\n${output}`));
    });
  });
  const { host, port } = await listening;

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { port, host, dataDir, pid: proc.pid!, proc, stop, logs: () => output, exited };
}

/** Writes `config` as JSON to a file in a fresh temp directory; returns the file's path. */
export function writeConfig(config: unknown, name = 'broker.json'): string {
  const dir = freshDir('stomp-cfg-');
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

/** Removes a temp file's directory (config files written by writeConfig). */
export function removeConfig(file: string): void {
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** kill -9 of the hub process; resolves once it has exited. */
export async function killHub(broker: Broker): Promise<void> {
  process.kill(broker.pid, 'SIGKILL');
  await broker.exited;
}

// ---------------------------------------------------------------------------------------------
// useBroker: the one start/stop fixture of the integration tests
// ---------------------------------------------------------------------------------------------

/** What useBroker starts. */
export interface BrokerOptions {
  /** Flags after `--port 0 --data-dir <dir> --prefork 2` (later flags win). */
  args?: string[];
  /** Destination policies, written to a file passed as `--config`. */
  config?: unknown;
  /** Also connect a client, `ctx.producer`, once the broker is up. */
  producer?: boolean;
  /** A broker of its own for every test (beforeEach/afterEach) instead of one for the suite. */
  perTest?: boolean;
}

/** The broker (and producer) useBroker started; read its fields inside tests, not at suite level. */
export interface BrokerContext {
  readonly broker: Broker;
  readonly producer: RawClient;
  /** SIGTERM (nothing when the hub is already dead), then a new broker on the same data directory. */
  restart(): Promise<Broker>;
  /** kill -9 of the hub (no cleanup: lock, pid file, broker.json stay), then a new broker on the same directory. */
  crashAndRestart(): Promise<Broker>;
}

/**
 * Registers the hooks that start a broker (and a producer) before the suite, or before each test with
 * `perTest`, and stop it and delete its data directory and config file afterwards. Restarts keep the
 * data directory, so what a broker stored is there for the next one.
 */
export function useBroker(options: BrokerOptions = {}): BrokerContext {
  let broker: Broker | undefined;
  let producer: RawClient | undefined;
  let dataDir = '';
  let configFile = '';

  const launch = async (): Promise<Broker> => {
    const args = [...(configFile ? ['--config', configFile] : []), ...(options.args ?? [])];
    broker = await startBroker(args, { dataDir });
    if (options.producer) producer = await connectStomp(broker.port);
    return broker;
  };
  const relaunch = async (end: (b: Broker) => Promise<void>): Promise<Broker> => {
    producer?.close();
    await end(ctx.broker);
    return launch();
  };
  const setUp = async (): Promise<void> => {
    dataDir = freshDir('stomp-data-');
    if (options.config !== undefined) configFile = writeConfig(options.config);
    await launch();
  };
  const tearDown = async (): Promise<void> => {
    producer?.close();
    await broker?.stop();
    broker = producer = undefined;
    if (dataDir) {
      removeStaleRunDir(dataDir); // a killed hub leaves its bus socket's directory (named in broker.json)
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    if (configFile) removeConfig(configFile);
    dataDir = configFile = '';
  };
  (options.perTest ? beforeEach : before)(setUp);
  (options.perTest ? afterEach : after)(tearDown);

  const ctx: BrokerContext = {
    get broker(): Broker {
      if (!broker) throw new Error('useBroker: no broker running (read ctx.broker inside a test)');
      return broker;
    },
    get producer(): RawClient {
      if (!producer) throw new Error('useBroker: no producer (pass { producer: true }; read it inside a test)');
      return producer;
    },
    restart: () => relaunch((b) => b.stop()),
    crashAndRestart: () => relaunch(killHub),
  };
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/** A frame as received. `headers` keeps the first of repeated names; `headerList` keeps all. */
export interface ReceivedFrame {
  command: string;
  headers: Record<string, string>;
  headerList: [string, string][];
  body: Buffer;
  /** The frame's bytes as they arrived (without the trailing NUL). */
  raw: Buffer;
}

export type HeaderInput = Record<string, string | number> | [string, string | number][];

/** Encodes a frame exactly as given: headers are written literally (no escaping, no content-length added). */
export function encodeFrame(command: string, headers: HeaderInput = {}, body: string | Buffer = ''): Buffer {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  let head = command + '\n';
  for (const [name, value] of list) head += `${name}:${value}\n`;
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    Buffer.from([0])]);
}

/** STOMP 1.1/1.2 header escaping (1.2 also escapes CR), for building frames by hand. */
export function escapeHeader(value: string, version: '1.1' | '1.2' = '1.2'): string {
  let out = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
  if (version === '1.2') out = out.replace(/\r/g, '\\r');
  return out;
}

function unescapeHeader(raw: string): string {
  return raw.replace(/\\(.)/g, (all, c: string) => {
    switch (c) {
      case '\\': return '\\';
      case 'n': return '\n';
      case 'c': return ':';
      case 'r': return '\r';
      default: return all;
    }
  });
}

function describe(frame: ReceivedFrame): string {
  const body = frame.body.toString('utf8').slice(0, 300);
  return `${frame.command} ${JSON.stringify(frame.headers)}${body ? ` body=${JSON.stringify(body)}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// RawClient
// ---------------------------------------------------------------------------------------------

/** A STOMP client that writes bytes as told and parses what comes back by itself. */
export class RawClient {
  /** Version used to unescape incoming headers ('1.0' = none); connectStomp sets it from CONNECTED. */
  version: '1.0' | '1.1' | '1.2' = '1.0';
  /** Heart-beat EOLs received between frames. */
  heartbeats = 0;
  /** The CONNECTED frame, when connected through connectStomp. */
  connected: ReceivedFrame | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: ReceivedFrame[] = [];
  private waiters: (() => void)[] = [];
  private closedFlag = false;
  private parseError: Error | null = null;

  /** The WebSocket under a client made by connectWs (its messages can be watched one by one). */
  ws: WebSocket | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  /** Opens a TCP connection to the broker on 127.0.0.1:`port`. */
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /**
   * Opens a TLS connection to the broker's TLS port on 127.0.0.1:`port`, trusting the CA in `options.ca`
   * (and presenting `cert`/`key` when given); rejects when the handshake fails.
   */
  static connectTls(port: number, options: tls.ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /**
   * Opens a WebSocket to the broker's WebSocket port on 127.0.0.1:`port` (path /ws, subprotocols
   * v12.stomp, v11.stomp, v10.stomp unless given); every frame the client writes is one message.
   */
  static connectWs(port: number, opts: { path?: string; protocols?: string[] } = {}): Promise<RawClient> {
    const { path: wsPath = '/ws', protocols = ['v12.stomp', 'v11.stomp', 'v10.stomp'] } = opts;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, protocols);
      ws.once('open', () => {
        ws.off('error', reject);
        // A duplex over the WebSocket: the client's code stays the same as over TCP.
        const stream = createWebSocketStream(ws);
        // The duplex only ends its readable side when the WebSocket closes: closed is closed.
        ws.once('close', () => stream.destroy());
        const client = new RawClient(stream as unknown as net.Socket);
        client.ws = ws;
        resolve(client);
      });
      ws.once('error', reject);
    });
  }

  /** Whether the connection has closed (by either side). */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Frames received and not yet read. */
  get pending(): number {
    return this.frames.length;
  }

  /** Writes raw bytes; resolves once they are handed to the kernel. */
  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) {
        resolve();
        return;
      }
      this.socket.write(data, () => resolve());
    });
  }

  /** Writes one frame (headers literally, see encodeFrame). */
  frame(command: string, headers: HeaderInput = {}, body: string | Buffer = ''): Promise<void> {
    return this.send(encodeFrame(command, headers, body));
  }

  /** The next frame; rejects on timeout or when the connection closes with nothing left to read. */
  async readFrame(timeoutMs = 5000): Promise<ReceivedFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.frames.shift();
      if (next) return next;
      if (this.parseError) throw this.parseError;
      if (this.closedFlag) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await this.waitForEvent(left);
    }
  }

  /** Reads the next frame and checks its command; an unexpected frame fails with its full content. */
  async expectFrame(command: string, timeoutMs = 5000): Promise<ReceivedFrame> {
    const frame = await this.readFrame(timeoutMs);
    if (frame.command !== command) throw new Error(`expected ${command}, got ${describe(frame)}`);
    return frame;
  }

  /** Reads `n` frames, each of which must be `command`. */
  async expectFrames(command: string, n: number, timeoutMs = 10_000): Promise<ReceivedFrame[]> {
    const out: ReceivedFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < n) {
      const left = Math.max(1, deadline - Date.now());
      try {
        out.push(await this.expectFrame(command, left));
      } catch (err) {
        throw new Error(`after ${out.length} of ${n} ${command} frames: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /**
   * Reads the RECEIPT for `receipt`. MESSAGE frames may legitimately come first (an ACK frees credit,
   * so the next message can overtake the ACK's receipt): they are kept, in order, for the next reads.
   * Any other frame first is a failure.
   */
  async expectReceipt(receipt: string, timeoutMs = 5000): Promise<ReceivedFrame> {
    const deadline = Date.now() + timeoutMs;
    const overtaken: ReceivedFrame[] = [];
    for (;;) {
      const frame = await this.readFrame(Math.max(1, deadline - Date.now())).catch((err: Error) => {
        this.frames.unshift(...overtaken);
        throw err;
      });
      if (frame.command === 'MESSAGE') {
        overtaken.push(frame);
        continue;
      }
      this.frames.unshift(...overtaken);
      if (frame.command !== 'RECEIPT' || frame.headers['receipt-id'] !== receipt) {
        throw new Error(`expected RECEIPT ${receipt}, got ${describe(frame)}`);
      }
      return frame;
    }
  }

  /**
   * Guard window: asserts that no frame arrives within `windowMs`. Used only to show that something
   * is *not* delivered yet; whatever arrives later is asserted on its content, never its timing.
   */
  async expectNoFrame(windowMs = 300): Promise<void> {
    const deadline = Date.now() + windowMs;
    while (this.frames.length === 0 && !this.closedFlag && Date.now() < deadline) {
      await this.waitForEvent(deadline - Date.now());
    }
    if (this.frames.length > 0) throw new Error(`expected no frame, got ${describe(this.frames[0])}`);
  }

  /** Resolves once the connection is closed; frames received before that stay readable. */
  async expectClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open after ${timeoutMs} ms`);
      await this.waitForEvent(left);
    }
  }

  /** Expects an ERROR frame and then the connection to close; returns the ERROR. */
  async expectErrorAndClose(timeoutMs = 5000): Promise<ReceivedFrame> {
    const error = await this.expectFrame('ERROR', timeoutMs);
    await this.expectClosed(timeoutMs);
    return error;
  }

  /** Resolves once the client has received at least `n` heart-beats. */
  async waitForHeartbeats(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.heartbeats < n) {
      if (this.closedFlag) throw new Error(`closed after ${this.heartbeats} heart-beats`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.heartbeats} of ${n} heart-beats within ${timeoutMs} ms`);
      await this.waitForEvent(left);
    }
  }

  /** Closes the connection abruptly (no DISCONNECT). */
  close(): void {
    this.socket.destroy();
  }

  /** DISCONNECT with a receipt, wait for the RECEIPT and the close. */
  async disconnect(timeoutMs = 5000): Promise<void> {
    const receipt = `bye-${Math.random().toString(36).slice(2)}`;
    await this.frame('DISCONNECT', { receipt });
    // Frames still in flight (MESSAGEs) may come before the RECEIPT: skip them.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (frame.command === 'RECEIPT' && frame.headers['receipt-id'] === receipt) break;
    }
    await this.expectClosed(Math.max(1, deadline - Date.now()));
  }

  private waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(wake);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Parses every complete frame in the buffer. */
  private parse(): void {
    while (!this.parseError) {
      // Heart-beats: EOLs between frames.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0a || this.buf[start] === 0x0d)) {
        if (this.buf[start] === 0x0a) this.heartbeats++;
        start++;
      }
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) return;
      const headEnd = this.findHeadEnd();
      if (headEnd === null) return;
      const lines = this.buf.subarray(0, headEnd.at).toString('utf8').split('\n').map((l) => l.replace(/\r$/, ''));
      const command = lines[0];
      const headerList: [string, string][] = [];
      const headers: Record<string, string> = {};
      const unescape = this.version !== '1.0' && command !== 'CONNECTED';
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon < 0) {
          this.parseError = new Error(`malformed header line from the broker: ${JSON.stringify(line)}`);
          return;
        }
        let name = line.slice(0, colon);
        let value = line.slice(colon + 1);
        if (unescape) {
          name = unescapeHeader(name);
          value = unescapeHeader(value);
        }
        headerList.push([name, value]);
        if (!Object.hasOwn(headers, name)) headers[name] = value;
      }
      const bodyStart = headEnd.at + headEnd.length;
      let bodyEnd: number;
      if (headers['content-length'] !== undefined) {
        bodyEnd = bodyStart + Number(headers['content-length']);
        if (this.buf.length <= bodyEnd) return;
        if (this.buf[bodyEnd] !== 0) {
          this.parseError = new Error(`broker frame ${command}: no NUL after content-length bytes`);
          return;
        }
      } else {
        bodyEnd = this.buf.indexOf(0, bodyStart);
        if (bodyEnd < 0) return;
      }
      const frame: ReceivedFrame = {
        command, headers, headerList,
        body: Buffer.from(this.buf.subarray(bodyStart, bodyEnd)),
        raw: Buffer.from(this.buf.subarray(0, bodyEnd)),
      };
      this.buf = this.buf.subarray(bodyEnd + 1);
      this.frames.push(frame);
    }
  }

  /** Where the header block ends (the empty line) and how long that terminator is. */
  private findHeadEnd(): { at: number; length: number } | null {
    // The first blank line: "\n\n" or "\n\r\n".
    for (let i = this.buf.indexOf(0x0a); i >= 0; i = this.buf.indexOf(0x0a, i + 1)) {
      if (this.buf[i + 1] === 0x0a) return { at: i, length: 2 };
      if (this.buf[i + 1] === 0x0d && this.buf[i + 2] === 0x0a) return { at: i, length: 3 };
      if (i + 1 >= this.buf.length || (this.buf[i + 1] === 0x0d && i + 2 >= this.buf.length)) return null;
    }
    return null;
  }
}

/**
 * Connects, sends CONNECT (accept-version 1.2 and host unless overridden; pass `undefined` to leave a
 * header out) and resolves with the client once CONNECTED arrived. Any other answer rejects. `client`:
 * CONNECT over a connection already open (a TLS one) instead of a new TCP one.
 */
export async function connectStomp(
  port: number,
  headers: Record<string, string | number | undefined> = {},
  opts: { command?: 'CONNECT' | 'STOMP'; timeoutMs?: number; client?: RawClient } = {},
): Promise<RawClient> {
  const { command = 'CONNECT', timeoutMs = 10_000 } = opts;
  const client = opts.client ?? await RawClient.connect(port);
  const all: Record<string, string | number | undefined> = { 'accept-version': '1.2', host: '/', ...headers };
  const list = Object.entries(all).filter((e): e is [string, string | number] => e[1] !== undefined);
  await client.frame(command, list);
  let frame: ReceivedFrame;
  try {
    frame = await client.expectFrame('CONNECTED', timeoutMs);
  } catch (err) {
    client.close();
    throw err;
  }
  client.connected = frame;
  const version = frame.headers.version ?? '1.0';
  client.version = version === '1.1' || version === '1.2' ? version : '1.0';
  return client;
}

// ---------------------------------------------------------------------------------------------
// Small conveniences
// ---------------------------------------------------------------------------------------------

let counter = 0;

/** A destination name no other test uses: `/queue/<label>-<pid>-<n>` (or /topic/...). */
export function uniqueDest(kind: 'queue' | 'topic', label = 't'): string {
  return `/${kind}/${label}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A receipt id unique within this process. */
export function receiptId(label = 'r'): string {
  return `${label}-${++counter}`;
}

/** SUBSCRIBE with a receipt; resolves once the broker confirmed it (the subscription is live). */
export async function subscribe(
  client: RawClient,
  dest: string,
  id: string,
  headers: Record<string, string | number> = {},
): Promise<void> {
  const receipt = receiptId('sub');
  await client.frame('SUBSCRIBE', { destination: dest, id, ...headers, receipt });
  await client.expectReceipt(receipt);
}

/** SEND with a receipt; resolves once the broker confirmed it. */
export async function sendConfirmed(
  client: RawClient,
  dest: string,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): Promise<void> {
  const receipt = receiptId('send');
  await client.frame('SEND', { destination: dest, ...headers, receipt }, body);
  await client.expectReceipt(receipt);
}

/** Sends `bodies` to `dest` in one write; the last SEND carries a receipt that is awaited. */
export async function sendMany(client: RawClient, dest: string, bodies: string[]): Promise<void> {
  const receipt = receiptId('many');
  const frames = bodies.map((body, i) => encodeFrame('SEND',
    i === bodies.length - 1 ? { destination: dest, receipt } : { destination: dest }, body));
  await client.send(Buffer.concat(frames));
  await client.expectReceipt(receipt);
}

/** Bodies of `frames` as UTF-8 strings. */
export function bodies(frames: ReceivedFrame[]): string[] {
  return frames.map((f) => f.body.toString('utf8'));
}

/** Resolves after `ms` (only for guard windows and polling, never for an assertion on speed). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a truthy value; rejects after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/**
 * Closes `client` abruptly and waits until its session process has exited, so the broker has seen
 * the connection go (what it held is back in its queues) before the test goes on.
 */
export async function closeAndWaitForSession(client: RawClient, broker: Broker, timeoutMs = 10_000): Promise<void> {
  const pid = sessionPidOf(client);
  client.close();
  // Gone, or reset and back in the pool for the next client: either way the hub has let go of the client.
  await eventually(async () => !isAlive(pid) || (await brokerStatus(broker)).sessions.every((s) => s.pid !== pid || s.state !== 'busy'),
    timeoutMs);
}

/** The broker's WebSocket port (`--ws-port`), from its "listening" line. */
export function wsPort(broker: Broker): number {
  const m = /WebSocket on ws:\/\/[^:]+:(\d+)\/ws/.exec(broker.logs());
  if (!m) throw new Error(`no WebSocket port in the broker's log:\n${broker.logs()}`);
  return Number(m[1]);
}

/** The pid of the session process serving `client` (from CONNECTED's `session` header, "session-<pid>-<n>"). */
export function sessionPidOf(client: RawClient): number {
  const m = /^session-(\d+)-\d+$/.exec(client.connected?.headers.session ?? '');
  if (!m) throw new Error(`session header ${client.connected?.headers.session} names no pid`);
  return Number(m[1]);
}

/** The broker's own status (as `stomp-broker status --json` prints it), asked over its bus. */
export async function brokerStatus(broker: Broker): Promise<BrokerStatus> {
  const info = readBrokerInfo(broker.dataDir);
  if (!info) throw new Error(`no broker.json in ${broker.dataDir}`);
  return askStatus(info.busPath);
}


/** Index of the first of `clients` that has a frame to read (polls; reads nothing). */
export async function waitForAny(clients: RawClient[], timeoutMs = 5000): Promise<number> {
  return eventually(() => {
    const i = clients.findIndex((c) => c.pending > 0);
    return i >= 0 ? i + 1 : 0;
  }, timeoutMs, 10).then((i) => i - 1);
}
