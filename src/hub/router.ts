/**
 * Router: owns every destination. Queues deliver through offer → claim → grant (ClaimTable); topics
 * fan out to every session with a subscription, and copy into durable subscriptions and fan-out
 * queues. Persistent messages are in the store before anyone can see them, and leave it when acked.
 * Knows sessions only through HubSession.send, and the disk only through QueueStore.
 */
import type {
  AckMode, DestinationStatus, MessageProps, NackOptions, TxOp, WireMessage,
} from '../ipc/contract.js';
import { DEFAULT_PRIORITY, type Headers } from '../protocol/frame.js';
import { topicMatches } from '../protocol/destination.js';
import type { QueueStore, StoredMessage } from '../store/store.js';
import { ClaimTable } from './claim-table.js';
import { FlowControl } from './flow-control.js';
import {
  type HeldMessage, type HubSession, type HubSubscription, isTopic, messageBytes,
} from './model.js';
import {
  backoffDelay, type BrokerFileConfig, deadLetterQueue, type DestinationPolicy, policyFor,
} from './policy.js';
import { type InFlight, Queue } from './queue.js';
import { TopicRegistry } from './topics.js';

/** Router tunables (see BrokerConfig). */
export interface RouterOptions {
  offerFanout: number;
  autoAckWindow: number;
  memoryHighWatermark: number;
}

/** A request the router refuses (queue full, store failure); the session turns it into ERROR. */
export class Refusal extends Error {
  constructor(message: string, readonly detail: string) {
    super(message);
  }
}

interface OfferedMessage {
  held: HeldMessage;
  queue: Queue;
}

/** A durable topic subscription: a queue the hub fills while its subscriber is away. */
interface DurableBinding {
  name: string;
  topic: string;
  queue: string;
}

const DURABLES_META = 'durable-subscriptions';
const MAX_CACHED_POLICIES = 10_000;
const NOT_PERSISTENT: MessageProps = { persistent: false, priority: DEFAULT_PRIORITY, delayMs: 0, expiresAt: 0 };

/** The hub's routing core: queues, topics, claims, in-flight messages, persistence, flow control. */
export class Router {
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new TopicRegistry();
  private readonly durables = new Map<string, DurableBinding>();
  private readonly policies = new Map<string, DestinationPolicy>();
  private readonly claims = new ClaimTable<OfferedMessage, HubSubscription>();
  private readonly inflight = new Map<number, Queue>();
  readonly flow: FlowControl;
  private nextMessageId = 1;

  constructor(
    private readonly options: RouterOptions,
    private readonly store: QueueStore,
    private readonly config: BrokerFileConfig,
  ) {
    this.flow = new FlowControl(options.memoryHighWatermark);
  }

  /** Loads every stored message back into its queue, in order, and the durable subscriptions. */
  async recover(): Promise<number> {
    this.nextMessageId = this.store.maxId() + 1;
    const bindings = (this.store.getMeta(DURABLES_META) ?? []) as DurableBinding[];
    for (const b of bindings) this.durables.set(b.name, b);
    let count = 0;
    for await (const stored of this.store.recover()) {
      const held = fromStored(stored);
      const queue = this.queueFor(held.queue);
      this.flow.add(held.bytes);
      queue.place(held, false);
      queue.enqueued++;
      count++;
    }
    for (const queue of this.queues.values()) this.dispatch(queue);
    return count;
  }

  // -------------------------------------------------------------------------------------------
  // Publishing
  // -------------------------------------------------------------------------------------------

  /**
   * Routes a SEND. Resolves once it has taken effect (persistent copies on disk); throws Refusal
   * when a bounded queue refuses it, before anything is changed.
   */
  publish(from: HubSession | undefined, dest: string, headers: Headers, body: Buffer, props: MessageProps): Promise<void> | undefined {
    if (from) this.flow.noteProducer(from);
    const targets = this.targetsOf(dest, headers, body, props);
    this.checkBounds(targets);
    if (isTopic(dest)) this.topics.publish(this.wire(dest, headers, body));
    return this.enqueueAll(targets);
  }

