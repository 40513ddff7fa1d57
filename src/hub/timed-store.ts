/**
 * A QueueStore that reports how long each write took to resolve (from the call to its promise
 * settling: queueing, grouping and the synced commit), for the management API's store-latency
 * metric. The router wraps its store in one, so every write the router and its parts make is timed.
 */
import type { QueueStore } from '../store/store.js';

/** The store calls that are timed. */
export type StoreOp = 'write' | 'mark' | 'meta';

/** Told the duration of one store call, in seconds, and whether it succeeded. */
export type StoreTimer = (op: StoreOp, seconds: number, ok: boolean) => void;

/** `store`, with its writes reported to whatever `timer()` returns at the time (nothing when null). */
export function timedStore(store: QueueStore, timer: () => StoreTimer | null): QueueStore {
  const time = (op: StoreOp, work: Promise<void>): Promise<void> => {
    const report = timer();
    if (!report) return work;
    const start = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
    work.then(() => report(op, seconds(), true), () => report(op, seconds(), false));
    return work;
  };
  return {
    write: (batch) => time('write', store.write(batch)),
    markDelivered: (id, redeliveries) => time('mark', store.markDelivered(id, redeliveries)),
    recover: () => store.recover(),
    shares: () => store.shares(),
    page: (queue, priority, afterId, throughId, limit) => store.page(queue, priority, afterId, throughId, limit),
    dropQueue: (queue) => time('write', store.dropQueue(queue)),
    maxId: () => store.maxId(),
    getMeta: (key) => store.getMeta(key),
    putMeta: (key, value) => time('meta', store.putMeta(key, value)),
    deleteMeta: (key) => time('meta', store.deleteMeta(key)),
    count: () => store.count(),
    close: () => store.close(),
  };
}
