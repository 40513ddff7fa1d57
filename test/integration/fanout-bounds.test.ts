/**
 * Destination policies from `--config`: fan-out (a topic's or a queue's messages copied into queues),
 * bounded queues (`maxLength` with overflow `reject` or `drop-head`), and refusal of an invalid file.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import {
  BROKER_BIN, freshDir, type RawClient, type ReceivedFrame, removeConfig, REPO_ROOT, sendConfirmed, useBroker,
  writeConfig,
} from '../helpers/broker.js';
import { ClientPool, drainQuiet, expectOnlyMarker, nextMessage, nextMessages, text } from '../helpers/jobs.js';

describe('fan-out and bounded queues', () => {
  const ctx = useBroker({
    config: {
      destinations: {
        '/topic/uploads': { fanout: ['/queue/fan-a', '/queue/fan-b'] },
        '/queue/in': { fanout: ['/queue/in-a', '/queue/in-b'] },
        '/queue/bounded-reject': { maxLength: 3, overflow: 'reject' },
        '/queue/bounded-drop': { maxLength: 3, overflow: 'drop-head' },
      },
    },
  });
  const pool = new ClientPool(() => ctx.broker.port);
  const connect = () => pool.connect();
  const consumer = (dest: string, headers: Record<string, string | number> = {}) => pool.consumer(dest, headers);
  afterEach(() => {
    pool.closeAll();
  });


  /** Everything `group` (competing consumers of one queue) receives until `n` arrived and then quiet. */
  async function collect(group: RawClient[], n: number): Promise<ReceivedFrame[]> {
    const got: ReceivedFrame[] = [];
    const deadline = Date.now() + 15_000;
    while (got.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} messages arrived`);
      for (const c of group) {
        try {
          got.push(await nextMessage(c, 50));
        } catch (err) {
          if (!/no frame within/.test((err as Error).message)) throw err;
        }
      }
    }
    for (const c of group) got.push(...await drainQuiet(c));
    return got;
  }

  // A topic with "fanout" copies every message once into each listed queue; each queue's copy goes to one
  // of its competing consumers. Topic subscribers still get it too.
  test('topic fan-out: each message lands once in each queue (competing consumers on each)', async () => {
    const a = [await consumer('/queue/fan-a'), await consumer('/queue/fan-a')];
    const b = [await consumer('/queue/fan-b'), await consumer('/queue/fan-b')];
    const watcher = await consumer('/topic/uploads');
    const p = await connect();
    const sent = Array.from({ length: 10 }, (_, i) => `upload-${i}`);
    for (const body of sent) await sendConfirmed(p, '/topic/uploads', body);
    for (const [name, group] of [['fan-a', a], ['fan-b', b]] as const) {
      const got = await collect([...group], sent.length);
      assert.deepEqual(got.map(text).sort(), [...sent].sort(), `${name}: each message exactly once`);
      // A fan-out copy names the queue its consumers subscribed to.
      for (const m of got) assert.equal(m.headers.destination, `/queue/${name}`);
    }
    assert.deepEqual((await nextMessages(watcher, sent.length)).map(text), sent, 'topic subscriber gets them too');
    assert.deepEqual(await drainQuiet(watcher), []);
  });

  // A queue with "fanout" keeps its own message and copies it into each listed queue.
  test('queue fan-out: /queue/in and each fan-out queue get the message once', async () => {
    const p = await connect();
    await sendConfirmed(p, '/queue/in', 'job-1');
    await sendConfirmed(p, '/queue/in', 'job-2');
    for (const q of ['/queue/in', '/queue/in-a', '/queue/in-b']) {
      const group = [await consumer(q), await consumer(q)];
      const got = await collect(group, 2);
      assert.deepEqual(got.map(text).sort(), ['job-1', 'job-2'], `${q}: each message exactly once`);
      for (const m of got) assert.equal(m.headers.destination, q);
    }
  });

  // maxLength 3, overflow reject: the 4th SEND gets ERROR "Queue full" (no RECEIPT) and a close; nobody
  // else notices, and the queue keeps its 3 messages.
  test('bounded queue (maxLength 3, reject): 4th SEND gets ERROR "Queue full"; others keep working', async () => {
    const dest = '/queue/bounded-reject';
    const bystander = await connect();
    const p = await connect();
    for (const body of ['r1', 'r2', 'r3']) await sendConfirmed(p, dest, body);
    await p.frame('SEND', { destination: dest, receipt: 'fourth' }, 'r4');
    const error = await p.expectErrorAndClose();
    assert.equal(error.headers.message, 'Queue full');
    assert.equal(error.headers['receipt-id'], 'fourth');
    // Another client is unaffected and the queue still works.
    await sendConfirmed(bystander, '/queue/bounded-other', 'unaffected');
    const c = await consumer(dest);
    assert.deepEqual((await nextMessages(c, 3)).map(text), ['r1', 'r2', 'r3']);
    assert.deepEqual(await drainQuiet(c), [], 'r4 was not queued');
    await sendConfirmed(bystander, dest, 'room-again');
    assert.equal(text(await nextMessage(c)), 'room-again');
    const o = await consumer('/queue/bounded-other');
    assert.equal(text(await nextMessage(o)), 'unaffected');
  });

  // maxLength 3, overflow drop-head: every SEND is accepted, the oldest messages make room.
  test('bounded queue (maxLength 3, drop-head) keeps the 3 newest', async () => {
    const dest = '/queue/bounded-drop';
    const p = await connect();
    for (const body of ['d1', 'd2', 'd3', 'd4', 'd5']) await sendConfirmed(p, dest, body);
    const c = await consumer(dest);
    assert.deepEqual((await nextMessages(c, 3)).map(text), ['d3', 'd4', 'd5']);
    assert.deepEqual(await drainQuiet(c), []);
    c.close();
    await expectOnlyMarker(ctx.broker.port, dest);
  });
});

describe('invalid configuration files', () => {
  /** Runs the broker with `config`; resolves with its exit code and stderr (guard: 20 s). */
  function runWithConfig(config: unknown): Promise<{ code: number | null; signal: string | null; stderr: string }> {
    const file = writeConfig(config);
    const dataDir = freshDir();
    const proc = spawn(process.execPath, [BROKER_BIN, 'start', '--port', '0', '--data-dir', dataDir, '--prefork', '1',
      '--config', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    proc.stdout.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    return new Promise((resolve) => {
      const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      proc.once('exit', (code, signal) => {
        clearTimeout(guard);
        removeConfig(file);
        fs.rmSync(dataDir, { recursive: true, force: true });
        resolve({ code, signal, stderr });
      });
    });
  }

  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown destination setting', { destinations: { '/queue/x': { maxDeliverys: 3 } } }, /maxDeliverys/],
    ['bad overflow value', { destinations: { '/queue/x': { maxLength: 3, overflow: 'explode' } } }, /overflow/],
    ['negative maxLength', { destinations: { '/queue/x': { maxLength: -1 } } }, /maxLength/],
    ['unknown top-level key', { destinatons: {} }, /destinatons/],
    ['fanout to a topic', { destinations: { '/queue/x': { fanout: ['/topic/y'] } } }, /fanout/],
    ['unknown backoff key', { destinations: { '/queue/x': { backoff: { initialMS: 10 } } } }, /initialMS/],
  ];
  for (const [name, config, mention] of cases) {
    // A bad file stops the broker at start, non-zero, with a message naming the key.
    test(`invalid config (${name}) → exit non-zero, stderr names the key`, async () => {
      const { code, signal, stderr } = await runWithConfig(config);
      assert.equal(signal, null, `exited by itself, not killed by the guard; output:\n${stderr}`);
      assert.notEqual(code, 0, `non-zero exit; output:\n${stderr}`);
      assert.match(stderr, mention);
      assert.doesNotMatch(stderr, /listening on/);
    });
  }
});
