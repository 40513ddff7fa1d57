/*
 * Incremental STOMP frame parser. The grammar (STOMP 1.2 "Augmented BNF"):
 *
 *   NULL    = <US-ASCII null (octet 0)>
 *   LF      = <US-ASCII line feed (octet 10)>
 *   CR      = <US-ASCII carriage return (octet 13)>
 *   EOL     = [CR] LF
 *   OCTET   = <any 8-bit sequence of data>
 *
 *   frame-stream = 1*frame
 *   frame        = command EOL
 *                  *( header EOL )
 *                  EOL
 *                  *OCTET
 *                  NULL
 *                  *( EOL )
 *   header       = header-name ":" header-value
 *
 * Built like websockets/ws's Receiver: an explicit state, one method per state and one loop. A state
 * method that is short of bytes returns false; the next push() resumes in the same state.
 */
import { StompError, type StompErrorCode } from './errors.js';
import { RAW_COMMANDS, unescapeHeader } from './escape.js';
import { HEADER_CONTENT_LENGTH, HEADER_RECEIPT, type Frame, type Headers, type StompVersion } from './frame.js';

/** Bounds on what one frame may hold; checked as bytes arrive. */
export interface ParserLimits {
  maxFrameSize: number;
  maxHeaderLines: number;
  maxHeaderLineLength: number;
}

/** Limits used for whatever the constructor is not given. */
export const DEFAULT_LIMITS: ParserLimits = {
  maxFrameSize: 8 * 1024 * 1024,
  maxHeaderLines: 1000,
  maxHeaderLineLength: 64 * 1024,
};

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

/** Between frames: skipping heart-beat EOLs. */
const NOISE = 0;
/** Reading the command line. */
const COMMAND = 1;
/** Reading header lines up to the blank line. */
const HEADERS = 2;
/** Reading a body whose size content-length gave. */
const BODY_BY_LENGTH = 3;
/** Reading a body up to the first NUL. */
const BODY_TO_NUL = 4;
/** After an error: all input is ignored. */
const DEAD = 5;


/** Longest piece of offending input quoted back in an error detail. */
const QUOTE_MAX = 64;

/** Incremental STOMP frame parser: push() socket chunks, get frames and at most one error back. */
export class FrameParser {
  /** Version the headers are unescaped by; the session sets it once it has sent CONNECTED. */
  version: StompVersion = '1.0';
  /** Limits read live, so the session can raise them after CONNECT. */
  limits: ParserLimits;

