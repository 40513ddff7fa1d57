/**
 * Helpers for the job-queue integration tests (persistence, redelivery, scheduling, durable
 * subscriptions, fan-out): ACK/NACK with receipts, and collecting what arrives. Builds on
 * test/helpers/broker.ts (which starts the brokers: useBroker).
 *
 * As there, every wait has a timeout that is only a guard against a hung test.
 */
import {
  connectStomp, type RawClient, type ReceivedFrame, receiptId, sendConfirmed, uniqueDest,
} from './broker.js';

/**
 * MESSAGEs that arrived while a helper waited for a RECEIPT (an ACK frees credit, so the next
 * MESSAGE may overtake the ACK's RECEIPT). nextMessage() hands them out first, in arrival order.
 */
const stashes = new WeakMap<RawClient, ReceivedFrame[]>();

function stashOf(client: RawClient): ReceivedFrame[] {
  let stash = stashes.get(client);
  if (!stash) stashes.set(client, stash = []);
  return stash;
}

/** The next MESSAGE (stashed ones first); any other frame fails with its content. */
export async function nextMessage(client: RawClient, timeoutMs = 5000): Promise<ReceivedFrame> {
  const stashed = stashOf(client).shift();
  if (stashed) return stashed;
  return client.expectFrame('MESSAGE', timeoutMs);
}

