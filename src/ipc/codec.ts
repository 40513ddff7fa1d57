/**
 * Bus codec. A batch of contract messages travels as one frame (or several, see FRAME_BODY_BYTES):
 *
 *   u32 length of the rest | u32 length of the head | head: msgpackr [messages, attachment lengths] | attachments
 *
 * Message bodies of ATTACH_MIN bytes or more are not packed into the head: they travel as attachments
 * behind it, written from the caller's own Buffers (no copy: `encode` returns a Buffer list for writev),
 * and the decoder hands them back as views of the received frame. In the head a detached body is the
 * number of its attachment. Record structures are defined inside each batch, so every batch decodes
 * on its own.
 */
import { Packr, Unpackr } from 'msgpackr';

/** Largest batch accepted from a peer; a bigger length prefix means a corrupt stream. */
export const MAX_BATCH_BYTES = 1024 * 1024 * 1024;
/** Bodies at least this long travel as attachments, not copied into the packed head. */
const ATTACH_MIN = 1024;
/** Bytes of the two length fields. */
const PREFIX = 8;

type Fields = Record<string, unknown>;

function isLarge(body: unknown): body is Uint8Array {
  return body instanceof Uint8Array && body.length >= ATTACH_MIN;
}

/** Adds `body` to the attachments; its number there. */
function attachmentOf(body: Uint8Array, attachments: Uint8Array[]): number {
  attachments.push(body);
  return attachments.length - 1;
}

/** A copy of `m` whose large bodies are replaced by their attachment numbers (the caller's objects stay untouched). */
function detach(m: unknown, attachments: Uint8Array[]): unknown {
  if (typeof m !== 'object' || m === null) return m;
  const f = m as Fields;
  // Copies only when a body is detached: most bodies are small, and copying every message costs GC.
  if (isLarge(f.body)) return { ...f, body: attachmentOf(f.body, attachments) }; // publish, and commit's ops
  const msg = f.msg as Fields | undefined;
  if (msg && isLarge(msg.body)) return { ...f, msg: { ...msg, body: attachmentOf(msg.body, attachments) } }; // offer, deliver
  if (Array.isArray(f.ops)) return { ...f, ops: f.ops.map((op) => detach(op, attachments)) }; // commit
  return m;
}

/** Puts attachments back where `detach` took them; a number that names no attachment stays (and fails validation). */
function attach(m: unknown, attachments: Buffer[]): void {
  if (typeof m !== 'object' || m === null) return;
  const f = m as Fields;
  const put = (holder: Fields): void => {
    if (typeof holder.body === 'number' && attachments[holder.body]) holder.body = attachments[holder.body];
  };
  put(f);
  if (typeof f.msg === 'object' && f.msg !== null) put(f.msg as Fields);
  if (Array.isArray(f.ops)) for (const op of f.ops) if (typeof op === 'object' && op !== null) put(op as Fields);
}

/** Bytes of large bodies one frame carries before the next message starts a new frame. */
const FRAME_BODY_BYTES = 256 * 1024;

/** Packs a batch of messages into frames, as a Buffer list to write in order (writev). */
export class BatchEncoder {
  private readonly packr = new Packr({ useRecords: true });

  /**
   * One frame, or several when the batch carries more than FRAME_BODY_BYTES of large bodies: the
   * receiver joins each frame's chunks into one Buffer before decoding it, so a turn's worth of
   * 64 KiB bodies must not become one 50 MB frame (a fresh mapping, page-faulted in, decoded only
   * when its last byte arrived).
   */
  encode(messages: readonly unknown[]): Buffer[] {
    const parts: Buffer[] = [];
    let detached: unknown[] = [];
    let attachments: Uint8Array[] = [];
    let bytes = 0;
    for (const m of messages) {
      const before = attachments.length;
      detached.push(detach(m, attachments));
      for (let i = before; i < attachments.length; i++) bytes += attachments[i].length;
      if (bytes >= FRAME_BODY_BYTES) {
        this.encodeFrame(detached, attachments, parts);
        detached = [];
        attachments = [];
        bytes = 0;
      }
    }
    if (detached.length > 0 || parts.length === 0) this.encodeFrame(detached, attachments, parts);
    return parts;
  }

