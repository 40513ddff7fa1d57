/**
 * The storage layer behind the broker's persistent queues: one small interface (like aedes-persistence),
 * an in-memory implementation and an lmdb one. Both pass the shared contract suite in test/store/contract.ts.
 */
import type { Headers } from '../protocol/frame.js';

/** A message as stored. `id` is the broker-wide message id; ids grow with arrival, so id order is queue order within a priority. */
export interface StoredMessage {
  id: number;
  dest: string;
  headers: Headers;
  body: Buffer;
  /** Deliveries before now (0 = never delivered). */
  redeliveries: number;
  /** 0-9, default 4. */
  priority: number;
  /** Epoch ms; 0 = now (delay). */
  deliverAt: number;
  /** Epoch ms; 0 = never (TTL). */
  expiresAt: number;
  /** The queue holding it, when not `dest` (fan-out copies, durable topic subscriptions). */
  queue?: string;
  /** Failed deliveries so far (time, reason), for the dead-letter history. */
  failures?: Array<{ time: number; reason: string }>;
  /**
   * A non-persistent message kept on disk only because its queue was paged out: it keeps its place in
   * the queue's order, but is dropped (not recovered) when the store is opened again.
   */
  transient?: boolean;
}

/** How many stored messages one queue holds at one priority. */
export interface QueueShare {
  queue: string;
  priority: number;
  count: number;
}

/** One atomic change: everything in it is applied together or not at all. Puts are applied before removes. */
export interface StoreBatch {
  put?: StoredMessage[];
  remove?: number[];
  /** Delivery marks to forget (messages marked in advance that no client got: see Router.unmarkWaiting). */
  unmark?: number[];
}

/** What the broker needs from a message store. */
export interface QueueStore {
  /**
   * Applies `batch` atomically; resolves only when it is durable (lmdb: committed and synced to disk).
   * Calls made in the same tick are grouped into one disk commit. Rejects (e.g. disk full, read-only dir,
   * invalid message) without partial effect.
   */
  write(batch: StoreBatch): Promise<void>;
  /**
   * Records that a message was handed to a consumer; `redeliveries` is the count the message carried when
   * handed over (deliveries before this one), so a later recover() reports at least `redeliveries + 1`.
   * Best effort and grouped: it never rejects (failures become a process warning), need not be awaited.
   */
  markDelivered(id: number, redeliveries: number): Promise<void>;
  /** Every stored message in id order, with its latest redeliveries count (marked delivered => redeliveries >= 1). */
  recover(): AsyncIterable<StoredMessage> | Iterable<StoredMessage>;
  /**
   * Every queue with stored messages, and how many it holds at each priority (without reading them):
   * recovery loads only a first page of each and leaves the rest on disk.
   */
  shares(): Iterable<QueueShare>;
  /**
   * Up to `limit` stored messages of `queue` at `priority` whose ids are above `afterId` and at most
   * `throughId`, in id order, with their latest redeliveries count (a queue's order within a priority):
   * how the hub pages a deep queue in.
   */
  page(queue: string, priority: number, afterId: number, throughId: number, limit: number): StoredMessage[];
  /** Removes every stored message of `queue` (a durable subscription ended); resolves when durable. */
  dropQueue(queue: string): Promise<void>;
  /** Highest id ever stored (0 if none), so the broker continues numbering after a restart. */
  maxId(): number;
  /** Broker metadata (durable subscription registrations etc.) as of the last resolved putMeta/deleteMeta; a fresh copy. */
  getMeta(key: string): unknown;
  /** Stores a copy of `value` (must be msgpack-able) under `key`; resolves when durable. */
  putMeta(key: string, value: unknown): Promise<void>;
  /** Removes `key`; resolves when durable. */
  deleteMeta(key: string): Promise<void>;
  /** Number of stored messages (as of the last resolved write). */
  count(): number;
  /** Waits for pending writes, then releases the store; the object is unusable afterwards. */
  close(): Promise<void>;
}

/** Where and how to keep messages. */
export interface StoreOptions {
  dataDir: string;
  /** 'memory' keeps nothing on disk. */
  kind: 'memory' | 'lmdb';
  /** Initial lmdb map size; lmdb-js grows the map on demand, so this is only a hint. */
  mapSizeBytes?: number;
}
