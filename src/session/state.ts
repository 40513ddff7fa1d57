/**
 * The protocol state of one client, held by its session process: version, subscriptions and their
 * credit, messages awaiting ACK/NACK, open transactions and pending receipts.
 */
import type { Access, AckMode, RequestId, TxOp } from '../ipc/contract.js';
import type { Selector } from '../selector/selector.js';
import { isTopic, TopicTrie } from '../protocol/destination.js';
import type { StompVersion } from '../protocol/frame.js';

/** Destinations whose matching topic subscriptions a session remembers (see topicMatches). */
const MAX_TOPIC_MATCHES = 1024;

/** Revoked ack ids remembered; an older one's late ACK is reported as an unknown message instead. */
const MAX_REVOKED = 10_000;

/** One SUBSCRIBE of this client. */
export interface Subscription {
  /** The client's `id` header (1.0 clients may omit it: then the destination is used). */
  id: string;
  /** Key on the bus, unique within this session. */
  key: number;
  dest: string;
  ack: AckMode;
  /** Credit, 0 = unlimited. */
  prefetch: number;
  /** Offers claimed and not yet granted or refused. */
  claims: number;
  /** The newest offer epoch in which an offer was passed for want of credit (-1: none); see OfferMsg. */
  passedEpoch: number;
  /** Deliveries awaiting ACK/NACK, oldest first (client modes only). */
  unacked: Map<string, Delivery>;
  /** UNSUBSCRIBE was sent: grants still in flight are not for the client any more. */
  closed: boolean;
  /** A durable topic subscription: fed from its own queue through offers, never by topic fan-out. */
  durable: boolean;
  /** The name the client used when it differs from `dest` (a temporary queue): MESSAGEs carry it. */
  alias?: string;
  /** The SUBSCRIBE's `selector`: only messages it selects are delivered. */
  selector?: Selector;
}

/** A MESSAGE written to the client and not yet acknowledged. */
export interface Delivery {
  /** What the client's ACK/NACK names: the `ack` header (1.2) or `message-id` (1.0, 1.1). */
  ackId: string;
  /**
   * Unique among this connection's deliveries: the ack id in 1.2; in 1.0/1.1 the subscription and the
   * message id, since overlapping topic subscriptions get the same message (and message-id) each.
   */
  key: string;
  /** Broker message id. */
  msgId: number;
  sub: Subscription;
  /** Queue messages are settled at the hub; topic messages only here. */
  fromQueue: boolean;
}

/** An open transaction: operations in client order, plus the deliveries its ACK/NACKs settle. */
export interface Transaction {
  ops: TxOp[];
  settles: Delivery[];
  /** Body bytes of the SENDs held. */
  bytes: number;
}

/** A CONNECT waiting for the hub's login answer: what CONNECTED will say. */
export interface PendingConnect {
  version: StompVersion;
  heartBeat: { send: number; receive: number; header: string };
}

/** Everything a session knows about its client. */
export class SessionState {
  connected = false;
  /** DISCONNECT was received: the client ended the session itself (cleanly, whatever it left unacked). */
  disconnected = false;
  version: StompVersion = '1.0';
  login = '';
  /** CONNECT was sent to the hub for its login check and not answered yet. */
  pendingConnect: PendingConnect | null = null;
  /** What the client may do, from the hub; null until its login is accepted. */
  access: Access | null = null;
  readonly subscriptions = new Map<string, Subscription>();
  readonly subsByKey = new Map<number, Subscription>();
  /** Open topic subscriptions fed by topic fan-out (durable ones are fed through offers). */
  private readonly topicSubs = new TopicTrie<Subscription>();
  /**
   * The trie's answers by destination, until the subscriptions change: a topic usually carries many
   * messages to the same name, and matching each one again cost a subscriber ~15% of its CPU.
   */
  private readonly topicMatches = new Map<string, Subscription[]>();
  /** Every unacknowledged delivery, by its key. */
  readonly unacked = new Map<string, Delivery>();
  readonly transactions = new Map<string, Transaction>();
  /** Ack ids whose ack timeout passed (the newest MAX_REVOKED): a late ACK/NACK for them says so. */
  readonly revoked = new Set<string>();
  clientId = '';
  /** Receipt header value of each request awaiting the hub's answer. */
  readonly receipts = new Map<RequestId, string>();
  /** The newest request id given a receipt. */
  private lastReceipt: RequestId = 0;
  private nextKey = 1;
  private nextRid = 1;
  private nextTag = 1;

