/** Third-party clients against the broker: stompit (npm), stomp.py, Net::Stomp and the Ruby stomp gem (Debian). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import stompit from 'stompit';
import {
  bodies, connectStomp, REPO_ROOT, sendConfirmed, sendMany, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

type Client = stompit.Client;
type Message = stompit.StompitMessage;

/** A Python interpreter that can `import stomp`: python3 on PATH, else the system one (where apt installs it). */
function findPython(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(candidate, ['-c', 'import stomp'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return candidate;
  }
  return null;
}
const PYTHON = findPython();

/** Whether `command args` runs successfully (an interpreter with the client library installed). */
function available(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}
const PERL_STOMP = available('perl', ['-MNet::Stomp', '-e', '1']);
const RUBY_STOMP = available('ruby', ['-e', 'require "stomp"']);

/** Runs a client script against the broker; resolves with what it printed after "received: ". */
function runClientScript(command: string, script: string[], port: number, dest: string, ...more: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(command, [...script, '127.0.0.1', String(port), dest, ...more], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${script.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`));
      const line = stdout.trim().split('\n').at(-1) ?? '';
      resolve(line.replace(/^received: /, '').split(','));
    });
  });
}

function stompitConnect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    stompit.connect({
      host: '127.0.0.1', port, timeout: 10_000,
      connectHeaders: { host: '/', 'accept-version': '1.2', 'heart-beat': '0,0' },
    }, (err, client) => (err ? reject(err) : resolve(client)));
  });
}

function readBody(message: Message): Promise<string> {
  return new Promise((resolve, reject) => {
    message.readString('utf-8', (err, body) => (err ? reject(err) : resolve(body ?? '')));
  });
}

/** A received stompit message with its body already read. */
interface Received {
  message: Message;
  body: string;
}

/**
 * Collects messages of one stompit subscription; `next()` waits (guarded) for the following one.
 * stompit reads no further frame (not even a RECEIPT) until a MESSAGE body is consumed, so bodies
 * are read as soon as each message arrives.
 */
class Inbox {
  private readonly queue: Received[] = [];
  private waiting: ((r: Received) => void) | null = null;
  error: Error | null = null;

  readonly listener = (err: Error | null, message: Message): void => {
    if (err) {
      this.error = err;
      return;
    }
    readBody(message).then((body) => {
      const received = { message, body };
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(received);
      } else {
        this.queue.push(received);
      }
    }, (e: Error) => { this.error = e; });
  };

  next(timeoutMs = 10_000): Promise<Received> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(this.error ?? new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (received) => {
        clearTimeout(timer);
        resolve(received);
      };
    });
  }
}

function withReceipt(fn: (onReceipt: () => void) => void, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no RECEIPT')), timeoutMs);
    fn(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function disconnect(client: Client): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

describe('clients', () => {
  const ctx = useBroker();

  // A stock STOMP client (stompit) publishes and consumes with client-individual ACKs.
  test('stompit: publish and subscribe with client ack', async () => {
    const dest = uniqueDest('queue', 'stompit');
    const consumer = await stompitConnect(ctx.broker.port);
    const producer = await stompitConnect(ctx.broker.port);
    consumer.on('error', () => {});
    producer.on('error', () => {});
    const inbox = new Inbox();
    consumer.subscribe({ destination: dest, ack: 'client-individual' }, inbox.listener);
    const sent = ['s-0', 's-1', 's-2', 's-3'];
    for (const [i, body] of sent.entries()) {
      await withReceipt((onReceipt) => {
        const frame = producer.send({ destination: dest, 'content-type': 'text/plain', 'x-i': String(i) }, { onReceipt });
        frame.write(body);
        frame.end();
      });
    }
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      const { message, body } = await inbox.next();
      assert.equal(message.headers.destination, dest);
      assert.equal(message.headers['x-i'], String(i));
      assert.ok(message.headers.ack, 'ack header (1.2 client mode)');
      got.push(body);
      await withReceipt((onReceipt) => consumer.ack(message, {}, { onReceipt }));
    }
    assert.deepEqual(got, sent);
    await disconnect(consumer);
    await disconnect(producer);

    // Every message was acknowledged: nothing comes back to the next consumer.
    const raw = await connectStomp(ctx.broker.port);
    await sendConfirmed(raw, dest, 'sentinel');
    await subscribe(raw, dest, 'check');
    assert.equal((await raw.expectFrame('MESSAGE')).body.toString(), 'sentinel');
    raw.close();
  });

  // stompit with ack:client where the last ACK covers the earlier messages, plus a transaction.
  test('stompit: cumulative client ack and a committed transaction', async () => {
    const dest = uniqueDest('queue', 'stompit-tx');
    const client = await stompitConnect(ctx.broker.port);
    client.on('error', () => {});
    const inbox = new Inbox();
    client.subscribe({ destination: dest, ack: 'client' }, inbox.listener);
    const tx = client.begin();
    for (const body of ['t-0', 't-1', 't-2']) {
      const frame = tx.send({ destination: dest });
      frame.write(body);
      frame.end();
    }
    await withReceipt((onReceipt) => tx.commit({ onReceipt }));
    const received = [await inbox.next(), await inbox.next(), await inbox.next()];
    assert.deepEqual(received.map((r) => r.body), ['t-0', 't-1', 't-2']);
    await withReceipt((onReceipt) => client.ack(received[2].message, {}, { onReceipt }));
    await disconnect(client);

    const raw = await connectStomp(ctx.broker.port);
    await sendConfirmed(raw, dest, 'sentinel');
    await subscribe(raw, dest, 'check');
    assert.deepEqual(bodies([await raw.expectFrame('MESSAGE')]), ['sentinel']);
    raw.close();
  });

  // stomp.py over STOMP 1.2: client-individual subscription, 5 sends with receipts, ACKs, a transaction.
  test('stomp.py: 1.2 client-individual, receipts, ACKs and a transaction',
    { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
      const dest = uniqueDest('queue', 'python');
      const script = path.join(REPO_ROOT, 'test', 'integration', 'python', 'stomp_client.py');
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(PYTHON!, [script, '127.0.0.1', String(ctx.broker.port), dest], { timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
      });
      assert.equal(result.code, 0, `stomp_client.py failed:\n${result.stderr}\n${result.stdout}`);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
        version: string; received: string[]; receipts: string[]; errors: number;
      };
      assert.equal(report.version, '1.2');
      assert.deepEqual(report.received, ['python-0', 'python-1', 'python-2', 'python-3', 'python-4', 'tx-1', 'tx-2']);
      assert.ok(report.receipts.includes('commit') && report.receipts.includes('bye'));
      assert.equal(report.errors, 0);

      // Everything was acknowledged.
      const raw = await connectStomp(ctx.broker.port);
      await sendConfirmed(raw, dest, 'sentinel');
      await subscribe(raw, dest, 'check');
      assert.equal((await raw.expectFrame('MESSAGE')).body.toString(), 'sentinel');
      raw.close();
    });

  // Net::Stomp speaks STOMP 1.0: receipts, a transaction (BEGIN/SEND/COMMIT), client ACK by message-id.
  test('Net::Stomp (Perl): receipts, a transaction, client ACKs',
    { skip: PERL_STOMP ? false : 'libnet-stomp-perl not installed', timeout: 90_000 }, async () => {
      const dest = uniqueDest('queue', 'perl');
      const script = path.join(REPO_ROOT, 'test', 'integration', 'perl', 'net_stomp_client.pl');
      assert.deepEqual(await runClientScript('perl', [script], ctx.broker.port, dest),
        ['perl-0', 'perl-1', 'perl-2', 'perl-tx']);
      await expectOnly(dest, 'sentinel');
    });

  // The Ruby stomp gem over 1.2 with heart-beats: persistent publishes with receipts, client-individual ACKs, a transaction.
  test('Ruby stomp gem: 1.2, heart-beats, receipts, ACKs and a transaction',
    { skip: RUBY_STOMP ? false : 'ruby-stomp not installed', timeout: 90_000 }, async () => {
      const dest = uniqueDest('queue', 'ruby');
      const script = path.join(REPO_ROOT, 'test', 'integration', 'ruby', 'stomp_gem_client.rb');
      assert.deepEqual(await runClientScript('ruby', [script], ctx.broker.port, dest),
        ['ruby-0', 'ruby-1', 'ruby-2', 'ruby-tx']);
      await expectOnly(dest, 'sentinel');
    });

  // A synchronous worker subscribes with a receipt to a queue that already holds 300 messages and reads
  // the RECEIPT as the next frame (RabbitMQ and ActiveMQ send it before the first MESSAGE).
  for (const [name, command, file, skip] of [
    ['Net::Stomp (Perl)', 'perl', 'perl/subscribe_receipt.pl', PERL_STOMP ? false : 'libnet-stomp-perl not installed'],
    ['Ruby stomp gem', 'ruby', 'ruby/subscribe_receipt.rb', RUBY_STOMP ? false : 'ruby-stomp not installed'],
  ] as const) {
    test(`${name}: SUBSCRIBE with a receipt to a queue holding 300 messages gets the RECEIPT first`,
      { skip, timeout: 90_000 }, async () => {
        const dest = uniqueDest('queue', `${command}-subrcpt`);
        const producer = await connectStomp(ctx.broker.port);
        await sendMany(producer, dest, Array.from({ length: 300 }, (_, i) => `m${i}`));
        producer.close();
        const script = path.join(REPO_ROOT, 'test', 'integration', file);
        const out = await runClientScript(command, [script], ctx.broker.port, dest, '300');
        assert.deepEqual(out, ['300 first: RECEIPT']);
        await expectOnly(dest, 'sentinel');
      });
  }

  /** Everything sent to `dest` was acknowledged: a new consumer gets only a fresh `marker`. */
  async function expectOnly(dest: string, marker: string): Promise<void> {
    const raw = await connectStomp(ctx.broker.port);
    await sendConfirmed(raw, dest, marker);
    await subscribe(raw, dest, 'check');
    assert.equal((await raw.expectFrame('MESSAGE')).body.toString(), marker);
    raw.close();
  }
});
