/**
 * Session: one client, in its own process. Feeds client frames to the processor and hub messages to
 * their handlers, and decides from its own SUBSCRIBE state whether and how the client gets a message.
 */
import type { SessionConfig } from '../config.js';
import type {
  Access, Handlers, HubToSession, OfferMsg, RequestId, SessionToHub, WireMessage,
} from '../ipc/contract.js';
import type { BusPeer } from '../ipc/transport.js';
import { StompError } from '../protocol/errors.js';
import {
  type Frame, HEADER_ACK, HEADER_DESTINATION, HEADER_MESSAGE_ID, HEADER_RECEIPT, HEADER_RECEIPT_ID,
  HEADER_DELIVERY_COUNT, HEADER_REDELIVERED, HEADER_SUBSCRIPTION, type Headers,
} from '../protocol/frame.js';
import type { ClientLink } from './client-link.js';
import { Connection } from './connection.js';
import type { ConnectionControl, SessionContext } from './context.js';
import { acceptLogin, refuseLogin } from './handlers/connect.js';
import { processFrame } from './processor.js';
import { SessionState, type Subscription } from './state.js';

type Bus = BusPeer<HubToSession, SessionToHub>;

/** Bytes queued towards the hub past which the client socket stops being read. */
const BUS_BACKLOG_LIMIT = 8 * 1024 * 1024;
/** Longest a client that ended its side waits for the answers to its last frames. */
const PEER_END_GUARD_MS = 30_000;
/** The same while its login is still unanswered. */
const PEER_END_LOGIN_GUARD_MS = 2_000;
/** Longest an ERROR waits for the RECEIPTs of the frames before it. */
const FAIL_ORDER_GUARD_MS = 10_000;
/** Most message ids one folded ACK to the hub carries. */
const MAX_FOLDED_IDS = 4096;

/** One client's session. */
export class Session implements SessionContext {
  readonly state = new SessionState();
  readonly connection: ConnectionControl;
  private readonly conn: Connection;
  private closeAfterRid: RequestId = 0;
  private readonly hubHandlers: Handlers<HubToSession>;
  /** Offers claimed and awaiting grant or refuse (not reserved ones: those are delivered at once). */
  private readonly pendingOffers = new Map<number, { sub: Subscription; msg: WireMessage }>();
  /** Topic messages dropped because this client reads too slowly. */
  droppedTopicMessages = 0;
  /**
   * MESSAGE frames held back until the RECEIPTs of the requests sent before them are written: a
   * RECEIPT always precedes any frame its request caused (RabbitMQ and ActiveMQ order them so, and
   * synchronous clients depend on it). `after` is the newest receipt request outstanding at arrival.
   */
  private held: Array<{ after: RequestId; sub: Subscription; frame: Frame; bytes: number }> = [];
  private heldBytes = 0;
  /** Frames the client sent behind CONNECT, kept until the hub has answered the login. */
  private early: Frame[] = [];
  /** What was wrong with the bytes behind those frames: its ERROR comes after CONNECTED and them. */
  private earlyError: { err: StompError; partial: Frame | undefined } | null = null;
  /** The broker is stopping: no further client frame is acted on. */
  private draining = false;
  /**
   * A client frame failed while RECEIPTs of earlier frames were still due: its ERROR waits for them
   * (frames are answered in order, as RabbitMQ and ActiveMQ do; the client must learn that those took
   * effect), and nothing more is read meanwhile.
   */
  private failing: { err: StompError; frame: Frame | undefined; guard: NodeJS.Timeout } | null = null;
  /**
   * The client finished sending (half-close, or close after its last write): the frames it sent are
   * still acted on and answered (STOMP: "previously received frames SHOULD continue to get processed"),
   * then the connection closes. Set to the guard that closes it should that take too long.
   */
  private peerEnd: NodeJS.Timeout | null = null;

  /** The client is past topicDropWatermark: the hub was told to send no topic message until it catches up. */
  private topicsPaused = false;

