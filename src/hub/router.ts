/**
 * Router: owns every destination. Queues deliver through offer → claim → grant (ClaimTable);
 * topics fan out to every session with a subscription. Knows sessions only through HubSession.send.
 */
import type { AckMode, DestinationStatus, WireMessage } from '../ipc/contract.js';
import type { Headers } from '../protocol/frame.js';
import { ClaimTable } from './claim-table.js';
import { FlowControl } from './flow-control.js';
import { type HeldMessage, type HubSession, type HubSubscription, isTopic, messageBytes } from './model.js';
import { Queue } from './queue.js';
import { TopicRegistry } from './topics.js';

/** Router tunables (see BrokerConfig). */
export interface RouterOptions {
  offerFanout: number;
  autoAckWindow: number;
  memoryHighWatermark: number;
}

interface OfferedMessage {
  held: HeldMessage;
  queue: Queue;
}

/** The hub's routing core: queues, topics, claims, in-flight messages, flow control. */
export class Router {
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new TopicRegistry();
  private readonly claims = new ClaimTable<OfferedMessage, HubSubscription>();
  private readonly inflight = new Map<number, Queue>();
  readonly flow: FlowControl;
  private nextMessageId = 1;

  constructor(private readonly options: RouterOptions) {
    this.flow = new FlowControl(options.memoryHighWatermark);
  }

  /** Routes a SEND from `from` (undefined for messages the broker makes itself). */
  publish(from: HubSession | undefined, dest: string, headers: Headers, body: Buffer): void {
    if (from) this.flow.noteProducer(from);
    const wire: WireMessage = { id: this.nextMessageId++, dest, headers, body, redeliveries: 0 };
    if (isTopic(dest)) {
      this.topics.publish(wire);
      return;
    }
    const held = { wire, bytes: messageBytes(wire) };
    this.flow.add(held.bytes);
    const queue = this.queueFor(dest);
    queue.push(held);
    this.dispatch(queue);
  }

  subscribe(session: HubSession, key: number, dest: string, ack: AckMode, prefetch: number): void {
    const sub: HubSubscription = {
      session, key, dest, ack, prefetch, pendingOffers: new Set(), unacked: new Set(), stalled: false,
    };
    session.subs.set(key, sub);
    if (isTopic(dest)) {
      this.topics.add(sub);
      return;
    }
    const queue = this.queueFor(dest);
    queue.addConsumer(sub);
    this.dispatch(queue);
  }

  /** Drops a subscription: its open offers count as passed, its unacked messages go back. */
  unsubscribe(session: HubSession, key: number): void {
    const sub = session.subs.get(key);
    if (!sub) return;
    session.subs.delete(key);
    if (isTopic(sub.dest)) {
      this.topics.remove(sub);
      return;
    }
    const queue = this.queueFor(sub.dest);
    queue.removeConsumer(sub);
    for (const offer of [...sub.pendingOffers]) this.answer(sub, offer, false);
    for (const id of sub.unacked) this.returnToQueue(id);
    sub.unacked.clear();
    this.dispatch(queue);
  }

  /** Supervision: a session is gone (any cause); undo everything it held. */
  dropSession(session: HubSession): void {
    for (const key of [...session.subs.keys()]) this.unsubscribe(session, key);
    this.flow.forget(session);
  }

  /** `session` claims offer `offer` for its subscription `key`. */
  claim(session: HubSession, offer: number, key: number): void {
    const sub = session.subs.get(key);
    if (!sub || !sub.pendingOffers.has(offer)) {
      session.send({ t: 'refuse', offer });
      return;
    }
    this.answer(sub, offer, true);
  }

  /** `session` passes offer `offer` (made to its subscription `key`, if it still has it). */
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

  /** Acknowledged: the messages are done. Ids the session does not hold are ignored. */
  ack(session: HubSession, ids: readonly number[]): void {
    this.settle(session, ids, (queue, held) => {
      queue.delivered++;
      this.flow.remove(held.bytes);
    });
  }

