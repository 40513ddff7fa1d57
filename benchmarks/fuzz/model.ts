/**
 * A fuzz connection's model of its own session: what it subscribed, which transactions are open and
 * which messages await its ACK, so that every frame it calls valid is one the broker must accept.
 * The fuzz driver mutates these frames; the unmutated ones check that valid input stays accepted.
 */
import type { Frame, StompVersion } from '../../src/protocol/frame.js';
import type { Random } from './random.js';
import type { ClientFrame, HeaderPair } from './wire.js';

/** Queues the fuzz connections send to and subscribe to; a sink client keeps them drained. */
export const FUZZ_QUEUES = ['/queue/fuzz.0', '/queue/fuzz.1', '/queue/fuzz.2'];
/** Topics the fuzz connections use (no sink needed: unsubscribed topic messages are dropped). */
export const FUZZ_TOPICS = ['/topic/fuzz.a', '/topic/fuzz.b.c', '/topic/fuzz.*', '/topic/fuzz.#'];
/** Where the probes after each mutated frame go: a topic nobody subscribes to. */
export const PROBE_TOPIC = '/topic/fuzz-probe';

type AckMode = 'auto' | 'client' | 'client-individual';

interface ModelSub {
  id: string;
  dest: string;
  ack: AckMode;
}

/** A MESSAGE still to be acknowledged: its ack id and its subscription. */
interface Pending {
  ackId: string;
  sub: string;
}

/** Frames a client may send, by kind, with the weight of each among valid frames. */
const KIND_WEIGHTS = {
  send: 40, sendTx: 6, subscribe: 8, unsubscribe: 5, begin: 4, commit: 3, abort: 2, ack: 14, nack: 4,
} as const;
type Kind = keyof typeof KIND_WEIGHTS;

/** Limits that keep a long connection within the broker's per-connection bounds. */
const MAX_SUBS = 6;
const MAX_TXS = 3;

/** The session state one fuzz connection believes the broker holds for it. */
export class SessionModel {
  private readonly subs = new Map<string, ModelSub>();
  private readonly txs = new Set<string>();
  private pending: Pending[] = [];
  private counter = 0;

  constructor(readonly version: StompVersion, private readonly rnd: Random) {}

  /** Notes a MESSAGE the broker delivered, so that it can be acknowledged. */
  onMessage(frame: Frame): void {
    const sub = this.subs.get(frame.headers.subscription ?? '');
    if (!sub || sub.ack === 'auto') return;
    const ackId = this.version === '1.2' ? frame.headers.ack : frame.headers['message-id'];
    if (ackId !== undefined) this.pending.push({ ackId, sub: sub.id });
  }

  /** The next valid frame, updating the model as if the broker accepted it. */
  next(): ClientFrame {
    for (;;) {
      const frame = this.build(this.rnd.weighted(KIND_WEIGHTS));
      if (frame) return frame;
    }
  }

  /** Frames that leave the session clean at the end: open transactions aborted. */
  closing(): ClientFrame[] {
    return [...this.txs].map((tx) => this.frame('ABORT', [['transaction', tx]]));
  }

  private build(kind: Kind): ClientFrame | null {
    switch (kind) {
      case 'send': return this.send(undefined);
      case 'sendTx': return this.txs.size > 0 ? this.send(this.rnd.pick([...this.txs])) : null;
      case 'subscribe': return this.subs.size < MAX_SUBS ? this.subscribe() : null;
      case 'unsubscribe': return this.subs.size > 0 ? this.unsubscribe() : null;
      case 'begin': return this.txs.size < MAX_TXS ? this.begin() : null;
      case 'commit': return this.txs.size > 0 ? this.endTx('COMMIT') : null;
      case 'abort': return this.txs.size > 0 ? this.endTx('ABORT') : null;
      case 'ack': return this.pending.length > 0 ? this.settle('ACK') : null;
      case 'nack': return this.pending.length > 0 ? this.settle('NACK') : null;
    }
  }

  private send(tx: string | undefined): ClientFrame {
    const rnd = this.rnd;
    const dest = rnd.chance(0.5) ? rnd.pick(FUZZ_QUEUES) : rnd.pick(FUZZ_TOPICS.slice(0, 2));
    const headers: HeaderPair[] = [['destination', dest]];
    if (tx) headers.push(['transaction', tx]);
    if (rnd.chance(0.2)) headers.push(['persistent', 'true']);
    if (rnd.chance(0.2)) headers.push(['priority', String(rnd.int(0, 9))]);
    if (rnd.chance(0.1)) headers.push(['expiration', String(rnd.int(1000, 60_000))]);
    if (rnd.chance(0.3)) headers.push(['content-type', rnd.pick(['text/plain', 'application/octet-stream'])]);
    for (let i = rnd.int(0, 3); i > 0; i--) headers.push([`x-${rnd.word()}`, this.headerText()]);
    if (rnd.chance(0.3)) headers.push(['receipt', this.id('r')]);
    return this.frame('SEND', this.shuffleAfterFirst(headers), this.body());
  }