  private readonly busDrained = () => this.conn.setPaused('bus', false);
  /** The client connection has closed; `reusable` when it ended cleanly (see `endedCleanly`). */
  onEnd: (reusable: boolean) => void = () => {};

  /** Serves the client on `link`; `head` holds the bytes the hub read from it before the handoff. */
  constructor(
    link: ClientLink,
    private readonly hub: Bus,
    readonly config: SessionConfig,
    readonly sessionName: string,
    readonly remote: string,
    head: Buffer,
    /** The DER of the client's TLS certificate (empty when none); asked at CONNECT, after the handshake. */
    private readonly peerCert: () => Buffer = () => Buffer.alloc(0),
  ) {
    this.conn = new Connection(link, config);
    this.connection = this.conn;
    this.conn.onFrame = (frame) => this.clientFrame(frame);
    this.conn.onParseError = (err, partial) => {
      if (this.state.pendingConnect) this.earlyError = { err, partial }; // the parser reads nothing more meanwhile
      else this.failInOrder(err, partial);
    };
    this.conn.onWritable = (writable) => {
      if (writable) this.topicsPaused = false;
      this.flow();
    };
    this.conn.onDrained = () => this.resumeTopics();
    this.conn.onPeerEnd = () => this.peerEnded();
    this.conn.onClose = () => {
      this.reportEnd();
      this.onEnd(this.endedCleanly());
    };
    this.hubHandlers = this.makeHubHandlers();
    hub.socket.on('drain', this.busDrained);
    this.conn.start(head);
  }

  /** A message from the hub for this client. */
  hubMessage(m: HubToSession): void {
    (this.hubHandlers[m.t] as (m: HubToSession) => void)(m);
  }

  /** Releases everything this client held in the process: timers, listeners, the socket. */
  dispose(): void {
    if (this.failing) clearTimeout(this.failing.guard);
    if (this.peerEnd) clearTimeout(this.peerEnd);
    this.hub.socket.off('drain', this.busDrained);
    this.conn.dispose();
  }

  /** Tells the hub how the client's connection ended (for its log): DISCONNECT, a close, or the ERROR sent. */
  private reportEnd(): void {
    const error = this.conn.error;
    const reason = error ? 'error' : this.state.disconnected ? 'disconnect' : this.draining ? 'broker stopping' : 'closed by client';
    this.bus({ t: 'closed', reason, error: error ? `${error.message}: ${error.detail}` : '' });
  }

  /**
   * Whether the client ended so that its session may serve another: no ERROR was sent, and it said
   * DISCONNECT or left nothing unsettled (no unacknowledged message, open transaction, pending receipt).
   */
  private endedCleanly(): boolean {
    if (this.conn.failed) return false;
    const { state } = this;
    if (state.disconnected) return true;
    return state.unacked.size === 0 && state.transactions.size === 0 && state.receipts.size === 0
      && this.held.length === 0 && this.pendingOffers.size === 0;
  }

  send(frame: Frame): void {
    this.conn.write(frame);
  }

  bus(message: SessionToHub): void {
    this.hub.send(message);
  }

  busAck(ids: number[], rid: RequestId): void {
    this.hub.sendOrFold({ t: 'ack', ids, rid }, (last) => {
      // Folded only into an ACK that awaits no receipt: a RECEIPT must not wait for a later ACK.
      if (last.t !== 'ack' || last.rid !== 0 || last.ids.length + ids.length > MAX_FOLDED_IDS) return false;
      for (const id of ids) last.ids.push(id);
      last.rid = rid;
      return true;
    });
  }

  receiptFor(frame: Frame): RequestId {
    const receipt = frame.headers[HEADER_RECEIPT];
    return receipt === undefined ? 0 : this.state.expectReceipt(receipt);
  }

  closeAfter(rid: RequestId): void {
    this.closeAfterRid = rid;
  }

  peerCertificate(): Buffer {
    return this.peerCert();
  }