  newSubscriptionKey(): number {
    return this.nextKey++;
  }

  newRequestId(): RequestId {
    return this.nextRid++;
  }

  /** A request id whose answer releases RECEIPT `receipt`. */
  expectReceipt(receipt: string): RequestId {
    const rid = this.newRequestId();
    this.receipts.set(rid, receipt);
    this.lastReceipt = rid;
    return rid;
  }

  /** The newest request awaiting a RECEIPT, 0 when none (answers come in request order). */
  newestReceipt(): RequestId {
    return this.receipts.size > 0 ? this.lastReceipt : 0;
  }

  /** The oldest request awaiting a RECEIPT, 0 when none. */
  oldestReceipt(): RequestId {
    for (const rid of this.receipts.keys()) return rid;
    return 0;
  }

  /**
   * A 1.2 `ack` value: in a namespace of its own, so an ACK that names a `message-id` by mistake is an
   * ERROR, never the settlement of another message whose tag happened to be that number.
   */
  newDeliveryTag(): string {
    return `ack-${this.nextTag++}`;
  }

  /** Adds a subscription (topic ones also to the trie topic messages are matched in). */
  addSubscription(sub: Subscription): void {
    this.subscriptions.set(sub.id, sub);
    this.subsByKey.set(sub.key, sub);
    if (isTopic(sub.dest) && !sub.durable && this.topicSubs.add(sub.dest, sub)) this.topicMatches.clear();
  }

  /** Ends a subscription: nothing more is delivered to it; grants still in flight find it closed. */
  closeSubscription(sub: Subscription): void {
    sub.closed = true;
    this.subscriptions.delete(sub.id);
    if (this.topicSubs.remove(sub.dest, sub)) this.topicMatches.clear();
    if (sub.claims === 0) this.subsByKey.delete(sub.key);
  }

  /** The open, non-durable topic subscriptions whose destination matches topic `dest`. */
  topicSubscriptionsFor(dest: string): readonly Subscription[] {
    if (this.topicSubs.size === 0) return [];
    let subs = this.topicMatches.get(dest);
    if (subs === undefined) {
      // Bounded: a client subscribed to a wildcard over endlessly many names must not grow it forever.
      if (this.topicMatches.size >= MAX_TOPIC_MATCHES) this.topicMatches.clear();
      subs = [...this.topicSubs.match(dest)];
      this.topicMatches.set(dest, subs);
    }
    return subs;
  }

  /** Remembers that `ackId` went back to its queue when its ack timeout passed. */
  revoke(ackId: string): void {
    this.revoked.add(ackId);
    // Oldest first: a client that never ACKs must not grow this set without bound.
    if (this.revoked.size > MAX_REVOKED) this.revoked.delete(this.revoked.values().next().value!);
  }

  /** Records a delivery that awaits ACK/NACK. */
  track(delivery: Delivery): void {
    delivery.sub.unacked.set(delivery.ackId, delivery);
    this.unacked.set(delivery.key, delivery);
  }

  /** The delivery key of `ackId` delivered to `sub` (see Delivery.key). */
  deliveryKey(sub: Subscription, ackId: string): string {
    return this.version === '1.2' ? ackId : `${sub.key}:${ackId}`;
  }

  /**
   * The unacknowledged delivery an ACK/NACK names. In 1.2 the ack id is unique; in 1.0/1.1 the message
   * id is unique per subscription: 1.1's `subscription` header says which, else the first that has it.
   */
  findDelivery(ackId: string, subscriptionId: string | undefined): Delivery | undefined {
    if (this.version === '1.2') return this.unacked.get(ackId);
    if (subscriptionId !== undefined) return this.subscriptions.get(subscriptionId)?.unacked.get(ackId);
    for (const sub of this.subscriptions.values()) {
      const d = sub.unacked.get(ackId);
      if (d) return d;
    }
    return undefined;
  }

  /** Forgets deliveries once acknowledged, refused or returned. */
  untrack(deliveries: Iterable<Delivery>): void {
    for (const d of deliveries) {
      d.sub.unacked.delete(d.ackId);
      this.unacked.delete(d.key);
    }
  }
}
