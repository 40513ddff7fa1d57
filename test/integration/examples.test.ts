/**
 * The examples in examples/ run as documented, against a real broker, with the real clients they use:
 * the thumbnail job queue (stomp.py: web upload, producer, worker, dead letters) and the TheSchwartz-style
 * Perl worker (Net::Stomp). Skipped where the Debian client libraries are missing. (The browser chat has
 * its own file, browser-chat.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connectStomp, freshDir, REPO_ROOT, sendConfirmed, subscribe, uniqueDest, useBroker } from '../helpers/broker.js';
import { PERL_STOMP, PYTHON, startServing } from '../helpers/scripts.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples');

/** Runs a command to completion (60 s guard); resolves with its standard output. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

describe('examples: the thumbnail job queue (stomp.py)', () => {
  const ctx = useBroker({ args: ['--config', path.join(EXAMPLES, 'thumbnails', 'thumbnails.json')] });

  test('producer, worker and dead letters behave as the README says',
    { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 120_000 }, async () => {
      const port = ['--port', String(ctx.broker.port)];
      const dir = path.join(EXAMPLES, 'thumbnails');
      assert.match(await run(PYTHON!, [path.join(dir, 'producer.py'), ...port, 'a.jpg', 'b.png', 'c.tmp']), /enqueued 3 jobs/);
      const work = await run(PYTHON!, [path.join(dir, 'worker.py'), ...port, '--jobs', '4', '--retry-after', '200']);
      assert.match(work, /thumbnail made for a\.jpg/);
      assert.match(work, /failed for good: b\.png not a JPEG/);
      assert.match(work, /retry later: c\.tmp storage busy/);
      assert.match(work, /thumbnail made for c\.tmp/);
      const dead = (await run(PYTHON!, [path.join(dir, 'dead-letters.py'), ...port, '--count', '1'])).trim().split('\n');
      assert.equal(dead.length, 1);
      const letter = JSON.parse(dead[0]) as { job: { image: string }; from: string; reason: string; failures: unknown[] };
      assert.deepEqual(letter.job, { image: 'b.png' });
      assert.equal(letter.from, '/queue/thumbnails');
      assert.equal(letter.reason, 'not a JPEG');
      assert.equal(letter.failures.length, 1);
    });

  // The web side: an upload is saved and enqueued persistently; a worker makes its thumbnail.
  test('upload.py: a web upload becomes a job a worker takes',
    { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 120_000 }, async () => {
      const dir = path.join(EXAMPLES, 'thumbnails');
      const uploads = freshDir('stomp-uploads-');
      const server = await startServing(PYTHON!, [path.join(dir, 'upload.py'), '--port', String(ctx.broker.port),
        '--http-port', '0', '--uploads', uploads]);
      try {
        const { url } = server;
        assert.match(await (await fetch(url)).text(), /Make thumbnails/);
        const refused = await fetch(`${url}upload?name=${encodeURIComponent('../x y.jpg')}`, { method: 'POST', body: 'x' });
        assert.equal(refused.status, 400);
        const image = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
        const res = await fetch(`${url}upload?name=cat.jpg`, { method: 'POST', body: image });
        assert.equal(res.status, 202);
        assert.deepEqual(await res.json(), { image: 'cat.jpg' });
        const saved = fs.readdirSync(uploads);
        assert.equal(saved.length, 1);
        assert.deepEqual(fs.readFileSync(path.join(uploads, saved[0])), image);
        const work = await run(PYTHON!, [path.join(dir, 'worker.py'), '--port', String(ctx.broker.port), '--jobs', '1']);
        assert.match(work, /thumbnail made for cat\.jpg/);
      } finally {
        server.stop();
        fs.rmSync(uploads, { recursive: true, force: true });
      }
    });
});

describe('examples: a TheSchwartz-style worker (Net::Stomp)', () => {
  const ctx = useBroker({ producer: true });

  test('done, temp-fail with retry-in, perm-fail with a reason',
    { skip: PERL_STOMP ? false : 'libnet-stomp-perl not installed', timeout: 120_000 }, async () => {
      const queue = uniqueDest('queue', 'schwartz');
      for (const job of ['ok:1', 'flaky:2', 'bad:3']) await sendConfirmed(ctx.producer, queue, job, { persistent: 'true' });
      const out = await run('perl', [path.join(EXAMPLES, 'perl-worker', 'worker.pl'), '127.0.0.1', String(ctx.broker.port), queue, '4']);
      assert.deepEqual(out.trim().split('\n').sort(), [
        'done flaky:2 (after 1 failures)', 'done ok:1 (after 0 failures)', 'perm-failed bad:3', 'temp-failed flaky:2',
      ]);
      const dlq = await connectStomp(ctx.broker.port);
      await subscribe(dlq, `/queue/DLQ.${queue.slice('/queue/'.length)}`, 'd');
      const letter = await dlq.expectFrame('MESSAGE');
      assert.equal(letter.body.toString(), 'bad:3');
      assert.equal(letter.headers['dead-letter-reason'], 'perm-fail: cannot process bad:3');
      dlq.close();
    });
});