  /** Applies a COMMIT: every SEND, ACK and NACK in one store transaction, then in memory. */
  commit(session: HubSession, ops: TxOp[]): Promise<void> | undefined {
    const sends = ops.filter((op) => op.t === 'publish');
    const targets = sends.flatMap((op) => this.targetsOf(op.dest, op.headers, op.body, op.props));
    this.checkBounds(targets);
    const acked = ops.filter((op) => op.t === 'ack').flatMap((op) => op.ids);
    const removals = acked.filter((id) => this.heldBy(session, id)?.held.persistent);
    const put = targets.filter((t) => t.held.persistent).map((t) => toStored(t.held));
    const durable = put.length + removals.length > 0 ? this.store.write({ put, remove: removals }) : undefined;
    const apply = () => {
      for (const op of sends) if (isTopic(op.dest)) this.topics.publish(this.wire(op.dest, op.headers, op.body));
      for (const op of ops) {
        if (op.t === 'ack') this.ackInMemory(session, op.ids);
        else if (op.t === 'nack') this.nack(session, op.ids, op.options);
      }
    };
    if (!durable) {
      apply();
      this.enqueueAll(targets);
      return undefined;
    }
    // Nothing of the transaction is visible until the store has all of it.
    for (const t of targets) t.queue.committing++;
    return durable.then(() => {
      for (const t of targets) t.queue.committing--;
      apply();
      for (const t of targets) this.place(t.queue, t.held);
    }, (err: Error) => {
      for (const t of targets) t.queue.committing--;
      throw new Refusal('Transaction not committed', `The store refused the transaction: ${err.message}`);
    });
  }

  /**
   * The queues a message to `dest` lands in, each with its own copy (and id). A copy carries the
   * destination its consumers subscribed to: the queue for fan-out, the topic for a durable subscription.
   */
  private targetsOf(dest: string, headers: Headers, body: Buffer, props: MessageProps): Array<{ queue: Queue; held: HeldMessage }> {
    const copies = new Map<string, string>(); // queue name → MESSAGE destination
    if (!isTopic(dest)) copies.set(dest, dest);
    for (const q of this.policyOf(dest).fanout) copies.set(q, q);
    if (isTopic(dest)) for (const b of this.durables.values()) if (topicMatches(b.topic, dest)) copies.set(b.queue, dest);
    return [...copies].map(([name, wireDest]) => {
      const queue = this.queueFor(name);
      return { queue, held: this.hold(queue, this.wire(wireDest, headers, body), props) };
    });
  }

  private wire(dest: string, headers: Headers, body: Buffer): WireMessage {
    return { id: this.nextMessageId++, dest, headers, body, redeliveries: 0 };
  }

  private hold(queue: Queue, wire: WireMessage, props: MessageProps): HeldMessage {
    return {
      wire, queue: queue.name, bytes: messageBytes(wire), priority: props.priority,
      deliverAt: props.delayMs > 0 ? Date.now() + props.delayMs : 0, expiresAt: props.expiresAt,
      persistent: props.persistent || queue.policy.persistent, failures: [],
    };
  }

  /** A bounded queue with overflow "reject" refuses the whole SEND; "drop-head" makes room. */
  private checkBounds(targets: Array<{ queue: Queue; held: HeldMessage }>): void {
    const adding = new Map<Queue, { count: number; bytes: number }>();
    for (const { queue, held } of targets) {
      const sum = adding.get(queue) ?? { count: 0, bytes: 0 };
      sum.count++;
      sum.bytes += held.bytes;
      adding.set(queue, sum);
    }
    for (const [queue, { count, bytes }] of adding) {
      if (queue.policy.overflow === 'reject' && queue.wouldOverflow(count, bytes)) {
        throw new Refusal('Queue full', `${queue.name} holds its maximum (${describeBounds(queue.policy)}); nothing was accepted.`);
      }
    }
  }

  private enqueueAll(targets: Array<{ queue: Queue; held: HeldMessage }>): Promise<void> | undefined {
    const persistent = targets.filter((t) => t.held.persistent);
    const durable = persistent.length > 0 ? this.store.write({ put: persistent.map((t) => toStored(t.held)) }) : undefined;
    for (const { queue, held } of targets) this.enqueue(queue, held, held.persistent ? durable : undefined);
    return durable?.catch((err: Error) => {
      throw new Refusal('Message not stored', `The store refused the message: ${err.message}`);
    });
  }

