/**
 * A QueueStore on lmdb-js: one lmdb environment at `<dataDir>/store` with named databases for messages
 * (number keys, so iteration is id order), delivery marks, broker metadata and the store's own state.
 *
 * Durability: the environment is opened with `overlappingSync: false` and `noSync: false` (and no
 * `useWritemap`/`noMetaSync`), so every lmdb commit fdatasyncs the data pages and writes the meta page
 * through LMDB's O_DSYNC descriptor before lmdb-js resolves its commit promise. A resolved write() therefore
 * means the transaction is on disk: it survives kill -9 of the process and, as far as the disk honours
 * fdatasync, a power cut. The default on Linux, `overlappingSync: true`, resolves at commit (visible) and
 * syncs later; we would then have to wait on the separate `flushed` promise, which never settles if the sync
 * fails, and reopening relies on lmdb-js's boot-id check to pick the right snapshot. Measured on this
 * machine both modes give the same grouped throughput (~120k 1 KiB msgs/s with 1000 concurrent writes)
 * because grouping, not sync overlap, dominates, so the simpler, strictly ordered mode wins.
 * `noSync` would lose acknowledged writes on an OS crash and is never used. Grouping comes from lmdb-js's
 * default `eventTurnBatching` with `commitDelay: 0`: all writes queued in one event turn share one
 * transaction (one fdatasync), committed on the write thread while the main thread keeps going.
 */
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkBatch, highestPut, recoveredRedeliveries, warnBestEffort } from './batch.js';
import type { QueueStore, StoreBatch, StoredMessage, StoreOptions } from './store.js';

/** A message as kept in lmdb: a tuple, so no field names are repeated in every record. */
type MessageRecord = [dest: string, headers: StoredMessage['headers'], body: Buffer,
  redeliveries: number, priority: number, deliverAt: number, expiresAt: number];

const MAX_ID_KEY = 'maxId';

/** The lmdb-backed QueueStore; open it with `LmdbStore.open` (or `openStore`). */
export class LmdbStore implements QueueStore {
  /** Highest id in a resolved write. */
  private highest: number;
  /** Highest id already queued for persisting, so each write of a new top writes the state key once. */
  private queuedTop: number;

  private constructor(
    private readonly dir: string,
    private readonly root: RootDatabase,
    private readonly messages: Database<MessageRecord, number>,
    private readonly delivered: Database<number, number>,
    private readonly meta: Database<unknown, string>,
    private readonly state: Database<number, string>,
  ) {
    this.highest = Math.max(state.get(MAX_ID_KEY) ?? 0, lastKey(messages));
    this.queuedTop = this.highest;
  }

  /** Opens (creating if needed) the environment at `<dataDir>/store`; rejects naming the path if it cannot. */
  static async open(options: StoreOptions): Promise<LmdbStore> {
    const dir = path.join(options.dataDir, 'store');
    let store: LmdbStore;
    try {
      // mapSize only when given: lmdb-js merges options with Object.assign, so `undefined` would erase its default.
      const sizing = options.mapSizeBytes ? { mapSize: options.mapSizeBytes } : {};
      const root = open({ path: dir, overlappingSync: false, noSync: false, ...sizing });
      store = new LmdbStore(dir, root, root.openDB({ name: 'messages' }), root.openDB({ name: 'delivered' }),
        root.openDB({ name: 'meta' }), root.openDB({ name: 'state' }));
    } catch (err) {
      throw storeError(`cannot open lmdb store at ${dir}`, err);
    }
    await store.dropOrphanMarks();
    return store;
  }

  /** Queues the batch into the current event turn's transaction; resolves once that commit is synced. */
  async write(batch: StoreBatch): Promise<void> {
    checkBatch(batch);
    const top = highestPut(batch);
    const quiet = new Quieter();
    let committed: Promise<boolean>;
    try {
      // One lmdb batch, so the operations stay together even if lmdb-js splits the turn's transaction.
      committed = this.root.batch(() => {
        for (const m of batch.put ?? []) quiet.add(this.messages.put(m.id, toRecord(m)));
        for (const id of batch.remove ?? []) {
          quiet.add(this.messages.remove(id));
          quiet.add(this.delivered.remove(id));
        }
        if (top > this.queuedTop) quiet.add(this.state.put(MAX_ID_KEY, top));
      });
      this.queuedTop = Math.max(this.queuedTop, top);
    } catch (err) {
      throw storeError(`write to ${this.dir} failed`, err); // e.g. store closed: nothing was queued
    }
    await this.settle(committed, 'write');
    this.highest = Math.max(this.highest, top);
  }

