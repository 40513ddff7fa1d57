/**
 * Connection: the client's link (a socket, or a WebSocket) with its parser and writer, heart-beats,
 * the CONNECT deadline, limits and back-pressure. Like RabbitMQ's reader: it knows bytes and frames,
 * not their meaning.
 */
import type { SessionConfig } from '../config.js';
import { StompError, toErrorFrame } from '../protocol/errors.js';
import type { Frame, StompVersion } from '../protocol/frame.js';
import { FrameParser } from '../protocol/parser.js';
import { serializeFrameParts } from '../protocol/writer.js';
import type { ClientLink } from './client-link.js';

/** Why reading from the client is paused. */
export type PauseReason = 'throttle' | 'bus' | 'login' | 'shutdown' | 'error';

/** A STOMP connection over one client link. */
export class Connection {
  private readonly parser: FrameParser;
  private version: StompVersion = '1.0';
  private lastRead = Date.now();
  private lastWrite = Date.now();
  /** Bytes read while the login is checked (see holdForLogin); null when not holding. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pausedBy = new Set<PauseReason>();
  private closing = false;
  /** The ERROR sent (a protocol error, a timeout, a limit), if any: the session is then not reused. */
  private failure: StompError | null = null;
  private destroyTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout;
  /** False while unsent bytes exceed the consumer watermark. */
  writable = true;
  onFrame: (frame: Frame) => void = () => {};
  /**
   * The client's bytes are not a frame; the parser reads nothing more. By default, ERROR and close.
   * `partial`: the frame being read, with the headers read so far (its receipt goes into the ERROR).
   */
  onParseError: (err: StompError, partial?: Frame) => void = (err, partial) => this.fail(err, partial);
  onClose: () => void = () => {};
  onWritable: (writable: boolean) => void = () => {};
  /** Everything written has been sent, and the connection was not past its watermark (see onWritable). */
  onDrained: () => void = () => {};
  /** The client finished sending (TCP half-close); by default the connection closes at once. */
  onPeerEnd: () => void = () => this.close();

  constructor(private readonly link: ClientLink, private readonly config: SessionConfig) {
    this.parser = new FrameParser((f) => this.frame(f), (e, partial) => this.onParseError(e, partial), {
      maxFrameSize: config.maxFrameSizeBeforeConnect,
      maxHeaderLines: config.maxHeaderLines,
      maxHeaderLineLength: config.maxHeaderLineLength,
    });
    link.onData = (chunk) => {
      this.lastRead = Date.now();
      if (this.closing) return;
      if (this.held) {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        if (this.heldBytes > this.config.maxFrameSizeBeforeConnect) this.setPaused('login', true);
        return;
      }
      this.parser.push(chunk);
    };
    link.onDrain = () => this.drained();
    link.onEnd = () => this.onPeerEnd();
    link.onClose = () => this.closed();
    this.connectTimer = setTimeout(() => this.connectDeadline(), config.connectTimeoutMs);
  }

  /** Bytes written and not yet sent. */
  get backlog(): number {
    return this.link.writableLength;
  }

  /** Whether the connection is closing or closed: nothing more is read. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Whether the broker sent this client an ERROR. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** The ERROR sent to this client, if any. */
  get error(): StompError | null {
    return this.failure;
  }

  /** Parses what the hub read from the socket before handing it over, then reads the socket itself. */
  start(head: Buffer): void {
    if (head.length > 0) {
      this.lastRead = Date.now();
      this.parser.push(head);
    }
    this.link.resume();
  }

  /** Stops every timer; the connection is done (its session is being reset or the process exits). */
  dispose(): void {
    this.clearTimers();
    if (this.destroyTimer) clearTimeout(this.destroyTimer);
    this.link.destroy();
  }

  write(frame: Frame): void {
    if (this.link.destroyed) return;
    this.link.writeFrame(serializeFrameParts(frame, this.version));
    this.lastWrite = Date.now();
    if (this.writable && this.link.writableLength > this.config.consumerWriteWatermark) {
      this.writable = false;
      this.onWritable(false);
    }
  }

