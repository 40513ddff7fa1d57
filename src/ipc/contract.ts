/**
 * The bus contract: every message between the hub and a session (and the CLI's control client).
 * This is the only file that declares a bus message; both sides import it. A change to any shape
 * bumps BUS_VERSION, which the hub checks in `hello`.
 */
import type { Access } from '../auth/access.js';
import type { Headers, StompVersion } from '../protocol/frame.js';
import type { AckMode, MessageProps, NackOptions } from '../protocol/headers.js';

export type { Access, AckMode, MessageProps, NackOptions };

/** Version of this contract; a session speaking another version is turned away. */
export const BUS_VERSION = 12;

/** A message as it travels from the hub to a session. */
export interface WireMessage {
  /** Broker-wide message id, stable across redeliveries. */
  id: number;
  /** Destination the message was sent to. */
  dest: string;
  /** Headers of the SEND, minus those that belong to the SEND frame itself. */
  headers: Headers;
  body: Buffer;
  /** Times handed to a consumer before this delivery. */
  redeliveries: number;
}

/** Request id for messages that want an answer (`done`/`reject`); 0 = no answer wanted. */
export type RequestId = number;

// ---------------------------------------------------------------------------------------------
// Session → hub
// ---------------------------------------------------------------------------------------------

/** First message on the bus: who this session is and which contract it speaks. */
export interface HelloMsg { t: 'hello'; v: number; session: number; pid: number }
/**
 * The client's CONNECT credentials: the hub decides the login (a session never does) and answers
 * `auth-reply`. `cert` is the DER of the client's verified TLS certificate, empty when it has none.
 */
export interface AuthMsg { t: 'auth'; login: string; passcode: string; cert: Buffer }
/** The session applied the rights of `rights` push `gen`: requests after this are checked against them. */
export interface RightsAckMsg { t: 'rights-ack'; gen: number }
/** Answer to `drain`: the session stopped reading its client, no request follows this. */
export interface DrainedMsg { t: 'drained' }
/** The client finished CONNECT (after `auth-reply` accepted it): for `status` and logs. */
export interface ConnectedMsg {
  t: 'connected'; login: string; version: StompVersion; remote: string; clientId: string;
}
/** A SEND (outside a transaction). */
export interface PublishMsg {
  t: 'publish'; dest: string; headers: Headers; body: Buffer; props: MessageProps; rid: RequestId;
}
/**
 * A SUBSCRIBE; `sub` is the session's own key for it, `prefetch` 0 = unlimited, `ackTimeoutMs` 0 =
 * the destination's setting, `durable` names a durable topic subscription ('' = none).
 */
export interface SubscribeMsg {
  t: 'subscribe'; sub: number; dest: string; ack: AckMode; prefetch: number; ackTimeoutMs: number;
  durable: string; rid: RequestId;
}
/** An UNSUBSCRIBE: the hub drops the subscription and requeues what it held; `forget` ends a durable one. */
export interface UnsubscribeMsg { t: 'unsubscribe'; sub: number; forget: boolean; rid: RequestId }
/** Answer to an offer: this session's subscription `sub` takes it, if it may. */
export interface ClaimMsg { t: 'claim'; offer: number; sub: number }
/**
 * Answer to an offer: not taken (no matching subscription, no credit, socket full); `unmatched` when the
 * subscription's selector does not select the message (the subscription is not out of credit).
 */
export interface PassMsg { t: 'pass'; offer: number; unmatched?: boolean }
/** The client acknowledged these messages. */
export interface AckMsg { t: 'ack'; ids: number[]; rid: RequestId }
/** The client refused these messages: they go back to their queue, redelivered. */
export interface NackMsg { t: 'nack'; ids: number[]; options: NackOptions; rid: RequestId }
/** One operation of a committed transaction, in the order the client sent it. */
export type TxOp =
  | { t: 'publish'; dest: string; headers: Headers; body: Buffer; props: MessageProps }
  | { t: 'ack'; ids: number[] }
  | { t: 'nack'; ids: number[]; options: NackOptions };
