/**
 * Chaos clients: producers of persistent messages with a receipt each, and consumers with
 * ack:client-individual and ACKs with receipts. Each one reconnects whenever its connection goes
 * (its session was killed, or the hub) and goes on, writing everything it sees to the ledger.
 */
import type { Frame } from '../../src/protocol/frame.js';
import { encode, type HeaderPair, WireClient } from '../fuzz/wire.js';
import { Ledger } from './ledger.js';

/** Where clients connect and what they share. */
export interface ClientContext {
  host: string;
  port: () => number;
  ledger: Ledger;
  queues: readonly string[];
  /** Pids of the session processes serving the clients now (from CONNECTED's `session` header). */
  sessionPids: Set<number>;
  /** Every ERROR a client received (expected: none). */
  errors: string[];
}

/** The broker is asked for a heart-beat this often, ms. */
const SERVER_BEAT_MS = 2000;
/** A connection silent this long (no frame, no heart-beat) is taken for stuck and replaced. */
const STUCK_MS = 10_000;

/** Connects (retrying while the broker is away) and returns a 1.2 client, or null once `stopped()`. */
async function connectRetrying(ctx: ClientContext, stopped: () => boolean): Promise<{ client: WireClient; pid: number } | null> {
  while (!stopped()) {
    try {
      const client = await WireClient.connect(ctx.host, ctx.port(), 5000);
      client.write(encode({ command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/'],
        ['heart-beat', `0,${SERVER_BEAT_MS}`]], body: Buffer.alloc(0) }, '1.2'));
      const got = await client.read(60_000);
      if (got.kind === 'frame' && got.frame.command === 'CONNECTED') {
        client.version = '1.2';
        const pid = Number(/^session-(\d+)-/.exec(got.frame.headers.session ?? '')?.[1] ?? 0);
        return { client, pid };
      }
      client.destroy();
    } catch {
      // the broker is restarting: try again
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

/** A client that serves its role on one connection after another until stopped. */
abstract class ChaosClient {
  connections = 0;
  /**
   * Connections that went silent (no heart-beat) yet never closed: the client could not know that its
   * session was gone. Each is replaced by a new connection.
   */
  stuck = 0;
  protected stopping = false;
  protected client: WireClient | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(protected readonly ctx: ClientContext, readonly name: string) {}

  /** Starts the connect-serve-reconnect loop. */
  start(): void {
    this.running = this.loop();
  }

  /** Stops after the current connection; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.client?.destroy();
    await this.running;
  }

  protected abstract onConnected(): void;
  protected abstract onFrame(frame: Frame): void;

  protected write(command: string, headers: HeaderPair[], body: Buffer = Buffer.alloc(0)): void {
    this.client?.write(encode({ command, headers, body }, '1.2'));
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const got = await connectRetrying(this.ctx, () => this.stopping);
      if (!got) return;
      if (this.stopping) {
        got.client.destroy();
        return;
      }
      this.client = got.client;
      this.connections++;
      this.ctx.sessionPids.add(got.pid);
      if (process.env.CHAOS_DEBUG) process.stderr.write(`${this.name} connected pid ${got.pid}\n`);
      this.onConnected();
      await this.serve(got.client);
      this.ctx.sessionPids.delete(got.pid);
      got.client.destroy();
      this.client = null;
    }
  }

  private async serve(client: WireClient): Promise<void> {
    for (;;) {
      const got = await client.read(1000);
      if (got.kind === 'closed') return;
      if (Date.now() - client.lastData > STUCK_MS) {
        this.stuck++;
        if (process.env.CHAOS_DEBUG) process.stderr.write(`${this.name} stuck\n`);
        return;
      }
      if (got.kind !== 'frame') continue;
      if (process.env.CHAOS_DEBUG) process.stderr.write(`${this.name} ${got.frame.command} ${JSON.stringify(got.frame.headers)}\n`);
      if (got.frame.command === 'ERROR') {
        this.ctx.errors.push(`${this.name}: ${got.frame.headers.message ?? ''} ${got.frame.body.toString('utf8').trim()}`.slice(0, 300));
      } else {
        this.onFrame(got.frame);
      }
    }
  }
}

/** Sends persistent messages to the queues in turn, `window` awaiting their RECEIPT at a time. */
export class Producer extends ChaosClient {
  private seq = 0;
  private inFlight = 0;
  sending = true;

  constructor(ctx: ClientContext, name: string, private readonly window: number) {
    super(ctx, name);
  }

  protected onConnected(): void {
    this.inFlight = 0;
    while (this.sending && this.inFlight < this.window) this.sendOne();
  }

  protected onFrame(frame: Frame): void {
    if (frame.command !== 'RECEIPT') return;
    this.ctx.ledger.receipted(frame.headers['receipt-id']);
    this.inFlight--;
    if (this.sending) this.sendOne();
  }

  private sendOne(): void {
    const id = `${this.name}-${this.seq++}`;
    const queue = this.ctx.queues[this.seq % this.ctx.queues.length];
    this.ctx.ledger.sentOne(id);
    this.inFlight++;
    this.write('SEND', [['destination', queue], ['persistent', 'true'], ['chaos-id', id], ['receipt', id]], Ledger.body(id));
  }
}

/** Consumes every queue with ack:client-individual, ACKing each message with a receipt. */
export class Consumer extends ChaosClient {
  private acks = 0;

  constructor(ctx: ClientContext, name: string, private readonly prefetch: number) {
    super(ctx, name);
  }

  protected onConnected(): void {
    this.ctx.queues.forEach((queue, i) => this.write('SUBSCRIBE', [['destination', queue], ['id', `q${i}`],
      ['ack', 'client-individual'], ['prefetch-count', String(this.prefetch)]]));
  }

  protected onFrame(frame: Frame): void {
    if (frame.command === 'RECEIPT') {
      const m = /^ack:(.*):\d+$/.exec(frame.headers['receipt-id']);
      if (m) this.ctx.ledger.ackReceipted(m[1]);
      return;
    }
    if (frame.command !== 'MESSAGE') return;
    const id = frame.headers['chaos-id'] ?? '(no chaos-id)';
    this.ctx.ledger.delivered(id, frame.body, frame.headers.redelivered === 'true');
    this.write('ACK', [['id', frame.headers.ack], ['receipt', `ack:${id}:${this.acks++}`]]);
  }
}
