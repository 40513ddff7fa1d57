/** The management API's pure parts: /proc parsing, message previews, rates, and access control. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatHash, hashPassword } from '../../src/auth/password.js';
import { UserDb } from '../../src/auth/user-db.js';
import { UsersDocument } from '../../src/auth/users-file.js';
import type { DestinationView } from '../../src/hub/operations.js';
import { AccessControl, isBrokerAdmin, isLoopbackHost, parseBasic } from '../../src/http/access.js';
import { Family, labelText, writeFamilies } from '../../src/http/exposition.js';
import { deadLetterOf, preview } from '../../src/http/message-view.js';
import { parseSmapsRollup, parseStatCpu, ProcSampler } from '../../src/http/proc-stats.js';
import { RateTracker } from '../../src/http/rates.js';

describe('/proc parsing', () => {
  // smaps_rollup gives kB; we report bytes.
  test('smaps_rollup Rss and Pss', () => {
    const text = '55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:               51720 kB\nPss:               13241 kB\nPss_Anon: 9 kB\n';
    assert.deepEqual(parseSmapsRollup(text), { rssBytes: 51720 * 1024, pssBytes: 13241 * 1024 });
    assert.equal(parseSmapsRollup('nothing here'), null);
  });

  // utime and stime are fields 14 and 15; the command name may hold spaces and parentheses.
  test('stat utime + stime, with an awkward command name', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0';
    assert.equal(parseStatCpu(`123 (node) ${rest}`), 3);
    assert.equal(parseStatCpu(`123 (a) b (c)) ${rest}`), 3);
    assert.equal(parseStatCpu('123 (x) S'), null);
  });

  // This very process: real numbers, and a CPU percentage from the second reading on.
  test('reads this process, and nothing for a pid that does not exist', async (t) => {
    if (!fs.existsSync('/proc/self/smaps_rollup')) return t.skip('no /proc/<pid>/smaps_rollup here');
    const sampler = new ProcSampler();
    const stats = await sampler.statsOf([process.pid, 0x7ffffffe]);
    const mine = stats.get(process.pid);
    assert.ok(mine && mine.rssBytes > 0 && mine.pssBytes > 0 && mine.cpuSeconds > 0);
    assert.equal(mine.cpuPercent, null, 'no percentage from one reading');
    assert.equal(stats.get(0x7ffffffe), null);
  });

  // A fake /proc: the second reading (after the cache's second) gives the CPU share in between.
  test('CPU percent between two readings', async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'proc-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    fs.mkdirSync(path.join(root, '7'));
    const write = (ticks: number) => {
      fs.writeFileSync(path.join(root, '7', 'smaps_rollup'), 'Rss: 10 kB\nPss: 5 kB\n');
      fs.writeFileSync(path.join(root, '7', 'stat'), `7 (n) S 1 2 3 4 5 6 7 8 9 10 ${ticks} 0 0 0`);
    };
    write(100);
    const sampler = new ProcSampler(root);
    assert.equal((await sampler.statsOf([7])).get(7)?.cpuSeconds, 1);
    write(200);
    assert.equal((await sampler.statsOf([7])).get(7)?.cpuSeconds, 1, 'a reading younger than a second is reused');
    await new Promise((r) => setTimeout(r, 1100)); // the cache's age, not a timing assertion
    const second = (await sampler.statsOf([7])).get(7)!;
    assert.equal(second.cpuSeconds, 2);
    assert.ok(second.cpuPercent !== null && second.cpuPercent > 0 && second.cpuPercent <= 100, String(second.cpuPercent));
  });
});

describe('message previews', () => {
  // Text stays text, cut at a character boundary; binary and NUL bytes become base64.
  test('text, cut text, binary', () => {
    assert.deepEqual(preview(Buffer.from('héllo'), 100), { body: 'héllo', bodyEncoding: 'utf8' });
    assert.deepEqual(preview(Buffer.from('héllo'), 2), { body: 'h', bodyEncoding: 'utf8' }, 'é is two bytes: not cut in half');
    assert.deepEqual(preview(Buffer.from([0xff, 0xfe, 0x41]), 10), { body: '//5B', bodyEncoding: 'base64' });
    assert.deepEqual(preview(Buffer.from('a\0b'), 10), { body: Buffer.from('a\0b').toString('base64'), bodyEncoding: 'base64' });
  });

  // Dead-letter headers; a malformed failure history is left out rather than failing.
  test('dead-letter headers', () => {
    assert.equal(deadLetterOf({ a: 'b' }), null);
    const history = JSON.stringify([{ time: 5, reason: 'boom' }, { time: 'x' }, 7]);
    assert.deepEqual(deadLetterOf({
      'original-destination': '/queue/j', 'dead-letter-reason': 'boom', 'delivery-failures': '2', 'failure-history': history,
    }), { originalDestination: '/queue/j', reason: 'boom', failures: 2, history: [{ time: 5, reason: 'boom' }] });
    assert.deepEqual(deadLetterOf({ 'original-destination': '/queue/j', 'failure-history': '{oops' })?.history, []);
  });
});

function view(name: string, enqueued: number, acked = 0): DestinationView {
  return {
    name, kind: 'queue', depth: 0, bytes: 0, consumers: 0, inFlight: 0, enqueued, delivered: 0, acked, deadLettered: 0,
    expired: 0, deadLetterQueue: '',
  };
}

describe('exposition text', () => {
  // Label values are escaped; an item without a value has no series; empty families write nothing.
  test('families, labels and escapes', async () => {
    assert.equal(labelText({ destination: '/queue/a"b\\c\nd', kind: 'queue' }),
      'destination="/queue/a\\"b\\\\c\\nd",kind="queue"');
    const items = Array.from({ length: 1200 }, (_, i) => i); // more than one chunk
    const text = await writeFamilies(items, (i) => labelText({ n: String(i) }), [
      new Family<number>('t_value', 'gauge', 'a value', (i) => i),
      new Family<number>('t_even_total', 'counter', 'only even ones', (i) => (i % 2 === 0 ? i : null)),
      new Family<number>('t_none', 'gauge', 'never', () => null),
    ]);
    const lines = text.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['# HELP t_value a value', '# TYPE t_value gauge', 't_value{n="0"} 0']);
    assert.equal(lines.filter((l) => l.startsWith('t_value{')).length, 1200);
    assert.equal(lines.filter((l) => l.startsWith('t_even_total{')).length, 600);
    assert.ok(lines.includes('# TYPE t_even_total counter'));
    assert.ok(!text.includes('t_none'));
  });
});

describe('rates', () => {
  // Rates come from samples (whose times are what they are); a queue created anew starts a new series.
  test('rates per destination and in all, and a counter that started again', async () => {
    let views = [view('/queue/a', 0)];
    const tracker = new RateTracker(() => views);
    tracker.sample();
    await new Promise((r) => setTimeout(r, 50)); // samples need distinct times
    views = [view('/queue/a', 10, 4)];
    tracker.sample();
    const history = tracker.historyOf(views[0]);
    assert.equal(history.length, 1);
    assert.ok(history[0].enqueued > 0 && history[0].acked > 0);
    assert.ok(tracker.ratesOf(views[0]).enqueued > 0);
    assert.ok(tracker.totalRates().enqueued > 0);
    assert.equal(tracker.current.queues, 1);
    await new Promise((r) => setTimeout(r, 50));
    views = [view('/queue/a', 3), view('/queue/b', 5)]; // a: forgotten and created again (counters from zero); b: new
    tracker.sample();
    for (const v of views) {
      const series = tracker.historyOf(v);
      assert.equal(series.length, 1, `${v.name}: a new series, from zero at the previous sample`);
      assert.ok(series[0].enqueued > 0, `${v.name}: what it counted since its creation is a rate`);
    }
    const totals = tracker.totalHistory();
    assert.ok(totals.every((p) => p.enqueued >= 0), 'broker-wide rates never go negative');
    views = [];
    tracker.sample();
    assert.deepEqual(tracker.ratesOf(view('/queue/a', 3)), { enqueued: 0, delivered: 0, acked: 0, deadLettered: 0 });
  });
});

const hash = formatHash(await hashPassword('pw', { ln: 10, r: 8, p: 1 }));

describe('access', () => {
  test('basic credentials and loopback host names', () => {
    const header = `Basic ${Buffer.from('ops:p:w').toString('base64')}`;
    assert.deepEqual(parseBasic(header), { login: 'ops', password: 'p:w' });
    assert.equal(parseBasic('Bearer x'), null);
    assert.equal(parseBasic(undefined), null);
    for (const host of ['127.0.0.1:8161', 'localhost:1', 'LOCALHOST', '[::1]:80', '127.8.9.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['evil.com', 'evil.com:8161', '10.0.0.1:80', '[::2]:80', undefined]) assert.ok(!isLoopbackHost(host), String(host));
  });

  const users = new UserDb(UsersDocument.parse([
    `user ops ${hash}`, 'allow ops read,write,admin *',
    `user dlq ${hash}`, 'allow dlq admin /queue/DLQ.*',
  ].join('\n'), 'users.txt'));
  const basic = (login: string, pw: string) => `Basic ${Buffer.from(`${login}:${pw}`).toString('base64')}`;

  // Admin on every destination is what the API needs; a narrower admin right is not enough.
  test('users: 401 without or with wrong credentials or without admin on *, else in', async () => {
    assert.ok(isBrokerAdmin(users.get('ops')!));
    assert.ok(!isBrokerAdmin(users.get('dlq')!));
    const access = new AccessControl(() => users, true);
    assert.equal((await access.check(undefined, 'localhost'))?.status, 401);
    assert.equal((await access.check(basic('ops', 'nope'), 'localhost'))?.status, 401);
    // A right password of a user the API would not serve is refused as a wrong one: no oracle.
    assert.deepEqual(await access.check(basic('dlq', 'pw'), 'localhost'), await access.check(basic('dlq', 'nope'), 'localhost'));
    assert.equal(await access.check(basic('ops', 'pw'), 'localhost'), null);
    assert.equal(await access.check(basic('ops', 'pw'), 'localhost'), null, 'remembered');
    assert.equal((await access.check(basic('ops', 'pw'), 'evil.com'))?.status, 403, 'host checked first');
  });

  // A reload gives a new UserDb: what was remembered for the old one no longer counts.
  test('a new users file forgets remembered logins', async () => {
    let current: UserDb = users;
    const access = new AccessControl(() => current, false);
    assert.equal(await access.check(basic('ops', 'pw'), 'anything'), null);
    current = new UserDb(UsersDocument.parse(`user ops ${hash}`, 'users.txt'));
    assert.equal((await access.check(basic('ops', 'pw'), 'anything'))?.status, 401);
  });

  // Refused checks are slowed as STOMP logins are: the second refusal from an address waits twice the delay.
  test('refused checks wait the failure delay, doubling per address', async () => {
    const access = new AccessControl(() => users, false, 50);
    const t0 = Date.now();
    assert.equal((await access.check(basic('ops', 'nope'), 'x', '10.0.0.1'))?.status, 401);
    assert.equal((await access.check(basic('ops', 'nope'), 'x', '10.0.0.1'))?.status, 401);
    assert.ok(Date.now() - t0 >= 150, 'delays of 50 then 100 ms');
    assert.equal(await access.check(basic('ops', 'pw'), 'x', '10.0.0.2'), null, 'another address is not slowed');
  });

  test('no users file: open, host check only', async () => {
    const access = new AccessControl(() => null, true);
    assert.equal(await access.check(undefined, '127.0.0.1:1'), null);
    assert.equal((await access.check(undefined, 'rebound.example:1'))?.status, 403);
  });
});