/** A COMMIT: the hub applies every operation at once. */
export interface CommitMsg { t: 'commit'; ops: TxOp[]; rid: RequestId }
/** A barrier: answered once everything this session sent before it has taken effect. */
export interface SyncMsg { t: 'sync'; rid: RequestId }
/**
 * Consumer back-pressure: the client socket is past (or back under) its write watermark (`writable`),
 * and whether topic messages are still wanted: false once the client is so far behind that the session
 * would drop them (topicDropWatermark), so the hub drops them instead and sends the session nothing.
 */
export interface FlowMsg { t: 'flow'; writable: boolean; topics: boolean }
/** The client's connection ended: how ('disconnect', 'closed by client', 'error') and the ERROR sent, if any. */
export interface ClosedMsg { t: 'closed'; reason: string; error: string }
/**
 * The client ended cleanly and the session has reset itself to serve another: the hub forgets this
 * client (as if the session had exited) and answers `reset` before the session is handed a new one.
 */
export interface EndMsg { t: 'end' }

/** Everything a session may send to the hub. */
export type SessionToHub =
  | HelloMsg | ConnectedMsg | PublishMsg | SubscribeMsg | UnsubscribeMsg | ClaimMsg | PassMsg | AckMsg
  | NackMsg | CommitMsg | SyncMsg | FlowMsg | ClosedMsg | EndMsg | AuthMsg | RightsAckMsg | DrainedMsg;

// ---------------------------------------------------------------------------------------------
// Hub → session
// ---------------------------------------------------------------------------------------------

/** The hub accepts the session's hello. */
export interface WelcomeMsg { t: 'welcome'; v: number }
/**
 * A queue message offered to subscription `sub` of this session; answer `claim` or `pass`. When this
 * session is the only offeree (`reserved`), the claim's unit is already its own: it delivers at once,
 * and its claim is the confirmation (no grant follows). `epoch` counts the times the subscription passed
 * an offer for want of credit, as the hub knew when it opened this one: once the session passes an offer,
 * it passes every offer of that epoch or older too (they were sent before the hub knew, and taking one
 * would deliver it ahead of the message passed).
 */
export interface OfferMsg {
  t: 'offer'; offer: number; sub: number; reserved: boolean; epoch: number; msg: WireMessage;
}
/** The claim won: deliver the offered message. */
export interface GrantMsg { t: 'grant'; offer: number }
/** The claim lost: another session took the message. */
export interface RefuseMsg { t: 'refuse'; offer: number }
/** A topic message: deliver to every subscription of this session on `msg.dest`. */
export interface DeliverMsg { t: 'deliver'; msg: WireMessage }
/** Ack timeout: these messages of subscription `sub` went back to their queue; a late ACK is an error. */
export interface RevokeMsg { t: 'revoke'; sub: number; ids: number[] }
/** Request `rid` has taken effect. */
export interface DoneMsg { t: 'done'; rid: RequestId }
/** Request `rid` (or an unanswered one, rid 0) was refused; the session sends ERROR and closes. */
export interface RejectMsg { t: 'reject'; rid: RequestId; message: string; detail: string }
/** Producer flow control: stop (or resume) reading the client socket. */
export interface ThrottleMsg { t: 'throttle'; paused: boolean }
/**
 * Answer to `auth`: what the client may do, or null when the login is refused (the session sends
 * ERROR "access refused" and closes; the hub has already waited out the failure delay).
 */
export interface AuthReplyMsg { t: 'auth-reply'; access: Access | null }
/** A reload changed what the client may do: check its requests against `access` and answer `rights-ack`. */
export interface RightsMsg { t: 'rights'; gen: number; access: Access }
/**
 * The broker is stopping: stop reading the client and answer `drained`; the answers to requests
 * already sent still come (RECEIPTs are written), then `shutdown`.
 */
export interface DrainMsg { t: 'drain' }
/**
 * The broker is stopping: close the client's connection once what is written has gone. No ERROR, as
 * RabbitMQ and ActiveMQ send none: clients such as the Ruby gem raise an ERROR in the application,
 * where a plain close makes them reconnect.
 */
export interface ShutdownMsg { t: 'shutdown' }
/** Answer to `end`: everything the hub sent before this was for the previous client. */
export interface ResetMsg { t: 'reset' }