  private clientFrame(frame: Frame): void {
    // DISCONNECT was the last frame that counts, or an ERROR is on its way.
    if (this.closeAfterRid || this.draining || this.failing) return;
    if (this.state.pendingConnect) {
      // Bounded: what was read with CONNECT (later bytes are held unparsed, see Connection.holdForLogin).
      this.early.push(frame);
      return;
    }
    const err = processFrame(frame, this);
    if (err) this.failInOrder(err, frame);
    if (this.state.pendingConnect) this.conn.holdForLogin(true);
    if (this.hub.backlog > BUS_BACKLOG_LIMIT) this.conn.setPaused('bus', true);
  }

  /** The hub's answer to the login: CONNECTED and the frames sent behind CONNECT, or ERROR and a close. */
  private loginAnswered(access: Access | null): void {
    if (!this.state.pendingConnect || this.conn.isClosing) return;
    const early = this.early;
    const earlyError = this.earlyError;
    this.early = [];
    this.earlyError = null;
    if (!access) {
      this.conn.fail(refuseLogin());
      return;
    }
    acceptLogin(this, access);
    for (const frame of early) {
      if (this.conn.isClosing) break;
      this.clientFrame(frame);
    }
    // CONNECTED first, as if the client had waited for it before sending the bad bytes.
    if (earlyError) return this.conn.fail(earlyError.err, earlyError.partial);
    this.conn.holdForLogin(false);
    this.closeIfSettled();
  }

  private peerEnded(): void {
    if (this.peerEnd) return;
    // A login not answered soon is one the hub is slowing down (failed attempts from the address):
    // a client that left does not hold its session and connection slot for the whole delay.
    const guard = this.state.pendingConnect ? PEER_END_LOGIN_GUARD_MS : PEER_END_GUARD_MS;
    this.peerEnd = setTimeout(() => this.conn.close(), guard);
    this.closeIfSettled();
  }

  /** After the client's end: closes once its login is answered and every RECEIPT it asked for is written. */
  private closeIfSettled(): void {
    if (!this.peerEnd || this.failing) return;
    if (this.state.pendingConnect || this.state.receipts.size > 0 || this.held.length > 0) return;
    this.conn.close();
  }

  /** A reload changed the client's rights: its next requests are checked against the new ones. */
  private rightsChanged(gen: number, access: Access): void {
    if (this.state.access) this.state.access = access;
    this.bus({ t: 'rights-ack', gen });
  }

  /** The broker is stopping: read nothing more; what was asked is still answered (RECEIPTs), then `shutdown`. */
  private drain(): void {
    this.draining = true;
    this.conn.setPaused('shutdown', true);
    this.bus({ t: 'drained' });
  }

  private makeHubHandlers(): Handlers<HubToSession> {
    return {
      welcome: () => {},
      offer: (m) => this.offered(m),
      grant: (m) => this.answered(m.offer, true),
      refuse: (m) => this.answered(m.offer, false),
      deliver: (m) => this.topicMessage(m.msg),
      revoke: (m) => this.revoked(m.sub, m.ids),
      done: (m) => this.requestDone(m.rid),
      reject: (m) => this.rejected(m.rid, m.message, m.detail),
      throttle: (m) => this.conn.setPaused('throttle', m.paused),
      shutdown: () => this.conn.close(),
      reset: () => {}, // main.ts waits for it between clients
      'auth-reply': (m) => this.loginAnswered(m.access),
      rights: (m) => this.rightsChanged(m.gen, m.access),
      drain: () => this.drain(),
    };
  }