  /**
   * Makes a message visible in its queue once `durable` (its store write) resolves. Later arrivals
   * wait behind earlier writes (the queue's barrier), so the queue stays in arrival order.
   */
  private enqueue(queue: Queue, held: HeldMessage, durable: Promise<void> | undefined): void {
    if (!durable && !queue.barrier) {
      this.place(queue, held);
      return;
    }
    queue.committing++;
    const link = Promise.all([queue.barrier, durable]).then(
      () => {
        queue.committing--;
        this.place(queue, held);
      },
      () => {
        queue.committing--; // not stored: the publisher gets an ERROR instead of a RECEIPT
      },
    );
    queue.barrier = link;
    void link.then(() => {
      if (queue.barrier === link) queue.barrier = null;
    });
  }

  private place(queue: Queue, held: HeldMessage): void {
    if (queue.policy.overflow === 'drop-head') {
      while (queue.wouldOverflow(1, held.bytes)) {
        const dropped = queue.shiftOldest();
        if (!dropped) break;
        this.discard(dropped);
      }
    }
    this.flow.add(held.bytes);
    queue.enqueued++;
    queue.place(held, false);
    this.dispatch(queue);
  }

  // -------------------------------------------------------------------------------------------
  // Subscriptions
  // -------------------------------------------------------------------------------------------

  /** SUBSCRIBE; a `durable` topic subscription consumes from its own queue. */
  subscribe(session: HubSession, key: number, dest: string, ack: AckMode, prefetch: number,
    ackTimeoutMs: number, durable: string): Promise<void> | undefined {
    let source = dest;
    let saved: Promise<void> | undefined;
    if (durable && isTopic(dest)) {
      const binding = this.bindDurable(durable, dest);
      source = binding.queue;
      saved = this.saveDurables();
    }
    const sub: HubSubscription = {
      session, key, source, ack, prefetch, ackTimeoutMs, pendingOffers: new Set(), unacked: new Set(), stalled: false,
    };
    session.subs.set(key, sub);
    if (isTopic(source)) {
      this.topics.add(sub);
      return saved;
    }
    const queue = this.queueFor(source);
    queue.addConsumer(sub);
    this.dispatch(queue);
    return saved;
  }

  /** Drops a subscription: open offers count as passed, unacked messages go back; `forget` ends a durable one. */
  unsubscribe(session: HubSession, key: number, forget = false): Promise<void> | undefined {
    const sub = session.subs.get(key);
    if (!sub) return undefined;
    session.subs.delete(key);
    if (isTopic(sub.source)) {
      this.topics.remove(sub);
      return undefined;
    }
    const queue = this.queueFor(sub.source);
    queue.removeConsumer(sub);
    for (const offer of [...sub.pendingOffers]) this.answer(sub, offer, false);
    for (const id of [...sub.unacked]) this.takeBack(id, 'consumer went away', false);
    this.dispatch(queue);
    const binding = [...this.durables.values()].find((b) => b.queue === sub.source);
    return forget && binding ? this.forgetDurable(binding) : undefined;
  }

  /** Supervision: a session is gone (any cause); undo everything it held. */
  dropSession(session: HubSession): void {
    for (const key of [...session.subs.keys()]) void this.unsubscribe(session, key);
    this.flow.forget(session);
  }

  private bindDurable(name: string, topic: string): DurableBinding {
    let binding = this.durables.get(name);
    if (!binding || binding.topic !== topic) {
      binding = { name, topic, queue: `durable:${name}` };
      this.durables.set(name, binding);
    }
    return binding;
  }

  private forgetDurable(binding: DurableBinding): Promise<void> {
    this.durables.delete(binding.name);
    const queue = this.queueFor(binding.queue);
    const dropped = queue.drain();
    for (const held of dropped) this.flow.remove(held.bytes);
    const ids = dropped.filter((h) => h.persistent).map((h) => h.wire.id);
    return Promise.all([this.saveDurables(), ids.length ? this.store.write({ remove: ids }) : undefined]).then(() => {});
  }

  private saveDurables(): Promise<void> {
    return this.store.putMeta(DURABLES_META, [...this.durables.values()]);
  }

  // -------------------------------------------------------------------------------------------
  // Offer, claim, grant
  // -------------------------------------------------------------------------------------------