/** Everything the hub may send to a session. */
export type HubToSession =
  | WelcomeMsg | OfferMsg | GrantMsg | RefuseMsg | DeliverMsg | RevokeMsg | DoneMsg | RejectMsg | ThrottleMsg
  | ShutdownMsg | ResetMsg | AuthReplyMsg | RightsMsg | DrainMsg;

// ---------------------------------------------------------------------------------------------
// Control client (the CLI) ↔ hub, over the same bus; its first message tells it from a session
// ---------------------------------------------------------------------------------------------

/** The CLI's `status`: asks for a snapshot of the broker. */
export interface StatusRequestMsg { t: 'status'; rid: RequestId }
/** Answer to `status`. */
export interface StatusReplyMsg { t: 'status-reply'; rid: RequestId; status: BrokerStatus }

/** The CLI's `reload`: reread the users file and the destination configuration. */
export interface ReloadRequestMsg { t: 'reload'; rid: RequestId }
/** Answer to `reload`: whether the new files were taken, and what the hub logged about it. */
export interface ReloadReplyMsg { t: 'reload-reply'; rid: RequestId; ok: boolean; message: string }

/** What a control client may ask. */
export type ControlToHub = StatusRequestMsg | ReloadRequestMsg;
/** What the hub answers a control client. */
export type HubToControl = StatusReplyMsg | ReloadReplyMsg;

// ---------------------------------------------------------------------------------------------
// Parent ↔ child over the child_process channel (socket handoff, like cluster's `newconn`)
// ---------------------------------------------------------------------------------------------

/**
 * Sent with the client socket as handle: serve this client. `head` holds (base64) the bytes the hub
 * already read from it: over `tcp` until its first frame ended (the session parses them first); over
 * `ws` the HTTP upgrade request's header block (the session completes the upgrade). A `tls` socket comes
 * from the TLS port unread: the session does the handshake itself.
 */
export interface HandoffMsg { t: 'handoff'; remote: string; head: string; transport: ClientTransport }
/** How a client reached the broker: STOMP over TCP, over TLS, or over WebSocket. */
export type ClientTransport = 'tcp' | 'tls' | 'ws';
/**
 * The TLS port's key material (PEM text), sent once to every session before its first client: the
 * session cannot read files, and the key must not sit in its environment. `ca` empty = no client
 * certificates; else a client must present one the CA signed.
 */
export interface TlsSetupMsg { t: 'tls-setup'; key: string; cert: string; ca: string }
/** The child's answer: it took the socket, or refused it (the hub then gives it to another). */
export interface HandoffReplyMsg { t: 'handoff-reply'; accepted: boolean }
/** The child is up and joined the bus: it can take a client. */
export interface ReadyMsg { t: 'ready' }

/** Snapshot of the broker for `stomp-broker status`. */
export interface BrokerStatus {
  pid: number;
  version: string;
  uptimeMs: number;
  host: string;
  port: number;
  /** The TLS port, 0 when there is none. */
  tlsPort: number;
  /** The WebSocket port, 0 when there is none. */
  wsPort: number;
  connections: number;
  /** Sockets the hub holds while their first frame arrives (they cost no session yet). */
  pendingConnections: number;
  idleSessions: number;
  destinations: DestinationStatus[];
  /** Every session process: each one's own pid, what it does now and how many clients it has served. */
  sessions: SessionStatus[];
}

/** One session process. */
export interface SessionStatus {
  id: number;
  pid: number;
  state: 'starting' | 'idle' | 'busy';
  /** The client it serves ('' when none). */
  address: string;
  /** Clients handed to it so far (more than one when it was reused). */
  clients: number;
  /** Its client is not being read now: flow control paused it as a producer. */
  paused: boolean;
}

/** One destination's numbers. */
export interface DestinationStatus {
  name: string;
  kind: 'queue' | 'topic';
  depth: number;
  /** Bytes the queue holds in the hub's memory (charged against its bound). */
  bytes: number;
  consumers: number;
  inFlight: number;
  enqueued: number;
  delivered: number;
}

/** A dispatch table typed from a union: a new message kind fails `tsc` until it is handled. */
export type Handlers<U extends { t: string }, Ctx = void> = {
  [K in U['t']]: (m: Extract<U, { t: K }>, ctx: Ctx) => void;
};
