/**
 * The fuzz and chaos drivers' own STOMP wire: frames encoded exactly as told (header pairs in order,
 * repeats allowed, escaped per version but never in CONNECT/STOMP), and a client connection that reads
 * the broker's frames with the broker's own parser and reports what happened as events to await.
 */
import net from 'node:net';
import { escapeHeader } from '../../src/protocol/escape.js';
import type { Frame, StompVersion } from '../../src/protocol/frame.js';
import { FrameParser } from '../../src/protocol/parser.js';

/** One header as written: a name and a value. */
export type HeaderPair = [string, string];

/** A client frame before encoding. */
export interface ClientFrame {
  command: string;
  headers: HeaderPair[];
  body: Buffer;
}

/** Whether `command`'s headers are escaped in `version` (never for CONNECT/STOMP, never in 1.0). */
export function escapesHeaders(command: string, version: StompVersion): boolean {
  return version !== '1.0' && command !== 'CONNECT' && command !== 'STOMP';
}

/** Encodes a frame: command, headers (escaped where the version says), content-length when the body needs one. */
export function encode(frame: ClientFrame, version: StompVersion, forceLength = false): Buffer {
  const esc = escapesHeaders(frame.command, version) ? (s: string) => escapeHeader(s, version) : (s: string) => s;
  let head = frame.command + '\n';
  for (const [name, value] of frame.headers) head += `${esc(name)}:${esc(value)}\n`;
  const hasLength = frame.headers.some(([name]) => name === 'content-length');
  if (!hasLength && (forceLength || frame.body.includes(0))) head += `content-length:${frame.body.length}\n`;
  return Buffer.concat([Buffer.from(head + '\n', 'utf8'), frame.body, Buffer.from([0])]);
}

/** What a read returns: a frame, the connection closing, or nothing within the time allowed. */
export type ReadResult = { kind: 'frame'; frame: Frame } | { kind: 'closed' } | { kind: 'timeout' };

/** Largest frame the drivers accept from the broker. */
const MAX_SERVER_FRAME = 64 * 1024 * 1024;

/** A TCP connection to the broker with a queue of received frames. */
export class WireClient {
  /** Set when the broker sent bytes that do not parse as STOMP. */
  garbled: string | null = null;
  /** Whether the connection has closed. */
  closed = false;
  /** When bytes last arrived (heart-beats included), Date.now(). */
  lastData = Date.now();
  private readonly parser: FrameParser;
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    this.parser = new FrameParser((f) => this.received(f), (e) => {
      this.garbled = `${e.code}: ${e.detail}`;
      this.wake();
    }, { maxFrameSize: MAX_SERVER_FRAME, maxHeaderLineLength: MAX_SERVER_FRAME, maxHeaderLines: 100_000 });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastData = Date.now();
      this.parser.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Opens a connection; rejects on a connect error or after `timeoutMs`. */
  static connect(host: string, port: number, timeoutMs = 10_000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TCP connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Version by which the broker's headers are unescaped (set from CONNECTED). */
  set version(version: StompVersion) {
    this.parser.version = version;
  }

  /** Writes bytes unless the socket is gone. */
  write(data: Buffer | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  /** The next frame, the close, or a timeout after `timeoutMs`. */
  async read(timeoutMs: number): Promise<ReadResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return { kind: 'frame', frame };
      if (this.closed || this.garbled) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Closes abruptly. */
  destroy(): void {
    this.socket.destroy();
  }

  private received(frame: Frame): void {
    this.frames.push({ ...frame, body: Buffer.from(frame.body) });
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