  /** A queue message is offered: claim it if this subscription may take it now. */
  private offered({ offer, sub: key, reserved, epoch, msg }: OfferMsg): void {
    const sub = this.state.subsByKey.get(key);
    if (!sub || sub.closed || this.conn.isClosing) {
      this.bus({ t: 'pass', offer });
      return;
    }
    const full = sub.prefetch > 0 && sub.unacked.size + sub.claims >= sub.prefetch;
    // Once one offer is passed, the others sent before the hub knew are passed too (see OfferMsg).
    if (full || !this.conn.writable || epoch <= sub.passedEpoch) {
      sub.passedEpoch = Math.max(sub.passedEpoch, epoch);
      this.bus({ t: 'pass', offer });
      return;
    }
    if (sub.selector && !sub.selector.matches(selectable(msg))) {
      this.bus({ t: 'pass', offer, unmatched: true }); // not for this subscription: the hub offers it elsewhere
      return;
    }
    this.bus({ t: 'claim', offer, sub: key });
    if (reserved) {
      this.deliver(sub, msg, true);
      return;
    }
    sub.claims++;
    this.pendingOffers.set(offer, { sub, msg });
  }

  private answered(offer: number, granted: boolean): void {
    const pending = this.pendingOffers.get(offer);
    if (!pending) return;
    this.pendingOffers.delete(offer);
    const { sub, msg } = pending;
    sub.claims--;
    if (sub.closed && sub.claims === 0) this.state.subsByKey.delete(sub.key);
    if (!granted) return;
    // A closed client-mode subscription's grant is returned by the hub at UNSUBSCRIBE; an auto-ack
    // one is already settled, so the client still gets it rather than have it lost.
    if (!sub.closed || sub.ack === 'auto') this.deliver(sub, msg, true);
  }

  private topicMessage(msg: WireMessage): void {
    for (const sub of this.state.topicSubscriptionsFor(msg.dest)) {
      if (sub.selector && !sub.selector.matches(selectable(msg))) continue;
      if (this.backlog > this.config.topicDropWatermark) {
        // A slow topic subscriber loses messages rather than grow without bound (ActiveMQ does too);
        // the hub drops them from now on, so a client that never reads costs no more CPU than one that is gone.
        this.droppedTopicMessages++;
        if (!this.topicsPaused) {
          this.topicsPaused = true;
          this.flow();
        }
        continue;
      }
      this.deliver(sub, msg, false);
    }
  }

  /** Writes MESSAGE (STOMP 1.2 "MESSAGE") and, in client ack modes, awaits its ACK/NACK. */
  private deliver(sub: Subscription, msg: WireMessage, fromQueue: boolean): void {
    const { state } = this;
    const messageId = String(msg.id);
    const headers: Headers = {
      [HEADER_SUBSCRIPTION]: sub.id,
      [HEADER_MESSAGE_ID]: messageId,
      [HEADER_DESTINATION]: sub.alias ?? msg.dest,
    };
    if (msg.redeliveries > 0) {
      headers[HEADER_REDELIVERED] = 'true';
      headers[HEADER_DELIVERY_COUNT] = String(msg.redeliveries);
    }
    if (sub.ack !== 'auto') {
      const ackId = state.version === '1.2' ? state.newDeliveryTag() : messageId;
      if (state.version === '1.2') headers[HEADER_ACK] = ackId;
      state.track({ ackId, key: state.deliveryKey(sub, ackId), msgId: msg.id, sub, fromQueue });
    }
    Object.assign(headers, msg.headers);
    this.writeMessage(sub, { command: 'MESSAGE', headers, body: msg.body });
  }

  /** Writes a MESSAGE now, or holds it behind the receipts outstanding (see `held`). */
  private writeMessage(sub: Subscription, frame: Frame): void {
    const after = this.state.newestReceipt();
    if (after === 0 && this.held.length === 0) {
      this.conn.write(frame);
      return;
    }
    const bytes = frame.body.length + 256;
    this.held.push({ after, sub, frame, bytes });
    this.heldBytes += bytes;
  }