  /** `session` claims offer `offer` for its subscription `key`. */
  claim(session: HubSession, offer: number, key: number): void {
    const sub = session.subs.get(key);
    if (!sub || !sub.pendingOffers.has(offer)) {
      session.send({ t: 'refuse', offer });
      return;
    }
    this.answer(sub, offer, true);
  }

  /** `session` passes offer `offer`. */
  pass(session: HubSession, offer: number): void {
    const claim = this.claims.get(offer);
    if (!claim) return;
    for (const sub of claim.waiting) {
      if (sub.session !== session) continue;
      sub.stalled = true;
      this.answer(sub, offer, false);
      return;
    }
  }

  /** The session's socket went under (or over) its write watermark. */
  setWritable(session: HubSession, writable: boolean): void {
    session.writable = writable;
    if (writable) this.unstall(session);
  }

  /** Offers ready messages while some consumer has credit; expired ones are dropped on the way. */
  private dispatch(queue: Queue): void {
    const credit = (sub: HubSubscription) => this.credit(sub);
    while (queue.ready.length > 0) {
      const chosen = queue.pickConsumers(this.options.offerFanout, credit);
      if (chosen.length === 0) return;
      const held = queue.shift()!;
      if (held.expiresAt > 0 && held.expiresAt <= Date.now()) {
        this.expire(queue, held);
        continue;
      }
      queue.offered++;
      const offer = this.claims.open({ held, queue }, chosen);
      // A sole offeree's claim cannot lose: it is reserved the unit and delivers without waiting for a grant.
      const reserved = chosen.length === 1;
      for (const sub of chosen) {
        sub.pendingOffers.add(offer);
        sub.session.send({ t: 'offer', offer, sub: sub.key, reserved, msg: held.wire });
      }
    }
  }

  private credit(sub: HubSubscription): number {
    if (!sub.session.writable || sub.stalled) return 0;
    const window = this.options.autoAckWindow;
    if (sub.ack === 'auto') return Math.min(sub.prefetch || window, window) - sub.pendingOffers.size;
    if (sub.prefetch === 0) return window - sub.pendingOffers.size;
    return sub.prefetch - sub.pendingOffers.size - sub.unacked.size;
  }

  /** Records `sub`'s answer to `offer`; grants or refuses a claim; puts back an unclaimed message. */
  private answer(sub: HubSubscription, offer: number, wants: boolean): void {
    sub.pendingOffers.delete(offer);
    const outcome = wants ? this.claims.claim(offer, sub) : this.claims.pass(offer, sub);
    const claim = outcome.closed ?? this.claims.get(offer);
    const reserved = claim !== undefined && claim.offerees === 1;
    if (wants && !reserved) sub.session.send({ t: outcome.granted ? 'grant' : 'refuse', offer });
    if (outcome.granted && claim) {
      claim.message.queue.offered--;
      this.grant(sub, claim.message);
    }
    if (outcome.closed) {
      const { held, queue } = outcome.closed.message;
      if (outcome.closed.winner === null) {
        queue.offered--;
        queue.place(held, true);
      }
      this.dispatch(queue);
    }
  }

  private grant(sub: HubSubscription, { held, queue }: OfferedMessage): void {
    if (sub.ack === 'auto') {
      // ack:auto: the message counts as acknowledged once it is handed over.
      this.finish(queue, held);
      return;
    }
    const timeout = sub.ackTimeoutMs || queue.policy.ackTimeoutMs;
    const id = held.wire.id;
    const timer = timeout > 0 ? setTimeout(() => this.ackTimedOut(id), timeout) : null;
    queue.inflight.set(id, { held, holder: sub, timer });
    this.inflight.set(id, queue);
    sub.unacked.add(id);
    this.flow.update(sub.session);
    if (held.persistent) void this.store.markDelivered(id, held.wire.redeliveries).catch(() => {});
  }

  // -------------------------------------------------------------------------------------------
  // ACK, NACK, redelivery, dead letters, expiry
  // -------------------------------------------------------------------------------------------

  /** Acknowledged: the messages are done; resolves once they are off the disk. */
  ack(session: HubSession, ids: readonly number[]): Promise<void> | undefined {
    const removals = ids.filter((id) => this.heldBy(session, id)?.held.persistent);
    this.ackInMemory(session, ids);
    return removals.length > 0 ? this.store.write({ remove: removals }) : undefined;
  }