  /** Queues the mark with whatever else this turn writes; failures only warn, since callers need not await. */
  async markDelivered(id: number, redeliveries: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id <= 0) return; // never stored, so nothing to mark (as in MemoryStore)
    try {
      await this.settle(this.delivered.put(id, redeliveries), 'markDelivered');
    } catch (err) {
      warnBestEffort(`markDelivered(${id})`, err);
    }
  }

  /** Reads a snapshot in id order; marks are loaded first as there are few (only unacknowledged deliveries). */
  *recover(): Iterable<StoredMessage> {
    const marks = new Map<number, number>();
    for (const { key, value } of this.delivered.getRange()) marks.set(key, value);
    for (const { key, value } of this.messages.getRange()) yield fromRecord(key, value, marks.get(key));
  }

  /** Highest id ever written (persisted in the same transaction as the message, so it survives removal). */
  maxId(): number {
    return this.highest;
  }

  /** The committed value for `key`, or undefined. */
  getMeta(key: string): unknown {
    return this.meta.get(key);
  }

  /** Resolves once the value is synced. */
  async putMeta(key: string, value: unknown): Promise<void> {
    await this.settle(this.meta.put(key, value), 'putMeta');
  }

  /** Resolves once the removal is synced. */
  async deleteMeta(key: string): Promise<void> {
    await this.settle(this.meta.remove(key), 'deleteMeta');
  }

  /** Entries in the messages database, from LMDB's own statistics (O(1)). */
  count(): number {
    return (this.messages.getStats() as { entryCount: number }).entryCount;
  }

  /** Waits for queued commits, then closes the environment. */
  async close(): Promise<void> {
    await this.root.close();
  }

  /** Awaits an lmdb commit promise, turning lmdb-js's "see commitError" rejection into one clear error. */
  private async settle(commit: Promise<unknown>, what: string): Promise<void> {
    try {
      await commit;
    } catch (err) {
      throw storeError(`${what} to ${this.dir} failed`, await commitCause(err));
    }
  }

  /** Deletes marks whose message is gone (a mark can land after its message's removal); keeps recover() cheap. */
  private async dropOrphanMarks(): Promise<void> {
    const orphans = [...this.delivered.getKeys()].filter((id) => !this.messages.doesExist(id));
    if (orphans.length === 0) return;
    const quiet = new Quieter();
    await this.settle(this.root.batch(() => orphans.forEach((id) => quiet.add(this.delivered.remove(id)))), 'open');
  }
}

/**
 * Every put/remove inside an lmdb batch returns the turn's commit promise, which rejects too when the commit
 * fails; the batch's own promise carries the outcome, so these copies only need a handler to avoid
 * unhandled rejections (which would crash the process). Consecutive duplicates are skipped.
 */
class Quieter {
  private last: unknown;

  add(result: unknown): void {
    if (result === this.last || !(result instanceof Promise)) return;
    this.last = result;
    result.catch(() => {});
  }
}

/** lmdb-js rejects with "Commit failed (see commitError for details)" and the real error in a promise. */
async function commitCause(err: unknown): Promise<unknown> {
  const detail = (err as { commitError?: Promise<unknown> } | null)?.commitError;
  if (!(detail instanceof Promise)) return err;
  // lmdb-js rejects this promise right after the commit promise; the timer only guards against a hang.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<unknown>((resolve) => { timer = setTimeout(() => resolve(err), 1000); });
  const cause = await Promise.race([detail.then(() => err, (e: unknown) => e), timeout]);
  clearTimeout(timer);
  return cause;
}

function storeError(what: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`store: ${what}: ${reason}`, { cause });
}

function lastKey(db: Database<MessageRecord, number>): number {
  for (const key of db.getKeys({ reverse: true, limit: 1 })) return key;
  return 0;
}

function toRecord(m: StoredMessage): MessageRecord {
  return [m.dest, m.headers, m.body, m.redeliveries, m.priority, m.deliverAt, m.expiresAt];
}

function fromRecord(id: number, r: MessageRecord, mark: number | undefined): StoredMessage {
  const [dest, headers, body, redeliveries, priority, deliverAt, expiresAt] = r;
  return {
    id, dest, headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    redeliveries: recoveredRedeliveries(redeliveries, mark), priority, deliverAt, expiresAt,
  };
}