  /** Sends ERROR for `err` (with the offending frame's receipt-id) and closes. */
  fail(err: StompError, frame?: Frame): void {
    if (this.closing) return;
    this.failure = err;
    this.write(toErrorFrame(err, frame));
    this.close();
  }

  /** Stops reading, flushes what was written, closes. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimers();
    this.link.end();
    // A peer that never reads must not keep the session alive.
    this.destroyTimer = setTimeout(() => this.link.destroy(), 5000);
    this.destroyTimer.unref();
  }

  /** Negotiated version and post-CONNECT limits (STOMP 1.2: CONNECT itself is never unescaped). */
  connected(version: StompVersion): void {
    clearTimeout(this.connectTimer);
    this.version = version;
    this.parser.version = version;
    this.parser.limits = { ...this.parser.limits, maxFrameSize: this.config.maxFrameSize };
  }

  /** Heart-beats (STOMP 1.1 "Heart-beating"); a silent client is dropped after twice its interval. */
  startHeartbeat(send: number, receive: number): void {
    if (send > 0) {
      // Checked every half interval, as RabbitMQ does: a check every interval that skips when something
      // was written less than an interval ago (or that fires a millisecond early) leaves up to twice the
      // interval of silence, and clients such as stomp.py drop the connection after 1.5 times.
      const half = Math.max(1, Math.floor(send / 2));
      this.timers.push(setInterval(() => {
        if (Date.now() - this.lastWrite >= half && !this.link.destroyed) {
          this.link.writeHeartbeat();
          this.lastWrite = Date.now();
        }
      }, half));
    }
    if (receive > 0) {
      this.timers.push(setInterval(() => {
        // While the broker itself holds the socket paused, the client's heart-beats sit unread.
        if (this.pausedBy.size > 0) this.lastRead = Date.now();
        else if (this.silentFor(receive * 2)) {
          // A starved process may run this timer before reading what already waits in the socket:
          // decide after this turn's reads (setImmediate runs after the poll phase).
          setImmediate(() => {
            if (this.pausedBy.size === 0 && this.silentFor(receive * 2)) {
              this.fail(new StompError('HEARTBEAT_TIMEOUT', 'Heart-beat timeout',
                `No data from the client for more than ${receive * 2} ms.`));
            }
          });
        }
      }, receive));
    }
  }

  private silentFor(ms: number): boolean {
    return Date.now() - this.lastRead > ms;
  }

  /**
   * While the hub checks the login: bytes that arrive are kept unparsed (they are parsed once CONNECTED
   * has set the limits that apply after it), up to the pre-CONNECT frame limit, past which reading
   * stops. Reading on until then lets a client that leaves be seen to leave (a failed login may wait
   * long on the hub's failure delay). `false` parses what was kept and reads on.
   */
  holdForLogin(on: boolean): void {
    if (on) {
      this.held ??= [];
      return;
    }
    const chunks = this.held ?? [];
    this.held = null;
    this.heldBytes = 0;
    this.setPaused('login', false);
    for (const chunk of chunks) {
      if (this.closing) break;
      this.parser.push(chunk);
    }
  }

  /** Pauses reading for `reason` until every reason is lifted. */
  setPaused(reason: PauseReason, paused: boolean): void {
    if (paused) this.pausedBy.add(reason);
    else this.pausedBy.delete(reason);
    if (this.pausedBy.size > 0) this.link.pause();
    else this.link.resume();
  }

  private frame(frame: Frame): void {
    if (!this.closing) this.onFrame(frame);
  }

  private drained(): void {
    if (this.writable) return this.onDrained();
    this.writable = true;
    this.onWritable(true);
  }

  private connectDeadline(): void {
    this.fail(new StompError('CONNECT_TIMEOUT', 'Connect timeout',
      `No CONNECT frame within ${this.config.connectTimeoutMs} ms.`));
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }

  private closed(): void {
    this.closing = true;
    this.clearTimers();
    this.onClose();
  }
}