  /** Appends one frame of already detached messages to `parts`. */
  private encodeFrame(detached: unknown[], attachments: Uint8Array[], parts: Buffer[]): void {
    const lengths = attachments.map((a) => a.length);
    // pack() returns a view of the Packr's reusable buffer: copy it out behind the prefix.
    const head = this.packr.pack([detached, lengths]);
    const first = Buffer.allocUnsafe(PREFIX + head.length);
    let rest = 4 + head.length;
    for (const n of lengths) rest += n;
    first.writeUInt32BE(rest, 0);
    first.writeUInt32BE(head.length, 4);
    head.copy(first, PREFIX);
    parts.push(first);
    for (const a of attachments) parts.push(Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.length));
  }
}

/** Reassembles frames from one stream; one decoder per socket, never shared. */
export class BatchDecoder {
  private readonly unpackr = new Unpackr({ useRecords: true });
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private expected = -1;

  /** `maxBatchBytes`: a longer length prefix means a corrupt stream (or a peer that must not be trusted). */
  constructor(private readonly maxBatchBytes = MAX_BATCH_BYTES) {}

  /** Feeds a chunk; calls `onMessage` for every message of every complete batch. Throws on a corrupt stream. */
  push(chunk: Buffer, onMessage: (message: unknown) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.pendingBytes < 4) return;
        this.expected = this.lengthPrefix();
        if (this.expected > this.maxBatchBytes) throw new Error(`bus batch of ${this.expected} bytes: corrupt stream`);
      }
      // Wait for the whole batch before joining chunks, so a large batch is copied once.
      if (this.pendingBytes < 4 + this.expected) return;
      const frame = this.take(4 + this.expected).subarray(4);
      this.expected = -1;
      for (const message of this.decodeFrame(frame)) onMessage(message);
    }
  }

  private decodeFrame(frame: Buffer): unknown[] {
    if (frame.length < 4) throw new Error('bus batch without a head: corrupt stream');
    const headLength = frame.readUInt32BE(0);
    if (headLength > frame.length - 4) throw new Error('bus batch head past its end: corrupt stream');
    const decoded = this.unpackr.unpack(frame.subarray(4, 4 + headLength)) as [unknown[], number[]];
    if (!Array.isArray(decoded) || !Array.isArray(decoded[0]) || !Array.isArray(decoded[1])) {
      throw new Error('bus batch is not [messages, attachments]: corrupt stream');
    }
    const [messages, lengths] = decoded;
    const attachments: Buffer[] = [];
    let at = 4 + headLength;
    for (const n of lengths) {
      if (!Number.isSafeInteger(n) || n < 0 || at + n > frame.length) throw new Error('bus attachment past its batch: corrupt stream');
      attachments.push(frame.subarray(at, at + n));
      at += n;
    }
    if (attachments.length > 0) for (const m of messages) attach(m, attachments);
    return messages;
  }

  /**
   * The u32 at the front, read without joining the chunks: joining here would copy a large batch's
   * first chunks once now and again when the batch is complete.
   */
  private lengthPrefix(): number {
    const first = this.pending[0];
    if (first.length >= 4) return first.readUInt32BE(0);
    let value = 0;
    let read = 0;
    for (const chunk of this.pending) {
      for (let i = 0; i < chunk.length && read < 4; i++, read++) value = value * 256 + chunk[i];
      if (read === 4) break;
    }
    return value;
  }

  /**
   * Removes the first `n` bytes from the pending chunks: a view when they lie in the first chunk, else
   * one copy of exactly those bytes (what follows them stays a view of its chunk, copied only if it
   * turns out to straddle chunks too).
   */
  private take(n: number): Buffer {
    const first = this.pending[0];
    this.pendingBytes -= n;
    if (first.length >= n) {
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    let used = 0;
    let count = 0;
    while (used < n) used += this.pending[count++].length;
    const joined = Buffer.concat(this.pending.slice(0, count), n);
    const last = this.pending[count - 1];
    this.pending.splice(0, count);
    if (used > n) this.pending.unshift(last.subarray(last.length - (used - n)));
    return joined;
  }
}