  private ackInMemory(session: HubSession, ids: readonly number[]): void {
    for (const id of ids) {
      const entry = this.release(session, id);
      if (entry) this.finish(entry.queue, entry.held, false);
    }
    this.unstall(session); // offers what the freed credit allows
  }

  /** Refused by the client: redelivered per the queue's policy, or dead-lettered. */
  nack(session: HubSession, ids: readonly number[], options: NackOptions): Promise<void> | undefined {
    const writes: Promise<void>[] = [];
    for (const id of ids) {
      const entry = this.release(session, id);
      if (!entry) continue;
      const w = this.redeliver(entry.queue, entry.held, options.reason || 'rejected by consumer',
        options.retryAfterMs, !options.requeue);
      if (w) writes.push(w);
    }
    this.unstall(session);
    return writes.length > 0 ? Promise.all(writes).then(() => {}) : undefined;
  }

  /** Takes an in-flight message `session` holds out of flight. */
  private release(session: HubSession, id: number): { queue: Queue; held: HeldMessage } | undefined {
    const queue = this.inflight.get(id);
    const entry = queue?.inflight.get(id);
    if (!queue || !entry || entry.holder.session !== session) return undefined;
    this.dropInflight(queue, id, entry);
    return { queue, held: entry.held };
  }

  private heldBy(session: HubSession, id: number): InFlight | undefined {
    const entry = this.inflight.get(id)?.inflight.get(id);
    return entry && entry.holder.session === session ? entry : undefined;
  }

  private dropInflight(queue: Queue, id: number, entry: InFlight): void {
    if (entry.timer) clearTimeout(entry.timer);
    this.inflight.delete(id);
    queue.inflight.delete(id);
    entry.holder.unacked.delete(id);
  }

  /** An in-flight message comes back because its consumer left or its ack timeout passed. */
  private takeBack(id: number, reason: string, withBackoff: boolean): void {
    const queue = this.inflight.get(id);
    const entry = queue?.inflight.get(id);
    if (!queue || !entry) return;
    this.dropInflight(queue, id, entry);
    void this.redeliver(queue, entry.held, reason, withBackoff ? -1 : 0, false)?.catch(() => {});
  }

  private ackTimedOut(id: number): void {
    const entry = this.inflight.get(id)?.inflight.get(id);
    if (!entry) return;
    const { holder } = entry;
    holder.session.send({ t: 'revoke', sub: holder.key, ids: [id] });
    this.takeBack(id, 'ack timeout', true);
    this.unstall(holder.session);
  }

  /**
   * One more failed delivery: back to the queue (after `retryAfterMs`, or the policy's back-off when
   * it is -1), or to the dead-letter queue past `maxDeliveries` or when `deadLetter` asks for it.
   */
  private redeliver(queue: Queue, held: HeldMessage, reason: string, retryAfterMs: number, deadLetter: boolean): Promise<void> | undefined {
    held.wire.redeliveries++;
    held.failures.push({ time: Date.now(), reason });
    const { maxDeliveries, backoff } = queue.policy;
    if (deadLetter || (maxDeliveries > 0 && held.wire.redeliveries >= maxDeliveries)) {
      const why = deadLetter ? reason : `delivered ${held.wire.redeliveries} times (maximum ${maxDeliveries}); last: ${reason}`;
      const moved = this.deadLetter(queue, held, why);
      if (moved !== null) return moved;
    }
    const delay = retryAfterMs >= 0 ? retryAfterMs : backoffDelay(backoff, held.wire.redeliveries);
    held.deliverAt = delay > 0 ? Date.now() + delay : 0;
    queue.place(held, true);
    this.dispatch(queue);
    return held.persistent ? this.store.write({ put: [toStored(held)] }) : undefined;
  }

