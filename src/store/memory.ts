/** A QueueStore that keeps everything in process memory: for brokers without persistence, and as the reference behaviour. */
import { pack, unpack } from 'msgpackr';
import { checkBatch, copyMessage, highestPut, recoveredRedeliveries } from './batch.js';
import type { QueueShare, QueueStore, StoreBatch, StoredMessage } from './store.js';

/** In-memory QueueStore; nothing survives the process. */
export class MemoryStore implements QueueStore {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly marks = new Map<number, number>();
  // Kept packed so values come back as fresh copies with exactly lmdb's msgpack round-trip semantics.
  private readonly meta = new Map<string, Buffer>();
  private highest = 0;

  /** Applies the whole batch at once; a bad batch is refused before anything changes. */
  async write(batch: StoreBatch): Promise<void> {
    checkBatch(batch);
    for (const m of batch.put ?? []) this.messages.set(m.id, copyMessage(m));
    for (const id of batch.remove ?? []) {
      this.messages.delete(id);
      this.marks.delete(id);
    }
    for (const id of batch.unmark ?? []) this.marks.delete(id);
    this.highest = Math.max(this.highest, highestPut(batch));
  }

  /** Remembers the delivery; ignored for ids no longer stored, as there is nothing to recover. */
  async markDelivered(id: number, redeliveries: number): Promise<void> {
    if (this.messages.has(id)) this.marks.set(id, redeliveries);
  }

  /** Copies of the stored messages in id order. */
  *recover(): Iterable<StoredMessage> {
    const ids = [...this.messages.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const m = this.messages.get(id);
      if (m) yield copyMessage(m, recoveredRedeliveries(m.redeliveries, this.marks.get(id)));
    }
  }

  /** Queues and counts per priority, by scanning every message (fine in memory). */
  shares(): Iterable<QueueShare> {
    const counts = new Map<string, QueueShare>();
    for (const m of this.messages.values()) {
      const queue = m.queue ?? m.dest;
      const key = `${m.priority} ${queue}`;
      const share = counts.get(key) ?? { queue, priority: m.priority, count: 0 };
      share.count++;
      counts.set(key, share);
    }
    return counts.values();
  }

  /** The next messages of `queue` at `priority` in (`afterId`, `throughId`], in id order (copies, as recover gives). */
  page(queue: string, priority: number, afterId: number, throughId: number, limit: number): StoredMessage[] {
    const ids = [...this.messages.values()]
      .filter((m) => (m.queue ?? m.dest) === queue && m.priority === priority && m.id > afterId && m.id <= throughId)
      .map((m) => m.id).sort((a, b) => a - b).slice(0, limit);
    return ids.map((id) => {
      const m = this.messages.get(id)!;
      return copyMessage(m, recoveredRedeliveries(m.redeliveries, this.marks.get(id)));
    });
  }

  /** Removes every message of `queue`. */
  async dropQueue(queue: string): Promise<void> {
    for (const m of [...this.messages.values()]) {
      if ((m.queue ?? m.dest) !== queue) continue;
      this.messages.delete(m.id);
      this.marks.delete(m.id);
    }
  }

  /** Highest id ever put, even if since removed. */
  maxId(): number {
    return this.highest;
  }

  /** A fresh copy of the value, or undefined. */
  getMeta(key: string): unknown {
    const packed = this.meta.get(key);
    return packed === undefined ? undefined : unpack(packed);
  }

  /** Stores a packed copy (throws, as lmdb does, on values msgpack cannot encode). */
  async putMeta(key: string, value: unknown): Promise<void> {
    this.meta.set(key, pack(value));
  }

  /** Forgets `key`. */
  async deleteMeta(key: string): Promise<void> {
    this.meta.delete(key);
  }

  /** Number of stored messages. */
  count(): number {
    return this.messages.size;
  }

  /** Nothing to release; the data stays so a "reopen" in tests sees the same object. */
  async close(): Promise<void> {}
}
