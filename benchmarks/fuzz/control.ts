/**
 * Bystanders of a fuzz run. The control client sends persistent messages with receipts to its own
 * queue and consumes them (client-individual, ACKs with receipts): it must never see an ERROR and
 * must get every message it sent exactly once, in order. The sink keeps the fuzz queues drained so
 * that the run's memory stays flat; it must never see an ERROR either.
 */
import type { Frame } from '../../src/protocol/frame.js';
import { FUZZ_QUEUES } from './model.js';
import { encode, type ClientFrame, type HeaderPair, WireClient } from './wire.js';

/** The control client's queue. */
export const CONTROL_QUEUE = '/queue/fuzz-control';
/** Messages the control client keeps in flight. */
const WINDOW = 4;
/** Pause before the next SEND once one is receipted: the control client is a witness, not load. */
const PACE_MS = 10;

/** What the control client saw. */
export interface ControlReport {
  sent: number;
  receipted: number;
  received: number;
  acked: number;
  duplicates: number;
  outOfOrder: number;
  redelivered: number;
  errors: string[];
}

function frame(command: string, headers: HeaderPair[], body = ''): ClientFrame {
  return { command, headers, body: Buffer.from(body) };
}

/** Connects a STOMP 1.2 client without heart-beats; throws unless CONNECTED comes. */
export async function connect12(host: string, port: number): Promise<WireClient> {
  const client = await WireClient.connect(host, port);
  client.write(encode(frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]), '1.2'));
  const got = await client.read(30_000);
  if (got.kind !== 'frame' || got.frame.command !== 'CONNECTED') throw new Error(`no CONNECTED (${got.kind})`);
  client.version = '1.2';
  return client;
}

/** The control client: sends while the run goes on, then waits for everything to come back. */
export class ControlClient {
  readonly report: ControlReport = { sent: 0, receipted: 0, received: 0, acked: 0, duplicates: 0, outOfOrder: 0, redelivered: 0, errors: [] };
  private sending = true;
  private readonly seen = new Set<number>();
  private next = 0;
  private pumping: Promise<void> = Promise.resolve();

  private constructor(private readonly client: WireClient) {}

  /** Connects, subscribes and starts sending. */
  static async start(host: string, port: number): Promise<ControlClient> {
    const control = new ControlClient(await connect12(host, port));
    control.client.write(encode(frame('SUBSCRIBE', [['destination', CONTROL_QUEUE], ['id', 'ctl'],
      ['ack', 'client-individual'], ['prefetch-count', '50']]), '1.2'));
    for (let i = 0; i < WINDOW; i++) control.sendOne();
    control.pumping = control.pump();
    return control;
  }

  /** Stops sending; resolves once every receipted message came back and was ACKed, or after `timeoutMs`. */
  async finish(timeoutMs = 60_000): Promise<ControlReport> {
    this.sending = false;
    const deadline = Date.now() + timeoutMs;
    const r = this.report;
    while ((r.received < r.sent || r.acked < r.received || r.receipted < r.sent) && Date.now() < deadline && !this.client.closed) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (r.received < r.sent) r.errors.push(`${r.sent - r.received} of ${r.sent} messages never came back`);
    if (r.receipted < r.sent) r.errors.push(`${r.sent - r.receipted} SENDs never got their RECEIPT`);
    this.client.destroy();
    await this.pumping;
    return r;
  }

  private sendOne(): void {
    const seq = this.report.sent++;
    this.client.write(encode(frame('SEND', [['destination', CONTROL_QUEUE], ['persistent', 'true'],
      ['receipt', `c${seq}`], ['seq', String(seq)]], `control message ${seq}`), '1.2'));
  }

  private async pump(): Promise<void> {
    for (;;) {
      const got = await this.client.read(1000);
      if (got.kind === 'closed') {
        if (this.sending || this.report.received < this.report.sent) this.report.errors.push('control connection closed');
        return;
      }
      if (got.kind === 'frame') this.handle(got.frame);
    }
  }

  private handle(f: Frame): void {
    if (f.command === 'RECEIPT') {
      if (f.headers['receipt-id'].startsWith('c')) {
        this.report.receipted++;
        if (this.sending) setTimeout(() => { if (this.sending) this.sendOne(); }, PACE_MS);
      } else this.report.acked++;
    } else if (f.command === 'MESSAGE') {
      this.message(f);
    } else {
      this.report.errors.push(`${f.command}: ${f.headers.message ?? ''} ${f.body.toString('utf8').trim()}`.slice(0, 300));
    }
  }

  private message(f: Frame): void {
    const seq = Number(f.headers.seq);
    this.report.received++;
    if (f.headers.redelivered === 'true') this.report.redelivered++;
    if (this.seen.has(seq)) this.report.duplicates++;
    else if (seq !== this.next) this.report.outOfOrder++;
    this.seen.add(seq);
    this.next = Math.max(this.next, seq + 1);
    this.client.write(encode(frame('ACK', [['id', f.headers.ack], ['receipt', `a${seq}`]]), '1.2'));
  }
}

/** Drains the fuzz queues (auto ack); records any ERROR or close while the run goes on. */
export class Sink {
  received = 0;
  readonly errors: string[] = [];
  private stopped = false;
  private pumping: Promise<void> = Promise.resolve();

  private constructor(private readonly client: WireClient) {}

  /** Connects and subscribes to every fuzz queue. */
  static async start(host: string, port: number): Promise<Sink> {
    const sink = new Sink(await connect12(host, port));
    FUZZ_QUEUES.forEach((q, i) => sink.client.write(encode(frame('SUBSCRIBE', [['destination', q], ['id', `sink${i}`]]), '1.2')));
    sink.pumping = sink.pump();
    return sink;
  }

  /** Stops and returns what it saw. */
  async stop(): Promise<{ received: number; errors: string[] }> {
    this.stopped = true;
    this.client.destroy();
    await this.pumping;
    return { received: this.received, errors: this.errors };
  }

  private async pump(): Promise<void> {
    for (;;) {
      const got = await this.client.read(1000);
      if (got.kind === 'closed') {
        if (!this.stopped) this.errors.push('sink connection closed');
        return;
      }
      if (got.kind !== 'frame') continue;
      if (got.frame.command === 'MESSAGE') this.received++;
      else this.errors.push(`${got.frame.command}: ${got.frame.headers.message ?? ''}`);
    }
  }
}
