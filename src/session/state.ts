/**
 * The protocol state of one client, held by its session process: version, subscriptions and their
 * credit, messages awaiting ACK/NACK, open transactions and pending receipts.
 */
import type { AckMode, RequestId, TxOp } from '../ipc/contract.js';
import type { StompVersion } from '../protocol/frame.js';

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
  /** Deliveries awaiting ACK/NACK, oldest first (client modes only). */
  unacked: Map<string, Delivery>;
  /** UNSUBSCRIBE was sent: grants still in flight are not for the client any more. */
  closed: boolean;
  /** A durable topic subscription: fed from its own queue through offers, never by topic fan-out. */
  durable: boolean;
}

/** A MESSAGE written to the client and not yet acknowledged. */
export interface Delivery {
  /** What the client's ACK/NACK names: the `ack` header (1.2) or `message-id` (1.0, 1.1). */
  ackId: string;
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
}

/** Everything a session knows about its client. */
export class SessionState {
  connected = false;
  version: StompVersion = '1.0';
  login = '';
  readonly subscriptions = new Map<string, Subscription>();
  readonly subsByKey = new Map<number, Subscription>();
  /** Every unacknowledged delivery, by ack id. */
  readonly unacked = new Map<string, Delivery>();
  readonly transactions = new Map<string, Transaction>();
  /** Ack ids whose ack timeout passed: a late ACK/NACK for them is an error, not "unknown". */
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

  newDeliveryTag(): string {
    return String(this.nextTag++);
  }

  /** Subscriptions of this client whose destination `matches` the message's. */
  *subscriptionsFor(matches: (sub: Subscription) => boolean): Iterable<Subscription> {
    for (const sub of this.subscriptions.values()) if (!sub.closed && matches(sub)) yield sub;
  }

  /** Records a delivery that awaits ACK/NACK. */
  track(delivery: Delivery): void {
    delivery.sub.unacked.set(delivery.ackId, delivery);
    this.unacked.set(delivery.ackId, delivery);
  }

  /** Forgets deliveries once acknowledged, refused or returned. */
  untrack(deliveries: Iterable<Delivery>): void {
    for (const d of deliveries) {
      d.sub.unacked.delete(d.ackId);
      this.unacked.delete(d.ackId);
    }
  }
}
