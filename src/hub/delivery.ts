/**
 * Delivery: offer → claim → grant. A ready queue message is offered to subscriptions with credit
 * (`offerFanout` sessions at once, round robin); the first claim takes the message (ClaimTable), the
 * last answer frees the claim, and a message nobody took goes back to its place. A sole offeree's
 * claim cannot lose, so its offer comes reserved: the session delivers at once and its claim confirms.
 */
import { isTopic } from '../protocol/destination.js';
import { ClaimTable } from './claim-table.js';
import type { HeldMessage, HubSession, HubSubscription } from './model.js';
import type { Queue } from './queue.js';
import type { RouterCore } from './router-core.js';
import type { Settlement } from './settlement.js';

/** Persistent messages whose delivery marks are written in advance with the one being offered. */
const MARK_AHEAD = 256;

/** Whether `held` is a persistent message whose delivery mark is not on disk yet. */
function needsMark(held: HeldMessage): boolean {
  return held.persistent && !held.marked;
}

/** A message under offer, and whether the offer has left for the sessions yet. */
interface OfferedMessage {
  held: HeldMessage;
  queue: Queue;
  /** False while the offer waits for its delivery mark to be on disk. */
  sent: boolean;
}

/** Delivery tunables (see BrokerConfig). */
export interface DeliveryOptions {
  offerFanout: number;
  autoAckWindow: number;
}

/** The claim table and everything that offers, grants and counts credit. */
export class Delivery {
  private readonly claims = new ClaimTable<OfferedMessage, HubSubscription>();
  /** Offers waiting, in queue order, for a delivery mark to be on disk (see offerInOrder). */
  private readonly waitingForMarks = new Map<Queue, Array<[number, OfferedMessage]>>();

  constructor(
    private readonly core: RouterCore,
    private readonly settlement: () => Settlement,
    private readonly options: DeliveryOptions,
  ) {}

  /** Offers ready messages while some consumer has credit; expired ones are dropped on the way. */
  dispatch(queue: Queue): void {
    const credit = (sub: HubSubscription) => this.credit(sub);
    while (queue.ready.length > 0) {
      const refused = queue.ready.peek()!.refusedBy;
      const chosen = queue.pickConsumers(this.options.offerFanout, refused ? (sub) => (refused.has(sub) ? 0 : credit(sub)) : credit);
      if (chosen.length === 0) {
        // Consumers with credit whose selectors all refused the head: set it aside, offer what follows.
        if (refused && queue.pickConsumers(1, credit).length > 0) {
          queue.park(queue.shift()!);
          continue;
        }
        break;
      }
      const held = queue.shift()!;
      if (held.expiresAt > 0 && held.expiresAt <= Date.now()) {
        this.settlement().expire(queue, held);
        continue;
      }
      queue.offered++;
      const offered: OfferedMessage = { held, queue, sent: false };
      const offer = this.claims.open(offered, chosen);
      for (const sub of chosen) sub.pendingOffers.add(offer);
      this.offerInOrder(queue, offer, offered);
    }
    this.core.refill(queue);
  }

  /** `session` claims offer `offer` for its subscription `key`. */
  claim(session: HubSession, offer: number, key: number): void {
    const sub = session.subs.get(key);
    if (!sub || !sub.pendingOffers.has(offer)) {
      session.send({ t: 'refuse', offer });
      return;
    }
    this.answer(sub, offer, true, false);
  }

  /**
   * `session` passes offer `offer`: out of credit (its subscription is stalled until it has credit
   * again), or `unmatched` by the subscription's selector (it is not offered that message again).
   */
  pass(session: HubSession, offer: number, unmatched = false): void {
    const claim = this.claims.get(offer);
    if (!claim) return;
    for (const sub of claim.waiting) {
      if (sub.session !== session) continue;
      if (unmatched) (claim.message.held.refusedBy ??= new Set()).add(sub);
      else this.stall(sub, offer);
      this.answer(sub, offer, false, false);
      return;
    }
  }

  /**
   * `sub` passed `offer` for want of credit. The offers sent to it meanwhile become stale: the session
   * passes them as well, and nothing new is offered to it until they are all back, so the passed
   * message is offered again before any that followed it (FIFO for a sole consumer whose socket filled).
   */
  private stall(sub: HubSubscription, offer: number): void {
    // One of the stale offers of the last pass: the session may have reported credit since, so this
    // pass says nothing about its credit now.
    if (offer <= sub.staleThrough) return;
    sub.stalled = true;
    sub.passes++;
    // Counts the passed offer too: its own answer, which follows, takes it off.
    sub.stale = sub.pendingOffers.size;
    for (const pending of sub.pendingOffers) sub.staleThrough = Math.max(sub.staleThrough, pending);
  }

  /**
   * A subscription ends: its open offers count as passed. When its session ended (`gone`), a reserved
   * offer it never answered may already have reached the client, so that message comes back as a
   * failed delivery (flagged redelivered, counted against `maxDeliveries`).
   */
  withdraw(sub: HubSubscription, gone: boolean): void {
    for (const offer of [...sub.pendingOffers]) this.answer(sub, offer, false, gone);
  }