  /**
   * Moves a message to its queue's dead-letter queue with its history, in one store transaction for
   * a persistent one (resolves when durable); null when `queue` is itself a dead-letter queue.
   */
  private deadLetter(queue: Queue, held: HeldMessage, reason: string): Promise<void> | undefined | null {
    const dlqName = deadLetterQueue(queue.policy, queue.name);
    if (queue.name === dlqName || queue.name.startsWith('/queue/DLQ.')) return null;
    queue.deadLettered++;
    const headers: Headers = {
      ...held.wire.headers,
      'original-destination': held.wire.dest,
      'dead-letter-reason': reason,
      'delivery-failures': String(held.failures.length),
      'failure-history': JSON.stringify(held.failures),
    };
    const dlq = this.queueFor(dlqName);
    const moved = this.hold(dlq, this.wire(dlqName, headers, held.wire.body),
      { ...NOT_PERSISTENT, persistent: held.persistent, priority: held.priority });
    this.flow.remove(held.bytes);
    if (!held.persistent) {
      this.place(dlq, moved);
      return undefined;
    }
    const durable = this.store.write({ put: [toStored(moved)], remove: [held.wire.id] });
    this.enqueue(dlq, moved, durable);
    return durable;
  }

  private expire(queue: Queue, held: HeldMessage): void {
    queue.expired++;
    if (queue.policy.expired === 'dead-letter' && this.deadLetter(queue, held, 'expired') !== null) return;
    this.discard(held);
  }

  /** A message leaves the broker without being delivered (dropped by overflow or expiry). */
  private discard(held: HeldMessage): void {
    this.flow.remove(held.bytes);
    if (held.persistent) void this.store.write({ remove: [held.wire.id] }).catch(() => {});
  }

  /** A message was consumed: count it, release its memory, and (unless the caller does) its storage. */
  private finish(queue: Queue, held: HeldMessage, removeFromStore = true): void {
    queue.delivered++;
    this.flow.remove(held.bytes);
    if (removeFromStore && held.persistent) void this.store.write({ remove: [held.wire.id] }).catch(() => {});
  }

  /** The session has credit again (ACK, NACK, drained socket): clear stalls and offer what waits. */
  private unstall(session: HubSession): void {
    for (const sub of session.subs.values()) {
      sub.stalled = false;
      if (!isTopic(sub.source)) this.dispatch(this.queueFor(sub.source));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Bookkeeping
  // -------------------------------------------------------------------------------------------

  private queueFor(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, this.policyOf(name), (q) => this.dispatch(q));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** A destination's policy, matched against the configuration once per name (it is read per SEND). */
  private policyOf(name: string): DestinationPolicy {
    let policy = this.policies.get(name);
    if (!policy) {
      const binding = name.startsWith('durable:') ? [...this.durables.values()].find((b) => b.queue === name) : undefined;
      policy = policyFor(this.config, binding ? binding.topic : name);
      if (this.policies.size >= MAX_CACHED_POLICIES) this.policies.clear(); // many one-off topic names
      this.policies.set(name, policy);
    }
    return policy;
  }

  /** One line per destination, for `status`. */
  status(): DestinationStatus[] {
    const rows: DestinationStatus[] = [];
    for (const q of this.queues.values()) {
      rows.push({
        name: q.name, kind: 'queue', depth: q.depth, consumers: q.consumers.length,
        inFlight: q.inflight.size + q.offered, enqueued: q.enqueued, delivered: q.delivered,
      });
    }
    return rows.concat(this.topics.status());
  }

  /** Stops timers (broker stopping). */
  close(): void {
    for (const q of this.queues.values()) q.close();
  }
}

function describeBounds(policy: DestinationPolicy): string {
  const parts = [];
  if (policy.maxLength) parts.push(`${policy.maxLength} messages`);
  if (policy.maxBytes) parts.push(`${policy.maxBytes} bytes`);
  return parts.join(', ');
}

function toStored(held: HeldMessage): StoredMessage {
  const { wire } = held;
  return {
    id: wire.id, dest: wire.dest, headers: wire.headers, body: wire.body, redeliveries: wire.redeliveries,
    priority: held.priority, deliverAt: held.deliverAt, expiresAt: held.expiresAt, queue: held.queue,
    failures: held.failures,
  };
}

function fromStored(s: StoredMessage): HeldMessage {
  const wire: WireMessage = { id: s.id, dest: s.dest, headers: s.headers, body: s.body, redeliveries: s.redeliveries };
  return {
    wire, queue: s.queue ?? s.dest, bytes: messageBytes(wire), priority: s.priority, deliverAt: s.deliverAt,
    expiresAt: s.expiresAt, persistent: true, failures: s.failures ?? [],
  };
}
