/**
 * Router: owns every destination and is the hub's one entry point for what sessions ask. Publishing,
 * subscribing and transactions live here; offering and claiming in Delivery, ACK/NACK, redelivery and
 * dead letters in Settlement, durable topic subscriptions in DurableSubscriptions. Persistent messages
 * are in the store before anyone can see them, and leave it when acked. Knows sessions only through
 * HubSession.send, and the disk only through QueueStore.
 */
import type { DestinationStatus, TxOp } from '../ipc/contract.js';
import { Logger } from '../log.js';
import { isReplyQueue, isTopic } from '../protocol/destination.js';
import { type Headers, MAX_PRIORITY } from '../protocol/frame.js';
import type { AckMode, MessageProps, NackOptions } from '../protocol/headers.js';
import type { QueueStore, StoreBatch } from '../store/store.js';
import { Delivery } from './delivery.js';
import { Destinations } from './destinations.js';
import { DurableSubscriptions } from './durables.js';
import { MessageIds } from './message-ids.js';
import { FlowControl } from './flow-control.js';
import { type HeldMessage, type HubSession, type HubSubscription, messageBytes } from './model.js';
import { type DestinationView, Operations, type RetryResult } from './operations.js';
import type { BrokerFileConfig, DestinationPolicy } from './policy.js';
import type { Queue } from './queue.js';
import { Refusal, type RouterCore } from './router-core.js';
import { Settlement } from './settlement.js';
import { Pager } from './pager.js';
import { toStored } from './stored.js';
import { type StoreTimer, timedStore } from './timed-store.js';
import { TopicRegistry } from './topics.js';

export { Refusal };

/** Router tunables (see BrokerConfig). */
export interface RouterOptions {
  offerFanout: number;
  autoAckWindow: number;
  memoryHighWatermark: number;
  /** A queue's memory bound when its policy sets none. */
  destinationMemory: number;
  /** Deep queues keep their backlog on disk (needs a store on disk). */
  paging?: boolean;
}

/** One copy of a message bound for one queue. */
interface Target {
  queue: Queue;
  held: HeldMessage;
}

/** How often idle queues and failed removals are looked after, ms. */
const SWEEP_INTERVAL_MS = 5000;

/** The hub's routing core: queues, topics, claims, in-flight messages, persistence, flow control. */
export class Router implements RouterCore {
  readonly flow: FlowControl;
  readonly destinations: Destinations;
  /** The store, every write of it timed for `storeTimer`. */
  readonly store: QueueStore;
  /** Told how long each store write took to resolve (the management API's metrics); null = nobody asks. */
  storeTimer: StoreTimer | null = null;
  private readonly topics = new TopicRegistry();
  private readonly durables: DurableSubscriptions;
  private readonly delivery: Delivery;
  private readonly settlement: Settlement;
  private readonly operations: Operations;
  private readonly pager: Pager;
  /** Temporary queues (`/reply-queue/…`) and the client (HubSession.serial) that owns each. */
  private readonly replyQueues = new Map<string, number>();
  /** Removals the store refused: retried until they hold, so an acknowledged message never comes back. */
  private readonly failedRemovals = new Set<number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly ids: MessageIds;

