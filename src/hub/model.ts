/**
 * What the hub knows of sessions and their subscriptions. The session process is the authority on
 * protocol state; these records are the hub's view for routing, credit and supervision.
 */
import type { AckMode, HubToSession, WireMessage } from '../ipc/contract.js';

/** The hub's record of one session process. */
export interface HubSession {
  /** The session process (its pool id); the same for every client a reused session serves. */
  id: number;
  /** Unique per client, across session reuse: what held messages name as their producer. */
  serial: number;
  pid: number;
  /** Sends a bus message to the session (batched per turn). */
  send(message: HubToSession): void;
  subs: Map<number, HubSubscription>;
  /** False while the client socket is past its write watermark. */
  writable: boolean;
  /** True while its client is too far behind to be sent topic messages: the hub drops them (see FlowMsg). */
  topicsPaused?: boolean;
  login: string;
  version: string;
  remote: string;
  clientId: string;
  /** When its client's CONNECT succeeded (epoch ms); unset before (management API: "connected since"). */
  connectedAt?: number;
  /** Requests whose answer waits for the store, so answers leave in request order. */
  pending: Promise<void> | null;
  /**
   * Its client ended and the session went back to the pool: a login answer still on its way (the
   * failure delay) is not for the session's next client, and is dropped.
   */
  ended?: boolean;
}

/** The hub's view of one subscription of one session. */
export interface HubSubscription {
  session: HubSession;
  /** The session's own key for this subscription. */
  key: number;
  /** Where messages come from: the queue or topic name (a durable subscription's own queue). */
  source: string;
  ack: AckMode;
  /** Credit: unacknowledged messages allowed, 0 = unlimited. */
  prefetch: number;
  /** Unacknowledged messages return to the queue after this long; 0 = the queue's policy. */
  ackTimeoutMs: number;
  /** Offers sent and not answered. */
  pendingOffers: Set<number>;
  /** Messages granted and not yet acknowledged (client ack modes). */
  unacked: Set<number>;
  /** The session passed an offer: offer nothing until it reports credit again. */
  stalled: boolean;
  /** Times the session passed an offer for want of credit (the `epoch` of the offers opened since). */
  passes: number;
  /**
   * Offers up to this id were opened before the last such pass: the session passes them too, and no
   * new offer goes out until they are all answered, or a newer message could overtake the one passed.
   */
  staleThrough: number;
  /** Pending offers up to `staleThrough`. */
  stale: number;
}

/** One failed delivery, for the dead-letter history. */
export interface Failure {
  time: number;
  reason: string;
}

/** A message held by the hub in one queue: what travels on the bus plus what the hub needs. */
export interface HeldMessage {
  wire: WireMessage;
  /** The queue holding it (differs from wire.dest for fan-out copies and durable subscriptions). */
  queue: string;
  bytes: number;
  priority: number;
  /** Epoch ms before which it is not offered; 0 = now. */
  deliverAt: number;
  /** Epoch ms after which it expires; 0 = never. */
  expiresAt: number;
  persistent: boolean;
  failures: Failure[];
  /** The client that sent it (HubSession.serial), charged for its bytes; 0 = none (recovered). */
  producer: number;
  /**
   * A delivery mark is on disk for its current delivery count, so a hub crash after the client saw it
   * brings it back flagged redelivered (persistent messages only).
   */
  marked: boolean;
  /** The delivery mark being written, when it is. */
  marking?: Promise<void>;
  /** A non-persistent message written to disk only to keep its place in a paged-out queue. */
  transient?: boolean;
  /** Subscriptions whose selector does not select it: it is not offered to them again. */
  refusedBy?: Set<HubSubscription>;
}

/** Size charged against the memory watermark for a message. */
export function messageBytes(wire: WireMessage): number {
  // Object, Buffer and map overheads: about 1 KiB per held message, measured (benchmarks/recovery.ts).
  let bytes = wire.body.length + wire.dest.length + 1024;
  for (const name in wire.headers) bytes += name.length + wire.headers[name].length + 2;
  return bytes;
}