  /** Refused by the client: the messages go back to their queue, flagged redelivered. */
  nack(session: HubSession, ids: readonly number[]): void {
    this.settle(session, ids, (queue, held) => {
      held.wire.redeliveries++;
      queue.restore(held);
    });
  }

  /** The session's socket went under (or over) its write watermark. */
  setWritable(session: HubSession, writable: boolean): void {
    session.writable = writable;
    if (writable) this.unstall(session);
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

  private queueFor(dest: string): Queue {
    let queue = this.queues.get(dest);
    if (!queue) {
      queue = new Queue(dest);
      this.queues.set(dest, queue);
    }
    return queue;
  }

  /** Offers ready messages while some consumer has credit. */
  private dispatch(queue: Queue): void {
    const credit = (sub: HubSubscription) => this.credit(sub);
    while (queue.depth > 0) {
      const chosen = queue.pickConsumers(this.options.offerFanout, credit);
      if (chosen.length === 0) return;
      const held = queue.shift()!;
      queue.offered++;
      const offer = this.claims.open({ held, queue }, chosen);
      for (const sub of chosen) {
        sub.pendingOffers.add(offer);
        sub.session.send({ t: 'offer', offer, sub: sub.key, msg: held.wire });
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

  /** Records `sub`'s answer to `offer`; grants or refuses a claim; requeues an unclaimed message. */
  private answer(sub: HubSubscription, offer: number, wants: boolean): void {
    sub.pendingOffers.delete(offer);
    const outcome = wants ? this.claims.claim(offer, sub) : this.claims.pass(offer, sub);
    const claim = outcome.closed ?? this.claims.get(offer);
    if (wants) sub.session.send({ t: outcome.granted ? 'grant' : 'refuse', offer });
    if (outcome.granted && claim) this.grant(sub, claim.message);
    if (outcome.closed) {
      const { held, queue } = outcome.closed.message;
      queue.offered--;
      if (outcome.closed.winner === null) queue.restore(held);
      this.dispatch(queue);
    }
  }

  private grant(sub: HubSubscription, { held, queue }: OfferedMessage): void {
    if (sub.ack === 'auto') {
      // ack:auto: the message counts as acknowledged once it is handed over.
      queue.delivered++;
      this.flow.remove(held.bytes);
      return;
    }
    queue.inflight.set(held.wire.id, { held, holder: sub });
    this.inflight.set(held.wire.id, queue);
    sub.unacked.add(held.wire.id);
  }

  /** Takes `ids` out of flight (only those `session` holds) and hands each to `done`. */
  private settle(session: HubSession, ids: readonly number[], done: (q: Queue, h: HeldMessage) => void): void {
    const touched = new Set<Queue>();
    for (const id of ids) {
      const queue = this.inflight.get(id);
      const entry = queue?.inflight.get(id);
      if (!queue || !entry || entry.holder.session !== session) continue;
      this.inflight.delete(id);
      queue.inflight.delete(id);
      entry.holder.unacked.delete(id);
      done(queue, entry.held);
      touched.add(queue);
    }
    this.unstall(session);
    for (const queue of touched) this.dispatch(queue);
  }

  /** Puts an in-flight message back at its place in its queue, flagged redelivered. */
  private returnToQueue(id: number): void {
    const queue = this.inflight.get(id);
    const entry = queue?.inflight.get(id);
    if (!queue || !entry) return;
    this.inflight.delete(id);
    queue.inflight.delete(id);
    entry.held.wire.redeliveries++;
    queue.restore(entry.held);
  }

  private unstall(session: HubSession): void {
    for (const sub of session.subs.values()) {
      if (!sub.stalled) continue;
      sub.stalled = false;
      if (!isTopic(sub.dest)) this.dispatch(this.queueFor(sub.dest));
    }
  }
}