  constructor(
    options: RouterOptions,
    store: QueueStore,
    config: BrokerFileConfig,
    readonly log: Logger = new Logger('router', 'warn'),
  ) {
    this.store = timedStore(store, () => this.storeTimer);
    this.durables = new DurableSubscriptions(this.store);
    this.ids = new MessageIds(this.store, log);
    this.destinations = new Destinations(config, (q) => this.durables.ofQueue(q)?.topic, (q) => this.dispatch(q));
    this.flow = new FlowControl(options.memoryHighWatermark,
      (q) => this.destinations.policyOf(q).maxMemory || options.destinationMemory);
    this.settlement = new Settlement(this, (s) => this.delivery.unstall(s));
    this.delivery = new Delivery(this, () => this.settlement, options);
    this.pager = new Pager(this, options.paging ?? false);
    this.operations = new Operations(this, this.topics);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /**
   * Loads the durable subscriptions and every stored message back into its queue, in order: with paging,
   * the first page of each queue's lanes in memory and the rest counted on disk.
   */
  async recover(): Promise<number> {
    await this.ids.recover();
    this.durables.load();
    const count = this.pager.recover();
    for (const queue of this.destinations.allQueues()) this.dispatch(queue);
    return count;
  }

  // --- publishing --------------------------------------------------------------------------------

  /**
   * Routes a SEND. Resolves once it has taken effect (persistent copies on disk); throws Refusal
   * when a bounded queue refuses it, before anything is changed.
   */
  publish(from: HubSession | undefined, dest: string, headers: Headers, body: Buffer, props: MessageProps): Promise<void> | undefined {
    // A temporary queue whose connection has gone has no route: the message is dropped (as RabbitMQ does).
    if (!this.routable(dest)) return undefined;
    const targets = this.targetsOf(dest, headers, body, props, from);
    this.checkBounds(targets);
    if (from) this.flow.published(from, targets);
    if (isTopic(dest)) this.topics.publish(this.wire(dest, headers, body));
    return this.enqueueAll(targets);
  }

  /** Applies a COMMIT: every SEND, ACK and NACK in one store transaction, then in memory. */
  commit(session: HubSession, ops: TxOp[]): Promise<void> | undefined {
    const sends = ops.filter((op): op is Extract<TxOp, { t: 'publish' }> => op.t === 'publish' && this.routable(op.dest));
    const targets = sends.flatMap((op) => this.targetsOf(op.dest, op.headers, op.body, op.props, session));
    this.checkBounds(targets);
    if (sends.length > 0) this.flow.published(session, targets);
    const removals = this.settlement.persistentOf(session, ops.flatMap((op) => (op.t === 'ack' ? op.ids : [])));
    const put = targets.filter((t) => t.held.persistent).map((t) => toStored(t.held));
    const durable = put.length + removals.length > 0 ? this.store.write({ put, remove: removals }) : undefined;
    const apply = () => {
      for (const op of sends) if (isTopic(op.dest)) this.topics.publish(this.wire(op.dest, op.headers, op.body));
      for (const op of ops) {
        if (op.t === 'ack') this.settlement.ackInMemory(session, op.ids);
        else if (op.t === 'nack') this.settlement.nack(session, op.ids, op.options);
      }
    };
    if (!durable) {
      apply();
      this.enqueueAll(targets);
      return undefined;
    }
    // Nothing of the transaction is visible until the store has all of it; its messages then join their
    // queues behind any earlier write (in id order, which the pager's reads rely on).
    for (const t of targets) this.enqueue(t.queue, t.held, durable);
    return durable.then(apply, (err: Error) => {
      throw new Refusal('Transaction not committed', `The store refused the transaction: ${err.message}`);
    });
  }

  /**
   * The queues a message to `dest` lands in, each with its own copy (and id). A copy carries the
   * destination its consumers subscribed to: the queue for fan-out, the topic for a durable subscription.
   */
  private targetsOf(dest: string, headers: Headers, body: Buffer, props: MessageProps, from?: HubSession): Target[] {
    const { fanout } = this.policyOf(dest);
    if (!isTopic(dest) && fanout.length === 0) { // the common case: one queue, one copy
      const queue = this.destinations.queueFor(dest);
      return [{ queue, held: this.newMessage(queue, dest, headers, body, props, from?.serial ?? 0) }];
    }
    const copies = new Map<string, string>(); // queue name → MESSAGE destination
    if (!isTopic(dest)) copies.set(dest, dest);
    for (const q of fanout) copies.set(q, q);
    if (isTopic(dest)) for (const b of this.durables.matching(dest)) copies.set(b.queue, dest);
    return [...copies].map(([name, wireDest]) => {
      const queue = this.destinations.queueFor(name);
      return { queue, held: this.newMessage(queue, wireDest, headers, body, props, from?.serial ?? 0) };
    });
  }

  newMessage(queue: Queue, dest: string, headers: Headers, body: Buffer, props: MessageProps, producer: number): HeldMessage {
    const wire = this.wire(dest, headers, body);
    return {
      wire, queue: queue.name, bytes: messageBytes(wire), priority: props.priority,
      deliverAt: props.delayMs > 0 ? Date.now() + props.delayMs : 0, expiresAt: props.expiresAt,
      persistent: props.persistent || queue.policy.persistent, failures: [], marked: false, producer,
    };
  }

  private wire(dest: string, headers: Headers, body: Buffer) {
    return { id: this.ids.take(), dest, headers, body, redeliveries: 0 };
  }

  /** A bounded queue with overflow "reject" refuses the whole SEND; "drop-head" makes room. */
  private checkBounds(targets: Target[]): void {
    if (targets.every(({ queue: { policy } }) => policy.overflow !== 'reject' || (!policy.maxLength && !policy.maxBytes))) return;
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

  private enqueueAll(targets: Target[]): Promise<void> | undefined {
    if (targets.length === 1 && !targets[0].held.persistent) { // the common case: one transient copy
      this.enqueue(targets[0].queue, targets[0].held, undefined);
      return undefined;
    }
    const persistent = targets.filter((t) => t.held.persistent);
    const durable = persistent.length > 0 ? this.store.write({ put: persistent.map((t) => toStored(t.held)) }) : undefined;
    for (const { queue, held } of targets) this.enqueue(queue, held, held.persistent ? durable : undefined);
    return durable?.catch((err: Error) => {
      throw new Refusal('Message not stored', `The store refused the message: ${err.message}`);
    });
  }

  enqueue(queue: Queue, held: HeldMessage, durable: Promise<void> | undefined): void {
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

  place(queue: Queue, held: HeldMessage): void {
    if (this.pager.takes(queue, held)) {
      queue.enqueued++; // waits on disk; read back when its lane drains
      return;
    }
    if (queue.policy.overflow === 'drop-head') {
      while (queue.wouldOverflow(1, held.bytes)) {
        const dropped = queue.shiftOldest();
        if (!dropped) break;
        this.settlement.discard(dropped);
      }
    }
    this.flow.charge(held);
    queue.enqueued++;
    queue.place(held, false);
    this.dispatch(queue);
  }

  dispatch(queue: Queue): void {
    this.delivery.dispatch(queue);
  }

  refill(queue: Queue): void {
    this.pager.refill(queue);
  }

  // --- subscriptions -----------------------------------------------------------------------------

  /** SUBSCRIBE; a `durable` topic subscription consumes from its own queue. */
  subscribe(session: HubSession, key: number, dest: string, ack: AckMode, prefetch: number,
    ackTimeoutMs: number, durable: string): Promise<void> | undefined {
    let source = dest;
    let saved: Promise<void> | undefined;
    if (isReplyQueue(dest)) this.ownReplyQueue(session, dest);
    if (durable && isTopic(dest)) {
      const bound = this.durables.bind(durable, dest);
      source = bound.binding.queue;
      saved = bound.saved;
      const previous = bound.replaced ? this.destinations.existing(source) : undefined;
      if (previous) saved = this.forgetDurable(previous, saved ?? Promise.resolve());
    }
    const sub: HubSubscription = {
      session, key, source, ack, prefetch, ackTimeoutMs,
      pendingOffers: new Set(), unacked: new Set(), stalled: false, passes: 0, staleThrough: 0, stale: 0,
    };
    session.subs.set(key, sub);
    if (isTopic(source)) {
      this.topics.add(sub);
      return saved;
    }
    const queue = this.destinations.queueFor(source);
    queue.addConsumer(sub);
    this.dispatch(queue);
    return saved;
  }

  /**
   * Drops a subscription: open offers count as passed, unacked messages go back; `forget` ends a
   * durable one; `gone` says the session itself ended (see Delivery.withdraw).
   */
  unsubscribe(session: HubSession, key: number, forget = false, gone = false): Promise<void> | undefined {
    const sub = session.subs.get(key);
    if (!sub) return undefined;
    session.subs.delete(key);
    if (isTopic(sub.source)) {
      this.topics.remove(sub);
      return undefined;
    }
    const queue = this.destinations.queueFor(sub.source);
    queue.removeConsumer(sub);
    this.delivery.withdraw(sub, gone);
    this.settlement.returnAll(sub);
    this.dispatch(queue);
    const binding = this.durables.ofQueue(sub.source);
    return forget && binding ? this.forgetDurable(queue, this.durables.forget(binding)) : undefined;
  }

  /** Supervision: a session is gone (any cause); undo everything it held, and its temporary queues. */
  dropSession(session: HubSession): void {
    for (const key of [...session.subs.keys()]) void this.unsubscribe(session, key, false, true);
    this.flow.forget(session);
    for (const [name, owner] of this.replyQueues) {
      if (owner !== session.serial) continue;
      this.replyQueues.delete(name);
      const queue = this.destinations.existing(name);
      if (queue) for (const held of queue.drain()) this.settlement.discard(held);
    }
  }

  /** Whether a message to `dest` has somewhere to go (a temporary queue only while its connection lives). */
  private routable(dest: string): boolean {
    return !isReplyQueue(dest) || this.replyQueues.has(dest);
  }

  /** Only the connection that made a temporary queue may consume from it. */
  private ownReplyQueue(session: HubSession, name: string): void {
    const owner = this.replyQueues.get(name);
    if (owner !== undefined && owner !== session.serial) {
      throw new Refusal('Access refused', `${name} is another connection's temporary queue.`);
    }
    this.replyQueues.set(name, session.serial);
  }

  /** Drops what an ended durable subscription's queue holds, from memory and disk (paged-out part included). */
  private forgetDurable(queue: Queue, saved: Promise<void>): Promise<void> {
    for (const held of queue.drain()) this.flow.release(held);
    return Promise.all([saved, this.store.dropQueue(queue.name)]).then(() => {});
  }

  // --- what sessions answer ------------------------------------------------------------------------

  /** `session` claims offer `offer` for its subscription `key`. */
  claim(session: HubSession, offer: number, key: number): void {
    this.delivery.claim(session, offer, key);
  }

  /** `session` passes offer `offer` (`unmatched`: its subscription's selector does not select it). */
  pass(session: HubSession, offer: number, unmatched = false): void {
    this.delivery.pass(session, offer, unmatched);
  }

  /** The session's socket went under (or over) its write watermark; `topics`: whether it wants topic messages. */
  setWritable(session: HubSession, writable: boolean, topics: boolean): void {
    if (session.topicsPaused !== !topics) {
      session.topicsPaused = !topics;
      if (topics) this.log.info(`session ${session.id}: client ${session.remote} caught up: topic messages resume`);
      else this.log.warn(`session ${session.id}: client ${session.remote} reads too slowly: its topic messages are dropped until it catches up`);
    }
    this.delivery.setWritable(session, writable);
  }

  /** Acknowledged: the messages are done; resolves once they are off the disk. */
  ack(session: HubSession, ids: readonly number[]): Promise<void> | undefined {
    return this.settlement.ack(session, ids);
  }

  /** Refused by the client: redelivered per the queue's policy, or dead-lettered. */
  nack(session: HubSession, ids: readonly number[], options: NackOptions): Promise<void> | undefined {
    return this.settlement.nack(session, ids, options);
  }

  // --- what an operator reads and does (the management API; see Operations) ---------------------

  /** Every destination held now, with its counters. */
  destinationViews(): DestinationView[] {
    return this.operations.views();
  }

  /** Every destination held now, one at a time (see Operations.eachView). */
  eachDestinationView(): Generator<DestinationView> {
    return this.operations.eachView();
  }

  /** One destination with its counters, or undefined when the hub holds nothing for it. */
  destinationView(name: string): DestinationView | undefined {
    return this.operations.view(name);
  }

  /** Up to `limit` messages of queue `name` in offer order, not consumed; undefined: no such queue. */
  browse(name: string, limit: number): readonly HeldMessage[] | undefined {
    return this.operations.browse(name, limit);
  }

  /** Empties queue `name` (what is not in flight); resolves with the number of messages removed. */
  purge(name: string): Promise<number> {
    return this.operations.purge(name);
  }

  /** Moves the dead letters among the first `limit` messages of queue `name` back to their queues. */
  retryDeadLetters(name: string, limit: number): Promise<RetryResult> | undefined {
    return this.operations.retry(name, limit);
  }

  // --- bookkeeping ---------------------------------------------------------------------------------

  background(batch: StoreBatch): void {
    this.store.write(batch).catch((err: Error) => {
      this.log.error(`store: write failed: ${err.message}`);
      for (const id of batch.remove ?? []) this.failedRemovals.add(id);
    });
  }

  /** Retries refused removals, forgets idle queues and topic statistics. */
  private sweep(): void {
    if (this.failedRemovals.size > 0) {
      const ids = [...this.failedRemovals];
      this.failedRemovals.clear();
      this.store.write({ remove: ids }).then(
        () => this.log.warn(`store: ${ids.length} acknowledged messages removed on retry`),
        () => {
          for (const id of ids) this.failedRemovals.add(id);
        },
      );
    }
    for (const queue of [...this.destinations.allQueues()]) this.destinations.forgetIfIdle(queue);
  }

  private policyOf(name: string): DestinationPolicy {
    return this.destinations.policyOf(name);
  }

  /** A reloaded destination configuration (see Destinations.reconfigure); queues are offered again. */
  reconfigure(config: BrokerFileConfig): void {
    this.destinations.reconfigure(config);
    for (const queue of this.destinations.allQueues()) this.dispatch(queue);
  }

  /** One line per destination, for `status`. */
  status(): DestinationStatus[] {
    return this.destinations.status((q) => this.flow.queueBytes(q)).concat(this.topics.status());
  }

  /**
   * At a clean stop: forgets the delivery marks of persistent messages that wait in their queues. Marks
   * are written ahead for the next messages to be offered (Delivery.mark), so that after a crash a
   * message a client may have seen comes back flagged; after a clean stop the hub knows that no client
   * has these, and a restart must not count a delivery against them (nor use up a `maxDeliveries` try).
   * A message that did reach a client and came back has its count in its stored record already.
   */
  async unmarkWaiting(): Promise<void> {
    const waiting: HeldMessage[] = [];
    const consider = (held: HeldMessage) => {
      if (held.persistent && (held.marked || held.marking)) waiting.push(held);
    };
    for (const queue of this.destinations.allQueues()) {
      // Lane by lane, without spreading: a lane of non-persistent messages may hold millions.
      for (let p = 0; p <= MAX_PRIORITY; p++) for (const held of queue.ready.laneUpcoming(p, Infinity)) consider(held);
      for (const held of queue.upcomingAside(Infinity)) consider(held);
    }
    await Promise.all(waiting.map((held) => held.marking));
    if (waiting.length > 0) await this.store.write({ unmark: waiting.map((held) => held.wire.id) });
  }

  /** Stops timers (broker stopping). */
  close(): void {
    clearInterval(this.sweeper);
    this.destinations.close();
  }
}

function describeBounds(policy: DestinationPolicy): string {
  const parts = [];
  if (policy.maxLength) parts.push(`${policy.maxLength} messages`);
  if (policy.maxBytes) parts.push(`${policy.maxBytes} bytes`);
  return parts.join(', ');
}
