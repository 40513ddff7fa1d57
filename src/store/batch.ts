/** Checks and helpers both store implementations share, so they accept and reject exactly the same batches. */
import type { StoreBatch, StoredMessage } from './store.js';

/** Throws a TypeError naming the first bad field in `batch`; run before touching storage so a bad batch has no effect. */
export function checkBatch(batch: StoreBatch): void {
  for (const m of batch.put ?? []) checkMessage(m);
  for (const id of batch.remove ?? []) checkId(id);
  for (const id of batch.unmark ?? []) checkId(id);
}

/** Throws unless `id` can be a message id (positive safe integer). */
export function checkId(id: unknown): void {
  if (!Number.isSafeInteger(id) || (id as number) <= 0) throw new TypeError(`store: bad message id ${String(id)}`);
}

function checkMessage(m: StoredMessage): void {
  checkId(m.id);
  if (typeof m.dest !== 'string') throw new TypeError(`store: message ${m.id} has no destination`);
  if (m.headers === null || typeof m.headers !== 'object') throw new TypeError(`store: message ${m.id} has no headers`);
  // String values only: then encoding cannot throw halfway through an lmdb batch and leave part of it queued.
  for (const [name, value] of Object.entries(m.headers)) {
    if (typeof value !== 'string') throw new TypeError(`store: message ${m.id} header ${name} is not a string`);
  }
  if (!(m.body instanceof Uint8Array)) throw new TypeError(`store: message ${m.id} body is not a Buffer`);
  if (m.queue !== undefined && typeof m.queue !== 'string') throw new TypeError(`store: message ${m.id} has a bad queue`);
  if (m.failures !== undefined && !Array.isArray(m.failures)) throw new TypeError(`store: message ${m.id} has bad failures`);
  for (const field of ['redeliveries', 'priority', 'deliverAt', 'expiresAt'] as const) {
    if (!Number.isFinite(m[field]) || m[field] < 0) throw new TypeError(`store: message ${m.id} has bad ${field}`);
  }
}

/** Highest id `batch` puts, or 0. */
export function highestPut(batch: StoreBatch): number {
  let top = 0;
  for (const m of batch.put ?? []) if (m.id > top) top = m.id;
  return top;
}

/** The redeliveries count recovery reports: a delivery mark means one more delivery than the count it carried. */
export function recoveredRedeliveries(stored: number, mark: number | undefined): number {
  return mark === undefined ? stored : Math.max(stored, mark + 1);
}

/** A copy sharing nothing with `m`, so later changes by the broker cannot reach stored state (as with lmdb). */
export function copyMessage(m: StoredMessage, redeliveries = m.redeliveries): StoredMessage {
  const copy: StoredMessage = {
    id: m.id, dest: m.dest, headers: { ...m.headers }, body: Buffer.from(m.body), redeliveries,
    priority: m.priority, deliverAt: m.deliverAt, expiresAt: m.expiresAt,
  };
  if (m.queue) copy.queue = m.queue;
  if (m.failures && m.failures.length > 0) copy.failures = m.failures.map((f) => ({ ...f }));
  if (m.transient) copy.transient = true;
  return copy;
}

/** Reports a failure of a best-effort operation without crashing: nobody awaits those promises. */
export function warnBestEffort(what: string, err: unknown): void {
  process.emitWarning(`store: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
}