/** `n` MESSAGEs (stashed ones first). */
export async function nextMessages(client: RawClient, n: number, timeoutMs = 10_000): Promise<ReceivedFrame[]> {
  const out: ReceivedFrame[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    try {
      out.push(await nextMessage(client, Math.max(1, deadline - Date.now())));
    } catch (err) {
      throw new Error(`after ${out.length} of ${n} MESSAGE frames: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Waits for the RECEIPT `receipt`, stashing MESSAGEs that come first; any other frame fails. */
export async function awaitReceipt(client: RawClient, receipt: string, timeoutMs = 5000): Promise<ReceivedFrame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await client.readFrame(Math.max(1, deadline - Date.now()));
    if (frame.command === 'MESSAGE') {
      stashOf(client).push(frame);
      continue;
    }
    if (frame.command === 'RECEIPT' && frame.headers['receipt-id'] === receipt) return frame;
    throw new Error(`expected RECEIPT ${receipt}, got ${frame.command} ${JSON.stringify(frame.headers)} ${frame.body.toString('utf8')}`);
  }
}

/**
 * SUBSCRIBE with a receipt, like broker.ts's subscribe(), except that MESSAGEs arriving before the RECEIPT
 * (a queue or durable subscription with messages waiting) are kept for nextMessage() instead of failing.
 */
export async function subscribeTo(client: RawClient, dest: string, id: string,
  headers: Record<string, string | number> = {}): Promise<void> {
  const receipt = receiptId('sub');
  await client.frame('SUBSCRIBE', { destination: dest, id, ...headers, receipt });
  await awaitReceipt(client, receipt);
}

/** ACK (1.2: by the MESSAGE's `ack` header) with a receipt; resolves on the RECEIPT. */
export async function ackConfirmed(client: RawClient, msg: ReceivedFrame, extra: Record<string, string | number> = {}): Promise<void> {
  const receipt = receiptId('ack');
  await client.frame('ACK', { id: ackIdOf(msg), ...extra, receipt });
  await awaitReceipt(client, receipt);
}

/** NACK with a receipt (and any of `retry-after`, `requeue`, `message`); resolves on the RECEIPT. */
export async function nackConfirmed(client: RawClient, msg: ReceivedFrame, extra: Record<string, string | number> = {}): Promise<void> {
  const receipt = receiptId('nack');
  await client.frame('NACK', { id: ackIdOf(msg), ...extra, receipt });
  await awaitReceipt(client, receipt);
}

/** The id an ACK/NACK names for `msg` in STOMP 1.2. */
export function ackIdOf(msg: ReceivedFrame): string {
  const id = msg.headers.ack;
  if (id === undefined) throw new Error(`MESSAGE has no ack header: ${JSON.stringify(msg.headers)}`);
  return id;
}

/**
 * Reads frames until none arrives for `quietMs` (a guard window, not a timing assertion); returns
 * them all. Used after the expected frames to show nothing more (a duplicate) is on its way.
 */
export async function drainQuiet(client: RawClient, quietMs = 300): Promise<ReceivedFrame[]> {
  const out: ReceivedFrame[] = stashOf(client).splice(0);
  for (;;) {
    try {
      out.push(await client.readFrame(quietMs));
    } catch (err) {
      if (/no frame within/.test((err as Error).message)) return out;
      throw err;
    }
  }
}

/** Connects and subscribes (client-individual unless `headers.ack` says otherwise); returns the client. */
export async function consumer(port: number, dest: string, headers: Record<string, string | number> = {},
  connectHeaders: Record<string, string | number | undefined> = {}): Promise<RawClient> {
  const client = await connectStomp(port, connectHeaders);
  await subscribeTo(client, dest, 'sub-0', { ack: 'client-individual', ...headers });
  return client;
}

/** Connects, SENDs each body with a receipt (awaited one by one, so in order), closes. */
export async function produce(port: number, dest: string, bodyList: string[], headers: Record<string, string | number> = {}): Promise<void> {
  const client = await connectStomp(port);
  for (const body of bodyList) await sendConfirmed(client, dest, body, headers);
  await client.disconnect();
}

/**
 * "Nothing was enqueued" check: on a new connection, SEND a marker with a receipt to `dest`, then a
 * new subscriber of `dest` must receive the marker and nothing else. Returns what it received.
 */
export async function expectOnlyMarker(port: number, dest: string): Promise<ReceivedFrame[]> {
  const marker = `marker-${receiptId('m')}`;
  await produce(port, dest, [marker]);
  const c = await connectStomp(port);
  await subscribeTo(c, dest, 'check');
  const first = await nextMessage(c, 5000);
  const rest = await drainQuiet(c);
  await c.disconnect().catch(() => c.close());
  const got = [first, ...rest];
  const seen = got.map((f) => f.body.toString('utf8'));
  if (seen.length !== 1 || seen[0] !== marker) {
    throw new Error(`expected only the marker ${marker} in ${dest}, got ${JSON.stringify(seen)}`);
  }
  return got;
}

/** Receives `n` MESSAGEs, acking each with a receipt (client-individual); returns them in arrival order. */
export async function receiveAndAck(client: RawClient, n: number, timeoutMs = 10_000): Promise<ReceivedFrame[]> {
  const out: ReceivedFrame[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const msg = await nextMessage(client, Math.max(1, deadline - Date.now()));
    await ackConfirmed(client, msg);
    out.push(msg);
  }
  return out;
}

/** The body as UTF-8. */
export function text(frame: ReceivedFrame): string {
  return frame.body.toString('utf8');
}

/** A fresh queue name and its default dead-letter queue. */
export function queueWithDlq(label: string): { queue: string; dlq: string } {
  const queue = uniqueDest('queue', label);
  return { queue, dlq: `/queue/DLQ.${queue.slice('/queue/'.length)}` };
}

/** Any frame with a receipt; resolves on its RECEIPT (which must be the next frame). */
export async function withReceipt(client: RawClient, command: string, headers: Record<string, string | number>,
  body: string | Buffer = ''): Promise<void> {
  const receipt = receiptId(command.toLowerCase());
  await client.frame(command, { ...headers, receipt }, body);
  await awaitReceipt(client, receipt);
}

/**
 * The connections one test opens against a broker, closed together afterwards (call `closeAll` in
 * afterEach). `port` is read when connecting, so it can follow a broker started in `before`.
 */
export class ClientPool {
  private readonly clients: RawClient[] = [];

  constructor(private readonly port: () => number) {}

  /** A connected client (CONNECT done). */
  async connect(): Promise<RawClient> {
    const c = await connectStomp(this.port());
    this.clients.push(c);
    return c;
  }

  /** A connected client subscribed (with a receipt) to `dest` as subscription `s`. */
  async consumer(dest: string, headers: Record<string, string | number> = {}): Promise<RawClient> {
    const c = await this.connect();
    await subscribeTo(c, dest, 's', headers);
    return c;
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.close();
  }
}
