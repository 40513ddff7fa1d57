/**
 * FlowControl: memory charged where it is caused, and producer back-pressure. Every byte a queue holds
 * is charged to that queue and to the client that sent it.
 * - Each queue has its own bound (its policy's `maxMemory`, by default a fraction of `--max-memory`):
 *   past it the queue is blocked and a producer that sends to it is paused (ActiveMQ's producer flow
 *   control), until the queue is back under half its bound. Producers that send elsewhere go on.
 * - The global bound (`--max-memory`) is the last resort: past it the producers holding the most bytes
 *   are paused first, as many as cover the excess, until the total is back under half of it.
 * Consumers are never paused, so queues can drain; nor is a producer while it holds unacknowledged
 * messages, whose ACKs must still be read (RabbitMQ blocks such a connection, and it deadlocks).
 */
import type { HeldMessage, HubSession } from './model.js';

/** The reason a producer is paused for the global bound (queue names start with '/' or 'durable:'). */
const GLOBAL = '';

interface QueueMemory {
  bytes: number;
  blocked: boolean;
}

interface ProducerMemory {
  session: HubSession;
  bytes: number;
}

/** Charges held bytes to queues and producers, and pauses/resumes producers. */
export class FlowControl {
  private total = 0;
  private readonly queues = new Map<string, QueueMemory>();
  /** Bytes held per producing client (HubSession.serial). */
  private readonly producers = new Map<number, ProducerMemory>();
  /** Why each paused-or-pausable session is paused: blocked queue names, or GLOBAL. */
  private readonly reasons = new Map<HubSession, Set<string>>();
  /** Sessions told to stop reading. */
  private readonly throttled = new Set<HubSession>();
  private globalPaused = false;

  constructor(
    private readonly globalLimit: number,
    /** A queue's own memory bound, in bytes. */
    private readonly limitOf: (queue: string) => number,
  ) {}

  /** Bytes of messages the hub holds now. */
  get heldBytes(): number {
    return this.total;
  }

  /** Whether the global bound has paused producers now. */
  get isPaused(): boolean {
    return this.globalPaused;
  }

  /** Whether `session` has been told to stop reading its client. */
  isThrottled(session: HubSession): boolean {
    return this.throttled.has(session);
  }

  /** Bytes `queue` holds now. */
  queueBytes(queue: string): number {
    return this.queues.get(queue)?.bytes ?? 0;
  }

  /** A message is now held by its queue: charge it (to its producer too, if that client is still here). */
  charge(held: HeldMessage): void {
    this.total += held.bytes;
    const q = this.queueOf(held.queue);
    q.bytes += held.bytes;
    const p = this.producers.get(held.producer);
    if (p) p.bytes += held.bytes;
    if (!q.blocked && q.bytes > this.limitOf(held.queue)) q.blocked = true;
    if (!this.globalPaused && this.total > this.globalLimit) this.pauseBiggest();
  }

  /** A message left its queue (consumed, dropped, moved): release its charge. */
  release(held: HeldMessage): void {
    this.total -= held.bytes;
    const q = this.queues.get(held.queue);
    if (q) {
      q.bytes -= held.bytes;
      if (q.blocked && q.bytes < this.limitOf(held.queue) / 2) this.unblock(held.queue, q);
      else if (q.bytes <= 0 && !q.blocked) this.queues.delete(held.queue);
    }
    const p = this.producers.get(held.producer);
    if (p) p.bytes -= held.bytes;
    if (this.globalPaused && this.total < this.globalLimit / 2) this.resumeGlobal();
  }

  /**
   * `session` sent to the queues of `targets`: it becomes a known producer (paused with the others by the global bound),
   * and is paused now if one of those queues is blocked.
   */
  published(session: HubSession, targets: ReadonlyArray<{ queue: { name: string } }>): void {
    if (!this.producers.has(session.serial)) this.producers.set(session.serial, { session, bytes: 0 });
    for (const { queue: { name } } of targets) if (this.queues.get(name)?.blocked) this.pause(session, name);
    // Still over the global bound itself (not just above its low-water mark): every producer waits.
    if (this.globalPaused && this.total > this.globalLimit) this.pause(session, GLOBAL);
  }

  /** The session's unacknowledged messages changed: it may have to be resumed (or paused). */
  update(session: HubSession): void {
    if (!this.reasons.has(session)) return;
    const pause = !holdsUnacked(session);
    if (pause === this.throttled.has(session)) return;
    if (pause) this.throttled.add(session);
    else this.throttled.delete(session);
    session.send({ t: 'throttle', paused: pause });
  }

  /** The client is gone: it is no producer any more (what it sent stays charged to its queues). */
  forget(session: HubSession): void {
    this.producers.delete(session.serial);
    this.reasons.delete(session);
    this.throttled.delete(session);
  }

  private queueOf(name: string): QueueMemory {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = { bytes: 0, blocked: false }));
    return q;
  }

  private pause(session: HubSession, reason: string): void {
    let set = this.reasons.get(session);
    if (!set) this.reasons.set(session, (set = new Set()));
    set.add(reason);
    this.update(session);
  }

  private resume(session: HubSession, reason: string): void {
    const set = this.reasons.get(session);
    if (!set?.delete(reason) || set.size > 0) return;
    this.reasons.delete(session);
    if (this.throttled.delete(session)) session.send({ t: 'throttle', paused: false });
  }

  private unblock(name: string, q: QueueMemory): void {
    q.blocked = false;
    for (const session of [...this.reasons.keys()]) this.resume(session, name);
  }

  /** Pauses the producers holding the most bytes, as many as cover what is over the global bound. */
  private pauseBiggest(): void {
    this.globalPaused = true;
    let excess = this.total - this.globalLimit / 2;
    const biggest = [...this.producers.values()].sort((a, b) => b.bytes - a.bytes);
    for (const p of biggest) {
      if (excess <= 0) break;
      this.pause(p.session, GLOBAL);
      excess -= p.bytes;
    }
  }

  private resumeGlobal(): void {
    this.globalPaused = false;
    for (const session of [...this.reasons.keys()]) this.resume(session, GLOBAL);
  }
}

function holdsUnacked(session: HubSession): boolean {
  for (const sub of session.subs.values()) if (sub.unacked.size > 0) return true;
  return false;
}