  private subscribe(): ClientFrame {
    const rnd = this.rnd;
    const dest = rnd.chance(0.6) ? rnd.pick(FUZZ_QUEUES) : rnd.pick(FUZZ_TOPICS);
    // Before 1.2 an ACK names a message by its message-id, which overlapping topic subscriptions of one
    // connection share: the broker cannot tell the copies apart, so topics are auto-acknowledged there.
    const ackModes = this.version !== '1.2' && dest.startsWith('/topic/') ? ['auto'] as const
      : ['auto', 'client', 'client-individual'] as const;
    const sub: ModelSub = { id: this.id('s'), dest, ack: rnd.pick(ackModes) };
    this.subs.set(sub.id, sub);
    const headers: HeaderPair[] = [['destination', sub.dest], ['id', sub.id], ['ack', sub.ack]];
    if (rnd.chance(0.5)) headers.push(['prefetch-count', String(rnd.int(1, 20))]);
    if (rnd.chance(0.2)) headers.push(['receipt', this.id('r')]);
    return this.frame('SUBSCRIBE', headers);
  }

  private unsubscribe(): ClientFrame {
    const id = this.rnd.pick([...this.subs.keys()]);
    this.subs.delete(id);
    this.pending = this.pending.filter((p) => p.sub !== id);
    return this.frame('UNSUBSCRIBE', [['id', id]]);
  }

  private begin(): ClientFrame {
    const tx = this.id('t');
    this.txs.add(tx);
    return this.frame('BEGIN', [['transaction', tx]]);
  }

  private endTx(command: 'COMMIT' | 'ABORT'): ClientFrame {
    const tx = this.rnd.pick([...this.txs]);
    this.txs.delete(tx);
    return this.frame(command, [['transaction', tx], ...this.maybeReceipt()]);
  }

  /** ACK or NACK of a pending message; in `client` mode it settles every earlier one of its subscription. */
  private settle(command: 'ACK' | 'NACK'): ClientFrame {
    const at = this.rnd.int(0, this.pending.length - 1);
    const target = this.pending[at];
    const sub = this.subs.get(target.sub)!;
    this.pending = this.pending.filter((p, i) => p.sub !== target.sub || (sub.ack === 'client' ? i > at : i !== at));
    const headers: HeaderPair[] = this.version === '1.2'
      ? [['id', target.ackId]]
      : [['message-id', target.ackId], ['subscription', target.sub]];
    if (command === 'NACK' && this.rnd.chance(0.5)) headers.push(['retry-after', String(this.rnd.int(0, 50))]);
    return this.frame(command, [...headers, ...this.maybeReceipt()]);
  }

  private frame(command: string, headers: HeaderPair[], body: Buffer = Buffer.alloc(0)): ClientFrame {
    return { command, headers, body };
  }

  private maybeReceipt(): HeaderPair[] {
    return this.rnd.chance(0.2) ? [['receipt', this.id('r')]] : [];
  }

  private id(prefix: string): string {
    return `${prefix}${++this.counter}`;
  }

  /** A header value: plain text, or (where escaping exists) the characters that need it. */
  private headerText(): string {
    const plain = this.rnd.word(0, 12);
    if (this.version === '1.0' || this.rnd.chance(0.7)) return plain;
    return plain + this.rnd.pick([':', '\\', '\n', 'a:b\\c', 'é✓']) + (this.version === '1.2' ? this.rnd.pick(['', '\r']) : '');
  }

  /** Mostly small bodies (the broker's cost per frame is what is being exercised), some large, some all NUL. */
  private body(): Buffer {
    const rnd = this.rnd;
    const kind = rnd.weighted({ empty: 3, text: 8, binary: 4, nuls: 2, large: 1 });
    switch (kind) {
      case 'empty': return Buffer.alloc(0);
      case 'binary': return rnd.bytes(rnd.int(1, 200));
      case 'nuls': return Buffer.alloc(rnd.int(1, 100), 0);
      case 'large': return Buffer.alloc(rnd.int(1000, 20_000), 0x62);
      default: return Buffer.from(`fuzz body ${rnd.word(1, 40)}`);
    }
  }

  private shuffleAfterFirst(headers: HeaderPair[]): HeaderPair[] {
    const [first, ...rest] = headers;
    rest.sort(() => this.rnd.next() - 0.5);
    return [first, ...rest];
  }
}