  /** The session's socket went under (or over) its write watermark. */
  setWritable(session: HubSession, writable: boolean): void {
    session.writable = writable;
    if (writable) this.unstall(session);
  }

  /** The session has credit again (ACK, NACK, drained socket): clear stalls and offer what waits. */
  unstall(session: HubSession): void {
    for (const sub of session.subs.values()) {
      sub.stalled = false;
      if (isTopic(sub.source)) continue;
      const queue = this.core.destinations.existing(sub.source);
      if (queue) this.dispatch(queue);
    }
  }

  private credit(sub: HubSubscription): number {
    if (!sub.session.writable || sub.stalled || sub.stale > 0) return 0;
    const window = this.options.autoAckWindow;
    if (sub.ack === 'auto') return Math.min(sub.prefetch || window, window) - sub.pendingOffers.size;
    if (sub.prefetch === 0) return window - sub.pendingOffers.size;
    return sub.prefetch - sub.pendingOffers.size - sub.unacked.size;
  }

  /**
   * Sends an offer, in queue order. A persistent message's first delivery waits for its delivery mark
   * to be on disk, so that a client that saw it before a hub crash gets it back flagged redelivered; the
   * offers behind it wait too (a consumer must not get a later message first). One commit marks it and
   * the next MARK_AHEAD persistent messages of its queue, so a stream of deliveries does not wait for a
   * disk sync each round (after a crash, those few marked in advance come back flagged without having
   * been seen).
   */
  private offerInOrder(queue: Queue, offer: number, offered: OfferedMessage): void {
    const waiting = this.waitingForMarks.get(queue);
    if (!waiting && !needsMark(offered.held)) {
      this.sendOffer(offer, offered);
      return;
    }
    if (waiting) waiting.push([offer, offered]);
    else this.waitingForMarks.set(queue, [[offer, offered]]);
    this.sendMarked(queue);
  }

  /** Sends the waiting offers of `queue` whose marks are on disk, in order; starts the next mark. */
  private sendMarked(queue: Queue): void {
    const waiting = this.waitingForMarks.get(queue);
    if (!waiting) return;
    while (waiting.length > 0) {
      const [offer, offered] = waiting[0];
      const { held } = offered;
      if (needsMark(held)) {
        if (!held.marking) this.mark(queue, held);
        void held.marking!.then(() => this.sendMarked(queue));
        return;
      }
      waiting.shift();
      if (this.claims.get(offer)?.message === offered) this.sendOffer(offer, offered);
    }
    this.waitingForMarks.delete(queue);
  }

  /** Writes the delivery marks of `held` and the next persistent messages of its queue, in one commit. */
  private mark(queue: Queue, held: HeldMessage): void {
    const batch = [held, ...queue.ready.upcoming(MARK_AHEAD).filter((h) => needsMark(h) && !h.marking)];
    const written = Promise.all(batch.map((h) => this.core.store.markDelivered(h.wire.id, h.wire.redeliveries)));
    for (const h of batch) {
      h.marking = written.then(() => {
        h.marked = true;
        h.marking = undefined;
      });
    }
  }

  private sendOffer(offer: number, offered: OfferedMessage): void {
    const claim = this.claims.get(offer)!;
    offered.sent = true;
    const reserved = claim.offerees === 1;
    for (const sub of claim.waiting) {
      // An offer opened before the subscription's last pass (it waited for its mark) keeps its older epoch.
      const epoch = offer <= sub.staleThrough ? sub.passes - 1 : sub.passes;
      sub.session.send({ t: 'offer', offer, sub: sub.key, reserved, epoch, msg: offered.held.wire });
    }
  }

  /** Records `sub`'s answer to `offer`; grants or refuses a claim; puts back an unclaimed message. */
  private answer(sub: HubSubscription, offer: number, wants: boolean, gone: boolean): void {
    sub.pendingOffers.delete(offer);
    const lastStale = offer <= sub.staleThrough && sub.stale > 0 && --sub.stale === 0;
    const outcome = wants ? this.claims.claim(offer, sub) : this.claims.pass(offer, sub);
    const claim = outcome.closed ?? this.claims.get(offer);
    const reserved = claim !== undefined && claim.offerees === 1;
    if (wants && !reserved) sub.session.send({ t: outcome.granted ? 'grant' : 'refuse', offer });
    if (outcome.granted && claim) {
      claim.message.queue.offered--;
      this.grant(sub, claim.message);
    }
    if (!outcome.closed) {
      // The last stale offer is back: the subscription may have credit for the queue again.
      if (lastStale) this.dispatch(claim!.message.queue);
      return;
    }
    const { held, queue, sent } = outcome.closed.message;
    if (outcome.closed.winner === null) {
      queue.offered--;
      if (gone && reserved && sent) this.settlement().comeBack(queue, held, 'consumer went away', false);
      else queue.place(held, true);
    }
    this.dispatch(queue);
  }

  private grant(sub: HubSubscription, { held, queue }: OfferedMessage): void {
    queue.granted++;
    // ack:auto: the message counts as acknowledged once it is handed over.
    if (sub.ack === 'auto') this.settlement().finish(queue, held);
    else this.settlement().hold(sub, queue, held);
  }
}
