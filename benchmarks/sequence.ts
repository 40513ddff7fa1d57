/**
 * Message bodies that carry their send time, the run that sent them and a sequence number, and the
 * bookkeeping that turns what consumers received into "lost" and "duplicated" counts.
 *
 * Body layout (bodies shorter than STAMP_BYTES carry nothing): [0..8) float64 send time
 * (performance.now of the sending process), [8..12) run id, [12..16) sequence number.
 */
import { randomInt } from 'node:crypto';

/** Bytes a body needs to carry its stamp. */
export const STAMP_BYTES = 16;

/** A fresh run id: messages of another run (left on a queue, or redelivered) are told apart by it. */
export function newRunId(): number {
  return randomInt(1, 0x7fffffff);
}

/** A body of `size` bytes stamped with the current time, the run id and `seq`. */
export function makeBody(size: number, seq: number, runId: number): Buffer {
  const body = Buffer.allocUnsafe(size);
  body.fill(0x78); // 'x'
  if (size >= STAMP_BYTES) {
    body.writeDoubleLE(performance.now(), 0);
    body.writeUInt32LE(runId, 8);
    body.writeUInt32LE(seq, 12);
  }
  return body;
}

/** What a received body says about itself. */
export type Stamp =
  | { kind: 'ours'; sentAt: number; seq: number }
  /** Sent by another run (an earlier, interrupted one): not counted. */
  | { kind: 'stale' }
  /** Too short to carry a stamp. */
  | { kind: 'none' };

/** Reads the stamp of a body received by run `runId`. */
export function readStamp(body: Buffer, runId: number): Stamp {
  if (body.length < STAMP_BYTES) return { kind: 'none' };
  if (body.readUInt32LE(8) !== runId) return { kind: 'stale' };
  return { kind: 'ours', sentAt: body.readDoubleLE(0), seq: body.readUInt32LE(12) };
}

/**
 * Which sequence numbers one stream (a queue, or one topic subscriber) has received, and how often.
 * Every sequence number below `sent` must arrive exactly once: fewer is a loss, more a duplicate.
 */
export class SeqTracker {
  private seen = new Uint8Array(1024);
  /** Messages received (duplicates included). */
  received = 0;
  /** Receptions of a sequence number already received. */
  duplicates = 0;
  /** Distinct sequence numbers received. */
  unique = 0;

  /** Records one reception of `seq`. */
  add(seq: number): void {
    if (seq >= this.seen.length) this.grow(seq);
    this.received++;
    if (this.seen[seq] === 0) {
      this.seen[seq] = 1;
      this.unique++;
    } else {
      this.duplicates++;
    }
  }

  /** Sequence numbers in [0, sent) never received. */
  lost(sent: number): number {
    let missing = 0;
    for (let seq = 0; seq < sent; seq++) if (seq >= this.seen.length || this.seen[seq] === 0) missing++;
    return missing;
  }

  /** Received sequence numbers at or past `sent`: never sent by this run, so counted as duplicates. */
  beyond(sent: number): number {
    let extra = 0;
    for (let seq = sent; seq < this.seen.length; seq++) extra += this.seen[seq];
    return extra;
  }

  private grow(seq: number): void {
    let size = this.seen.length;
    while (size <= seq) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.seen);
    this.seen = bigger;
  }
}

/** Lost and duplicated messages over several streams that were each sent `sent` sequence numbers. */
export function lossOf(trackers: SeqTracker[], sent: number): { lost: number; duplicates: number } {
  let lost = 0;
  let duplicates = 0;
  for (const t of trackers) {
    lost += t.lost(sent);
    duplicates += t.duplicates + t.beyond(sent);
  }
  return { lost, duplicates };
}