  private state = NOISE;
  /** Unread input: chunks[0] from offset `head`, then the other chunks whole. */
  private chunks: Buffer[] = [];
  private head = 0;
  private total = 0;
  /** Scan memo: chunks before scanIdx hold no wanted byte; `scanned` unread bytes lie in them. */
  private scanIdx = 0;
  private scanned = 0;
  /** Bytes of the current frame consumed so far (command and header lines with their EOLs). */
  private frameBytes = 0;
  private command = '';
  private headers: Headers = {};
  private headerLines = 0;
  private bodyLength = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    /** `partial`: the frame being read when it failed, with the headers read so far (for its receipt). */
    private readonly onError: (err: StompError, partial?: Frame) => void,
    limits?: Partial<ParserLimits>,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.total;
  }

  /** Feeds one chunk; emits every frame it completes. Parse errors go to onError, never thrown. */
  push(chunk: Buffer): void {
    if (this.state === DEAD || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.run();
  }

  private run(): void {
    let progress = true;
    while (progress) {
      switch (this.state) {
        case NOISE: progress = this.skipNoise(); break;
        case COMMAND: progress = this.readCommand(); break;
        case HEADERS: progress = this.readHeader(); break;
        case BODY_BY_LENGTH: progress = this.readBodyByLength(); break;
        case BODY_TO_NUL: progress = this.readBodyToNul(); break;
        default: progress = false;
      }
    }
  }

  // --- states ----------------------------------------------------------------------------------

  /** Heart-beats are bare EOLs between frames; a stray CR there is dropped too. */
  private skipNoise(): boolean {
    let skip = 0;
    while (skip < this.total) {
      const b = this.byteAtFront(skip);
      if (b !== LF && b !== CR) break;
      skip++;
    }
    if (skip > 0) this.skip(skip);
    if (this.total === 0) return false;
    this.state = COMMAND;
    this.frameBytes = 0;
    return true;
  }

  private readCommand(): boolean {
    const line = this.readLine();
    if (line === null) return false;
    // NOISE leaves no empty line here, but an empty command line is a heart-beat by definition.
    if (line === '') {
      this.state = NOISE;
      return true;
    }
    this.command = line;
    this.headers = {};
    this.headerLines = 0;
    this.state = HEADERS;
    return true;
  }

  private readHeader(): boolean {
    const line = this.readLine();
    if (line === null) return false;
    if (line === '') return this.endHeaders();
    if (++this.headerLines > this.limits.maxHeaderLines) {
      return this.fail('TOO_MANY_HEADERS', 'Too many headers',
        `a frame may carry at most ${this.limits.maxHeaderLines} header lines`);
    }
    return this.addHeader(line);
  }

  private readBodyByLength(): boolean {
    const length = this.bodyLength;
    if (this.total <= length) return false;
    if (this.byteAt(length) !== NUL) {
      return this.fail('BAD_CONTENT_LENGTH', 'Bad content-length',
        `content-length ${length} does not match the body: no NUL after ${length} bytes`);
    }
    return this.emit(length);
  }

  private readBodyToNul(): boolean {
    const nul = this.find(NUL);
    const bodySoFar = nul === -1 ? this.scanned : nul;
    // Checked while the NUL is missing too, so an endless body is refused without buffering it.
    if (this.frameBytes + bodySoFar > this.limits.maxFrameSize) return this.tooLarge();
    if (nul === -1) return false;
    return this.emit(nul);
  }

  // --- frame assembly --------------------------------------------------------------------------

  private addHeader(line: string): boolean {
    const colon = line.indexOf(':');
    if (colon === -1) {
      return this.badHeader('BAD_FRAME', 'Malformed header', `header line without a colon: ${quote(line)}`);
    }
    if (colon === 0) {
      return this.badHeader('BAD_FRAME', 'Malformed header', `header with an empty name: ${quote(line)}`);
    }
    // The grammar allows any octet but CR, LF and ':', yet every client's parser ends a frame at a NUL:
    // forwarded in a MESSAGE, it would cut that frame short for every consumer.
    if (line.includes('\0')) {
      return this.badHeader('BAD_FRAME', 'Malformed header', `NUL octet in header ${quote(line.slice(0, colon))}`);
    }
    let name: string | null = line.slice(0, colon);
    let value: string | null = line.slice(colon + 1);
    if (!RAW_COMMANDS.has(this.command)) {
      name = unescapeHeader(name, this.version);
      value = unescapeHeader(value, this.version);
      if (name === null || value === null) {
        return this.badHeader('BAD_ESCAPE', 'Bad escape sequence',
          `undefined escape sequence in header ${quote(line.slice(0, colon))}`);
      }
    }
    // First occurrence wins (STOMP 1.2 "Repeated Header Entries"). Assigning `__proto__` would go
    // to the prototype setter, not make a header; it is dropped so no code path ever relies on that.
    if (name !== '__proto__' && !Object.hasOwn(this.headers, name)) this.headers[name] = value;
    return true;
  }

  private endHeaders(): boolean {
    const length = this.headers[HEADER_CONTENT_LENGTH];
    if (length === undefined) {
      this.state = BODY_TO_NUL;
      return true;
    }
    if (!/^\d+$/.test(length)) {
      return this.fail('BAD_CONTENT_LENGTH', 'Bad content-length',
        `content-length is not a non-negative integer: ${quote(length)}`);
    }
    this.bodyLength = Number(length);
    // Refused before any body byte is buffered.
    if (this.frameBytes + this.bodyLength > this.limits.maxFrameSize) return this.tooLarge();
    this.state = BODY_BY_LENGTH;
    return true;
  }

  /** Takes a body of `length` bytes and the NUL after it, and hands the frame over. */
  private emit(length: number): boolean {
    const body = this.take(length);
    this.skip(1);
    const frame: Frame = { command: this.command, headers: this.headers, body };
    // Reset before the callback so that a throwing or re-configuring callback finds a clean state.
    this.headers = {};
    this.command = '';
    this.state = NOISE;
    this.onFrame(frame);
    return true;
  }

  /** Reads one EOL-terminated line as UTF-8 without its EOL; null when short of bytes or failed. */
  private readLine(): string | null {
    const lf = this.find(LF);
    // Limits are checked before decoding, so a huge line that arrived whole is never decoded.
    if (lf === -1) {
      this.overLimitOpen(this.scanned);
      return null;
    }
    const cr = lf > 0 && this.byteAtFront(lf - 1) === CR ? 1 : 0;
    if (this.overLimit(lf - cr, lf + 1)) return null;
    this.frameBytes += lf + 1;
    const line = this.text(lf - cr);
    this.skip(1 + cr);
    return line;
  }

  // --- errors ----------------------------------------------------------------------------------

  /*
   * A line past both the line and the frame limit fails with the limit its bytes crossed first (the
   * frame limit on a tie), so the error is the same however the bytes were chunked. The line limit is
   * crossed at content byte max+1; the frame limit at byte maxFrameSize - frameBytes + 1 of the line.
   */

  /** Whether a complete line of `content` bytes (`bytes` with its EOL) breaks a limit; fails if so. */
  private overLimit(content: number, bytes: number): boolean {
    const lineAt = content > this.limits.maxHeaderLineLength ? this.limits.maxHeaderLineLength + 1 : Infinity;
    const frameAt = this.limits.maxFrameSize - this.frameBytes + 1;
    const frameCrossed = bytes >= frameAt ? frameAt : Infinity;
    if (lineAt === Infinity && frameCrossed === Infinity) return false;
    if (frameCrossed <= lineAt) this.tooLarge();
    else this.lineTooLong();
    return true;
  }

  /**
   * Fails early on a line still without its LF once `n` bytes decide the outcome: its last byte may yet
   * be the EOL's CR, so only n >= max + 2 proves the line limit broken.
   */
  private overLimitOpen(n: number): void {
    const max = this.limits.maxHeaderLineLength;
    const frameAt = this.limits.maxFrameSize - this.frameBytes + 1;
    if (n >= max + 2) {
      if (frameAt <= max + 1) this.tooLarge();
      else this.lineTooLong();
    } else if (n >= frameAt) {
      this.tooLarge(); // the line limit, if it is ever crossed, is crossed at max + 1 >= n >= frameAt
    }
  }

  private fail(code: StompErrorCode, message: string, detail: string): false {
    const partial: Frame | undefined = this.state >= HEADERS && this.state <= BODY_TO_NUL
      ? { command: this.command, headers: this.headers, body: Buffer.alloc(0) } : undefined;
    this.state = DEAD;
    this.chunks = [];
    this.total = 0;
    this.head = 0;
    this.onError(new StompError(code, message, detail), partial);
    return false;
  }

  /**
   * A header line is bad. The frame's `receipt` may come in a later line: if the rest of the header
   * block is already buffered, it is looked up there, so the ERROR still names it (STOMP 1.2: the
   * ERROR "SHOULD set the receipt-id header"). Nothing more is waited for.
   */
  private badHeader(code: StompErrorCode, message: string, detail: string): false {
    if (!Object.hasOwn(this.headers, HEADER_RECEIPT)) {
      const receipt = this.receiptAhead();
      if (receipt !== null) this.headers[HEADER_RECEIPT] = receipt;
    }
    return this.fail(code, message, detail);
  }

  /** The value of the first well-formed `receipt` line in the buffered rest of the header block, if any. */
  private receiptAhead(): string | null {
    if (this.total === 0) return null;
    const lines = this.take(Math.min(this.total, this.limits.maxHeaderLineLength * 2)).toString('utf8').split('\n');
    lines.pop(); // the last piece has no EOL yet: not a whole line
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') break; // the end of the header block
      if (!line.startsWith(`${HEADER_RECEIPT}:`) || line.includes('\0')) continue;
      const value = line.slice(HEADER_RECEIPT.length + 1);
      return RAW_COMMANDS.has(this.command) ? value : unescapeHeader(value, this.version);
    }
    return null;
  }

  private tooLarge(): false {
    return this.fail('FRAME_TOO_LARGE', 'Frame too large',
      `a frame may be at most ${this.limits.maxFrameSize} bytes`);
  }

  private lineTooLong(): null {
    this.fail('HEADER_TOO_LONG', 'Header line too long',
      `a command or header line may be at most ${this.limits.maxHeaderLineLength} bytes`);
    return null;
  }

  // --- the chunk list: only these methods touch chunks/head/total/scan memo --------------------

  /**
   * Offset (from the first unread byte) of the first `byte`, or -1. Chunks already scanned are not
   * scanned again, so a frame arriving one byte at a time costs O(n), not O(n^2). The memo is only
   * valid for one wanted byte; every state change goes through skip(), which clears it.
   */
  private find(byte: number): number {
    const chunks = this.chunks;
    for (let i = this.scanIdx; i < chunks.length; i++) {
      const start = i === 0 ? this.head : 0;
      const at = chunks[i].indexOf(byte, start);
      if (at !== -1) return this.scanned + at - start;
      this.scanned += chunks[i].length - start;
      this.scanIdx = i + 1;
    }
    return -1;
  }

  /** Byte at `offset` when it lies in the first chunk, else the general lookup. */
  private byteAtFront(offset: number): number {
    const first = this.chunks[0];
    const at = this.head + offset;
    return at < first.length ? first[at] : this.byteAt(offset);
  }

  /** Byte at `offset` from the first unread byte; -1 past the end. */
  private byteAt(offset: number): number {
    let at = this.head + offset;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    return -1;
  }

  /** Consumes `n` bytes as UTF-8 text, decoding in place when they lie in one chunk. */
  private text(n: number): string {
    const first = this.chunks[0];
    if (this.head + n <= first.length) {
      const s = first.toString('utf8', this.head, this.head + n);
      this.skip(n);
      return s;
    }
    return this.take(n).toString('utf8');
  }

  /** Consumes `n` bytes: a view into the chunk when they lie in one, else a copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (this.head + n <= first.length) {
      const view = first.subarray(this.head, this.head + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    let start = this.head;
    for (let i = 0; written < n; i++) {
      const chunk = this.chunks[i];
      const count = Math.min(chunk.length - start, n - written);
      chunk.copy(out, written, start, start + count);
      written += count;
      start = 0;
    }
    this.skip(n);
    return out;
  }

  /** Drops `n` bytes from the front and clears the scan memo. */
  private skip(n: number): void {
    this.total -= n;
    this.scanIdx = 0;
    this.scanned = 0;
    let head = this.head + n;
    let drop = 0;
    while (drop < this.chunks.length && head >= this.chunks[drop].length) {
      head -= this.chunks[drop].length;
      drop++;
    }
    // One splice per consume, not a shift per chunk.
    if (drop > 0) this.chunks.splice(0, drop);
    this.head = head;
  }
}

/** Offending input for an error detail: short and with control characters visible. */
function quote(text: string): string {
  const short = text.length > QUOTE_MAX ? text.slice(0, QUOTE_MAX) + '…' : text;
  return JSON.stringify(short);
}
