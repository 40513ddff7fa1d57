/**
 * The management HTTP API against a real broker (`--http-port 0`) and real STOMP clients: every route's
 * answer and its 400s, browsing without consuming, purging, moving dead letters back, closing a
 * client, Prometheus metrics, and the console's files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import {
  connectStomp, eventually, freshDir, sendConfirmed, sessionPidOf, startBroker, uniqueDest, useBroker,
} from '../helpers/broker.js';
import {
  ackConfirmed, drainQuiet, expectOnlyMarker, nackConfirmed, nextMessage, nextMessages, subscribeTo, text,
} from '../helpers/jobs.js';
import { call, destPath, managementUrl, metric, parseMetrics } from '../helpers/management.js';
import { removeUsers, usersPath, writeUsers } from '../helpers/users.js';

describe('management API', () => {
  const ctx = useBroker({ args: ['--http-port', '0'], producer: true });
  const api = () => managementUrl(ctx.broker);

  // Counters per destination, the client of each session with its memory, CPU and subscriptions, the overview.
  test('destinations, sessions and overview show what clients do', async () => {
    const q = uniqueDest('queue', 'shown');
    for (const b of ['a', 'b', 'c']) await sendConfirmed(ctx.producer, q, b);
    const worker = await connectStomp(ctx.broker.port, { login: 'worker-1' });
    await subscribeTo(worker, q, 'w', { ack: 'client-individual', 'prefetch-count': 1 });
    const first = await nextMessage(worker);
    const d = await eventually(async () => {
      const r = await call(api(), destPath(q));
      return r.status === 200 && r.body.inFlight === 1 ? r.body : null;
    });
    assert.equal(d.name, q);
    assert.equal(d.kind, 'queue');
    assert.deepEqual([d.depth, d.consumers, d.enqueued, d.delivered, d.acked, d.deadLettered], [2, 1, 3, 1, 0, 0]);
    assert.equal(d.deadLetterQueue, q.replace('/queue/', '/queue/DLQ.'));
    assert.ok(d.bytes > 0);
    assert.ok(Array.isArray(d.history));
    assert.deepEqual(Object.keys(d.rates).sort(), ['acked', 'deadLettered', 'delivered', 'enqueued']);

    const list = await call(api(), `/api/destinations?prefix=${encodeURIComponent(q)}`);
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.items[0].depth, 2);
    const topics = await call(api(), '/api/destinations?kind=topic');
    assert.ok(!topics.body.items.some((x: { name: string }) => x.name === q));

    const pid = sessionPidOf(worker);
    const sessions = await call(api(), '/api/sessions?state=busy');
    const row = sessions.body.items.find((s: { pid: number }) => s.pid === pid);
    assert.ok(row, `session of pid ${pid} listed: ${sessions.text}`);
    assert.equal(row.state, 'busy');
    assert.equal(row.client.login, 'worker-1');
    assert.match(row.client.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual([row.client.subscriptions, row.client.inFlight], [1, 1]);
    assert.ok(row.client.connectedAt > 0 && row.client.connectedAt <= Date.now());
    assert.ok(row.memory.rssBytes > 0 && row.memory.pssBytes > 0 && row.memory.pssBytes <= row.memory.rssBytes);
    assert.ok(row.cpu.seconds > 0);

    const one = await call(api(), `/api/sessions/${row.id}`);
    assert.deepEqual(one.body.subscriptions.map((s: object) => ({ ...s, key: 0 })),
      [{ key: 0, destination: q, ack: 'client-individual', prefetch: 1, inFlight: 1 }]);

    const o = await call(api(), '/api/overview');
    assert.equal(o.status, 200);
    assert.equal(o.body.pid, ctx.broker.pid);
    assert.equal(o.body.port, ctx.broker.port);
    assert.ok(o.body.connections >= 2 && o.body.sessionProcesses >= o.body.connections);
    assert.ok(o.body.counters.sessionsStarted >= 2 && o.body.counters.clientsHandedOff >= 2);
    assert.ok(o.body.counters.connectionsAccepted >= 2);

    await ackConfirmed(worker, first);
    await eventually(async () => (await call(api(), destPath(q))).body.acked === 1);
    await worker.disconnect();
  });

  // Every kind of bad parameter gets 400 and a message that names it; unknown things get 404.
  test('bad parameters: 400 with a message; unknown destinations and sessions: 404', async () => {
    const q = uniqueDest('queue', 'bad');
    await sendConfirmed(ctx.producer, q, 'x');
    const bad: Array<[string, unknown, RegExp]> = [
      ['/api/destinations?limit=0', undefined, /limit must be >= 1/],
      ['/api/destinations?limit=1001', undefined, /limit must be <= 1000/],
      ['/api/destinations?limit=ten', undefined, /limit must be integer/],
      ['/api/destinations?kind=stream', undefined, /kind must be equal to one of the allowed values/],
      ['/api/destinations?colour=red', undefined, /must NOT have additional properties/],
      [destPath('x'.repeat(1025)), undefined, /name must NOT have more than 1024 characters/],
      [`${destPath(q)}?limit=5`, undefined, /querystring must NOT have additional properties/],
      ['/api/overview?verbose=1', undefined, /querystring must NOT have additional properties/],
      [`${destPath(q)}/messages?limit=1001`, undefined, /limit must be <= 1000/],
      [`${destPath(q)}/messages?preview=-1`, undefined, /preview must be >= 0/],
      [`${destPath('/topic/news')}/messages`, undefined, /is a topic/],
      [`${destPath(q)}/purge`, 'not an object', /body must be object/],
      [`${destPath(q)}/purge`, { all: true }, /must NOT have additional properties/],
      [`${destPath(q)}/retry`, { limit: 0 }, /limit must be >= 1/],
      [`${destPath(q)}/retry`, { limit: 10_001 }, /limit must be <= 10000/],
      [`${destPath('/topic/news')}/purge`, {}, /is a topic/],
      ['/api/sessions?state=asleep', undefined, /state must be equal to one of the allowed values/],
      ['/api/sessions?offset=-1', undefined, /offset must be >= 0/],
      ['/api/sessions/abc', undefined, /id must be integer/],
      ['/api/sessions/0', undefined, /id must be >= 1/],
      ['/api/sessions/1/close', { client: 'me' }, /client must be integer/],
    ];
    for (const [path, body, message] of bad) {
      const r = await call(api(), path, body);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.body.message, message, path);
    }
    const purgeWithoutBody = await call(api(), `${destPath(q)}/purge`, undefined, { method: 'POST' });
    assert.equal(purgeWithoutBody.status, 400, 'a POST needs its JSON body (keeps other sites\' forms out)');
    const form = await call(api(), `${destPath(q)}/purge`, undefined,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.equal(form.status, 415);
    const missing: Array<[string, unknown]> = [
      [destPath('/queue/never-used'), undefined], [`${destPath('/queue/never-used')}/messages`, undefined],
      [`${destPath('/queue/never-used')}/purge`, {}], [`${destPath('/queue/never-used')}/retry`, {}],
      ['/api/sessions/999999', undefined], ['/api/sessions/999999/close', {}], ['/api/nothing', undefined],
    ];
    for (const [path, body] of missing) {
      const r = await call(api(), path, body);
      assert.equal(r.status, 404, `${path}: ${r.text}`);
      assert.ok(r.body.message.length > 0);
    }
  });

  // Browsing shows headers and bodies in delivery order; a consumer then gets every message.
  test('browse does not consume', async () => {
    const q = uniqueDest('queue', 'browse');
    await sendConfirmed(ctx.producer, q, 'first body', { 'x-n': '1', 'content-type': 'text/plain' });
    await sendConfirmed(ctx.producer, q, 'second', { 'x-n': '2' });
    await sendConfirmed(ctx.producer, q, 'urgent', { 'x-n': '3', priority: '9' });
    const b = await call(api(), `${destPath(q)}/messages?limit=2&preview=3`);
    assert.equal(b.status, 200);
    assert.equal(b.body.depth, 3);
    assert.deepEqual(b.body.messages.map((m: { headers: Record<string, string> }) => m.headers['x-n']), ['3', '1']);
    const [urgent, firstMsg] = b.body.messages;
    assert.equal(urgent.priority, 9);
    assert.deepEqual([firstMsg.body, firstMsg.bodyEncoding, firstMsg.truncated, firstMsg.bodyBytes], ['fir', 'utf8', true, 10]);
    assert.equal(firstMsg.headers['content-type'], 'text/plain');
    assert.equal(firstMsg.deadLetter, null);
    const again = await call(api(), `${destPath(q)}/messages`);
    assert.equal(again.body.messages.length, 3, 'still all there');
    const c = await connectStomp(ctx.broker.port);
    await subscribeTo(c, q, 'all', { ack: 'auto' });
    assert.deepEqual((await nextMessages(c, 3)).map(text), ['urgent', 'first body', 'second']);
    await c.disconnect();
  });

  // A purge empties the queue, on disk too: after a restart nothing comes back.
  test('purge empties the queue, for good', async () => {
    const q = uniqueDest('queue', 'purge');
    for (let i = 0; i < 5; i++) await sendConfirmed(ctx.producer, q, `p${i}`, { persistent: 'true' });
    const r = await call(api(), `${destPath(q)}/purge`, {});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { destination: q, purged: 5 });
    const after = await call(api(), destPath(q));
    assert.ok(after.status === 404 || after.body.depth === 0, after.text);
    await ctx.restart();
    assert.deepEqual((await expectOnlyMarker(ctx.broker.port, q)).length, 1, 'nothing but the marker after a restart');
  });

  // Dead letters with their history; retry puts them back without the dead-letter headers, and they are delivered.
  test('retry moves dead letters back and they are delivered', async () => {
    const q = uniqueDest('queue', 'jobs');
    const dlq = q.replace('/queue/', '/queue/DLQ.');
    const worker = await connectStomp(ctx.broker.port);
    await subscribeTo(worker, q, 'w', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, q, 'job-1', { 'x-job': '1', persistent: 'true' });
    await sendConfirmed(ctx.producer, q, 'job-2', { 'x-job': '2', persistent: 'true' });
    for (const m of await nextMessages(worker, 2)) await nackConfirmed(worker, m, { requeue: 'false', message: 'bad input' });
    const dead = await eventually(async () => {
      const r = await call(api(), `${destPath(dlq)}/messages`);
      return r.status === 200 && r.body.messages.length === 2 ? r.body.messages : null;
    });
    for (const m of dead) {
      assert.equal(m.deadLetter.originalDestination, q);
      assert.equal(m.deadLetter.reason, 'bad input');
      assert.equal(m.deadLetter.failures, 1);
      assert.deepEqual(m.deadLetter.history.map((f: { reason: string }) => f.reason), ['bad input']);
      assert.ok(m.deadLetter.history[0].time > 0);
    }
    assert.equal((await call(api(), destPath(q))).body.deadLettered, 2);
    const r = await call(api(), `${destPath(dlq)}/retry`, {});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { destination: dlq, moved: 2, skipped: 0, remaining: 0, to: { [q]: 2 } });
    const back = await nextMessages(worker, 2);
    assert.deepEqual(back.map(text), ['job-1', 'job-2']);
    for (const m of back) {
      assert.equal(m.headers['original-destination'], undefined);
      assert.equal(m.headers['dead-letter-reason'], undefined);
      assert.equal(m.headers['failure-history'], undefined);
      assert.equal(m.headers.redelivered, undefined, 'a fresh start');
      assert.equal(m.headers.destination, q);
      await ackConfirmed(worker, m);
    }
    assert.deepEqual(back.map((m) => m.headers['x-job']), ['1', '2']);
    assert.deepEqual(await drainQuiet(worker), []);
    await worker.disconnect();
  });

  // The client gets ERROR "closed by an operator" and the connection closes; a stale client id is refused.
  test('close session: ERROR to its client, then close', async () => {
    const victim = await connectStomp(ctx.broker.port, { login: 'victim' });
    const pid = sessionPidOf(victim);
    const list = await call(api(), '/api/sessions?state=busy');
    const row = list.body.items.find((s: { pid: number }) => s.pid === pid);
    assert.ok(row, list.text);
    const stale = await call(api(), `/api/sessions/${row.id}/close`, { client: row.client.serial + 1000 });
    assert.equal(stale.status, 409, stale.text);
    assert.match(stale.body.message, /another client/);
    const closed = await call(api(), `/api/sessions/${row.id}/close`, { client: row.client.serial });
    assert.equal(closed.status, 202, closed.text);
    assert.deepEqual(closed.body, { session: row.id, closing: true });
    const error = await victim.expectErrorAndClose();
    assert.equal(error.headers.message, 'closed by an operator');
    await eventually(async () => {
      const r = await call(api(), `/api/sessions/${row.id}`);
      return r.status === 404 || r.body.client === null;
    });
    const idle = await eventually(async () => (await call(api(), '/api/sessions?state=idle')).body.items[0]);
    const none = await call(api(), `/api/sessions/${idle.id}/close`, {});
    assert.equal(none.status, 409);
    assert.match(none.body.message, /serves no client/);
  });

  // The exposition text parses; per-destination, per-session, pool and store-latency series are there.
  test('/metrics parses and has the per-destination series', async () => {
    const q = uniqueDest('queue', 'metrics');
    await sendConfirmed(ctx.producer, q, 'm1', { persistent: 'true' });
    await sendConfirmed(ctx.producer, q, 'm2', { persistent: 'true' });
    const r = await call(api(), '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(r.text);
    const labels = { destination: q, kind: 'queue' };
    assert.equal(metric(samples, 'stomp_destination_depth', labels), 2);
    assert.equal(metric(samples, 'stomp_destination_enqueued_total', labels), 2);
    assert.equal(metric(samples, 'stomp_destination_consumers', labels), 0);
    assert.ok(metric(samples, 'stomp_destination_bytes', labels)! > 0);
    assert.ok(metric(samples, 'stomp_store_commit_seconds_count', { op: 'write', outcome: 'ok' })! >= 2);
    const pid = String(sessionPidOf(ctx.producer));
    assert.ok(metric(samples, 'stomp_session_resident_memory_bytes', { pid })! > 0);
    assert.ok(metric(samples, 'stomp_session_proportional_memory_bytes', { pid })! > 0);
    assert.ok(metric(samples, 'stomp_session_cpu_seconds_total', { pid })! > 0);
    assert.ok(metric(samples, 'stomp_connections')! >= 1);
    assert.ok(metric(samples, 'stomp_session_processes_started_total')! >= 2);
    assert.ok(metric(samples, 'stomp_session_processes', { state: 'idle' })! >= 0);
    assert.notEqual(metric(samples, 'stomp_hub_process_cpu_user_seconds_total'), undefined);
  });

  // The console's page, style and modules; a request naming another host is refused (DNS rebinding).
  test('console files, and the loopback host check', async () => {
    const page = await call(api(), '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(page.text, /<script type="module" src="\/console\/app.js">/);
    const app = await call(api(), '/console/app.js');
    assert.equal(app.status, 200);
    assert.match(app.headers.get('content-type') ?? '', /javascript/);
    assert.match(app.text, /hashchange/);
    assert.equal((await call(api(), '/console/console.css')).status, 200);
    assert.equal((await call(api(), '/console/missing.js')).status, 404);
    const url = new URL(api());
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: url.hostname, port: url.port, path: '/api/overview', headers: { host: 'rebound.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 403);
  });
});

describe('management API: options', () => {
  const ctx = useBroker();

  test('no --http-port: no management server', () => {
    assert.doesNotMatch(ctx.broker.logs(), /management API/);
  });

  // Without a users file the API would be open to anyone who can reach it: only loopback addresses.
  test('--http-host other hosts can reach, without users: the broker refuses to start', async () => {
    const dir = freshDir();
    try {
      await assert.rejects(startBroker(['--http-port', '0', '--http-host', '0.0.0.0'], { dataDir: dir }),
        /refusing to serve the management API on 0\.0\.0\.0 without --users/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// With a users file the API asks for basic auth of a user holding admin on every destination, and may
// then listen where other hosts can reach it.
describe('management API: with --users', () => {
  const usersFile = usersPath();
  before(() => writeUsers({
    ops: { password: 'ops-secret', allow: [['read,write,admin', '*']] },
    app: { password: 'app-secret', allow: [['read,write', '*']] },
  }, usersFile));
  after(() => removeUsers(usersFile));
  const ctx = useBroker({ args: ['--users', usersFile, '--http-port', '0', '--http-host', '0.0.0.0'] });
  const basic = (login: string, password: string) =>
    ({ headers: { authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` } });

  test('401 without or with wrong credentials or without admin, 200 for an admin', async () => {
    const base = managementUrl(ctx.broker);
    const none = await call(base, '/api/overview');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal((await call(base, '/api/overview', undefined, basic('ops', 'wrong'))).status, 401);
    assert.equal((await call(base, '/api/overview', undefined, basic('nobody', 'ops-secret'))).status, 401);
    // The right password of a user without admin on * gets the same answer as a wrong one.
    assert.equal((await call(base, '/api/overview', undefined, basic('app', 'app-secret'))).status, 401);
    const ok = await call(base, '/api/overview', undefined, basic('ops', 'ops-secret'));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.pid, ctx.broker.pid);
  });
});