  /** Writes the held MESSAGEs whose receipts have all been written (`all`: every one). */
  private releaseHeld(all = false): void {
    const oldest = all ? 0 : this.state.oldestReceipt();
    let n = 0;
    for (; n < this.held.length; n++) {
      const h = this.held[n];
      if (oldest !== 0 && h.after >= oldest) break;
      this.heldBytes -= h.bytes;
      // A client-mode subscription ended meanwhile: the hub took its unacknowledged messages back.
      if (h.sub.closed && h.sub.ack !== 'auto') continue;
      this.conn.write(h.frame);
    }
    if (n > 0) this.held = this.held.slice(n);
    this.resumeTopics();
  }

  /**
   * Topic messages paused while the socket stayed under its write watermark (a drop watermark below it,
   * or messages held behind receipts) resume once the backlog is down to half the drop watermark.
   */
  private resumeTopics(): void {
    if (!this.topicsPaused || !this.conn.writable || this.backlog > this.config.topicDropWatermark / 2) return;
    this.topicsPaused = false;
    this.flow();
  }

  /** Tells the hub how far behind the client is (see FlowMsg). */
  private flow(): void {
    this.bus({ t: 'flow', writable: this.conn.writable, topics: !this.topicsPaused });
  }

  /** Bytes waiting for the client: unsent on the socket plus held behind receipts. */
  private get backlog(): number {
    return this.conn.backlog + this.heldBytes;
  }

  /** Ack timeout: the hub took these messages back; the client's late ACK will be an error. */
  private revoked(key: number, ids: number[]): void {
    const sub = this.state.subsByKey.get(key);
    if (!sub) return;
    const gone = [...sub.unacked.values()].filter((d) => ids.includes(d.msgId));
    this.state.untrack(gone);
    for (const d of gone) this.state.revoke(d.ackId);
  }

  private requestDone(rid: RequestId): void {
    const receipt = this.state.receipts.get(rid);
    if (receipt === undefined) return;
    this.state.receipts.delete(rid);
    // DISCONNECT's RECEIPT is the last frame: whatever is still held goes before it.
    if (rid === this.closeAfterRid) this.releaseHeld(true);
    this.conn.write({ command: 'RECEIPT', headers: { [HEADER_RECEIPT_ID]: receipt }, body: Buffer.alloc(0) });
    if (this.held.length > 0) this.releaseHeld();
    if (rid === this.closeAfterRid) this.conn.close();
    if (this.failing && this.state.receipts.size === 0) this.failNow();
    this.closeIfSettled();
  }

  private rejected(rid: RequestId, message: string, detail: string): void {
    const receipt = this.state.receipts.get(rid);
    this.state.receipts.delete(rid); // answered by the ERROR
    const frame = receipt === undefined ? undefined
      : { command: 'SEND', headers: { [HEADER_RECEIPT]: receipt }, body: Buffer.alloc(0) };
    this.failInOrder(new StompError('RESOURCE_LIMIT', message, detail), frame);
  }

  /** Sends ERROR for `err` and closes once the RECEIPTs still due for earlier frames are written (see `failing`). */
  private failInOrder(err: StompError, frame: Frame | undefined): void {
    if (this.failing) return;
    if (this.state.receipts.size === 0) {
      this.conn.fail(err, frame);
      return;
    }
    this.conn.setPaused('error', true);
    // The hub answers every request; should it not, the client still gets its ERROR.
    const guard = setTimeout(() => this.failNow(), FAIL_ORDER_GUARD_MS);
    this.failing = { err, frame, guard };
  }

  private failNow(): void {
    if (!this.failing) return;
    const { err, frame, guard } = this.failing;
    clearTimeout(guard);
    this.releaseHeld(true);
    this.conn.fail(err, frame);
  }
}

/** The headers a selector reads: the message's own and those the broker sets on its MESSAGE. */
function selectable(msg: WireMessage): Headers {
  const headers: Headers = { ...msg.headers, [HEADER_DESTINATION]: msg.dest, [HEADER_MESSAGE_ID]: String(msg.id) };
  if (msg.redeliveries > 0) {
    headers[HEADER_REDELIVERED] = 'true';
    headers[HEADER_DELIVERY_COUNT] = String(msg.redeliveries);
  }
  return headers;
}
