/**
 * Bus codec: a batch of contract messages is one msgpackr value behind a 4-byte big-endian length.
 * Record structures are defined inside each batch, so every batch decodes on its own.
 */
import { Packr, Unpackr } from 'msgpackr';

/** Largest batch accepted from a peer; a bigger length prefix means a corrupt stream. */
export const MAX_BATCH_BYTES = 1024 * 1024 * 1024;

/** Packs a batch of messages into one length-prefixed Buffer that the caller owns. */
export class BatchEncoder {
  private readonly packr = new Packr({ useRecords: true });

  encode(messages: readonly unknown[]): Buffer {
    // pack() returns a view of the Packr's reusable buffer: copy it out behind the prefix.
    const payload = this.packr.pack(messages);
    const framed = Buffer.allocUnsafe(4 + payload.length);
    framed.writeUInt32BE(payload.length, 0);
    payload.copy(framed, 4);
    return framed;
  }
}

/** Reassembles length-prefixed batches from one stream; one decoder per socket, never shared. */
export class BatchDecoder {
  private readonly unpackr = new Unpackr({ useRecords: true });

  /** `maxBatchBytes`: a longer length prefix means a corrupt stream (or a peer that must not be trusted). */
  constructor(private readonly maxBatchBytes = MAX_BATCH_BYTES) {}

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private expected = -1;

  /** Feeds a chunk; calls `onMessage` for every message of every complete batch. */
  push(chunk: Buffer, onMessage: (message: unknown) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.pendingBytes < 4) return;
        this.expected = this.flatten().readUInt32BE(0);
        if (this.expected > this.maxBatchBytes) throw new Error(`bus batch of ${this.expected} bytes: corrupt stream`);
      }
      // Wait for the whole batch before joining chunks, so a large batch is copied once.
      if (this.pendingBytes < 4 + this.expected) return;
      const buf = this.flatten();
      const batch = this.unpackr.unpack(buf.subarray(4, 4 + this.expected)) as unknown[];
      const rest = buf.subarray(4 + this.expected);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.expected = -1;
      for (const message of batch) onMessage(message);
    }
  }

  private flatten(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0];
  }
}
