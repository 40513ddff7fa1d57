/**
 * Pager: a deep queue keeps at most a window of each lane in memory; the rest waits on disk (lmdb) and
 * is read back in order as the lane drains; recovery loads only the first page.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LANE_WINDOW } from '../../src/hub/pager.js';
import { parseConfig } from '../../src/hub/policy.js';
import { Router } from '../../src/hub/router.js';
import { openStore } from '../../src/store/open.js';
import type { QueueStore } from '../../src/store/store.js';
import { fakeSession, OPTIONS, PROPS, routers, settled, subscribe, takeOffers } from './router-fixture.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function lmdbRouter(store?: QueueStore): Promise<{ router: Router; store: QueueStore }> {
  if (!store) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-pager-'));
    dirs.push(dataDir);
    store = await openStore({ kind: 'lmdb', dataDir });
  }
  const router = new Router({ ...OPTIONS, paging: true }, store, parseConfig({}));
  await router.recover();
  routers.push(router);
  return { router, store };
}

/** Publishes `bodies` to `dest` as one turn's worth of SENDs, persistent unless said otherwise; resolves once placed. */
async function publishAll(router: Router, dest: string, bodies: string[], persistent = true): Promise<void> {
  await Promise.all(bodies.map((b) => router.publish(undefined, dest, {}, Buffer.from(b), { ...PROPS, persistent })));
  await settled(); // a stored message is placed in its queue just after its write resolves
}

/** Takes `n` offers (claiming each, auto ack) from a consumer of `dest`, waiting for pages to be read. */
async function consume(router: Router, dest: string, n: number): Promise<string[]> {
  const s = fakeSession();
  router.subscribe(s, 1, dest, 'auto', 0, 0, '');
  const got: string[] = [];
  const deadline = Date.now() + 60_000; // a guard only: delivery marks and pages wait for the disk
  while (got.length < n && Date.now() < deadline) {
    await settled();
    for (const o of takeOffers(s)) {
      got.push(o.msg.body.toString());
      router.claim(s, o.offer, 1);
    }
  }
  return got;
}

/** Messages of `dest` held in memory now (ready, not on disk). */
function inMemory(router: Router, dest: string): number {
  return router.destinations.existing(dest)?.ready.length ?? 0;
}

describe('Pager', () => {
  // 5000 persistent messages: the queue's depth counts them all, memory holds at most the window, and a
  // consumer gets every one in order as pages are read back.
  test('a deep queue keeps a window in memory and is consumed in order', async () => {
    const { router } = await lmdbRouter();
    const bodies = Array.from({ length: 5000 }, (_, i) => `m${i}`);
    for (let i = 0; i < bodies.length; i += 500) await publishAll(router, '/queue/deep', bodies.slice(i, i + 500));
    assert.equal(router.status().find((d) => d.name === '/queue/deep')?.depth, 5000);
    assert.equal(inMemory(router, '/queue/deep'), LANE_WINDOW);
    assert.deepEqual(await consume(router, '/queue/deep', 5000), bodies);
  });

  // A non-persistent message that arrives while its lane has messages on disk keeps its place.
  test('a non-persistent message behind a paged-out tail keeps its place', async () => {
    const { router } = await lmdbRouter();
    const first = Array.from({ length: LANE_WINDOW + 10 }, (_, i) => `p${i}`);
    await publishAll(router, '/queue/mixed', first);
    await publishAll(router, '/queue/mixed', ['transient'], false);
    await publishAll(router, '/queue/mixed', ['last']);
    await settled();
    assert.deepEqual(await consume(router, '/queue/mixed', first.length + 2), [...first, 'transient', 'last']);
  });

  // A page read stops at the newest message its lane has counted on disk: the store may already hold
  // newer ones whose writes are not answered yet, and those are placed when they are (read as well,
  // they were offered twice).
  test('a page read leaves alone messages whose writes are not answered yet', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-pager-'));
    dirs.push(dataDir);
    const inner = await openStore({ kind: 'lmdb', dataDir });
    let gate: Promise<void> | null = null;
    const committed: Promise<void>[] = [];
    const store = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'write') {
          return (batch: Parameters<QueueStore['write']>[0]) => {
            const written = target.write(batch);
            committed.push(written);
            return gate ? Promise.all([written, gate]).then(() => {}) : written;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { router } = await lmdbRouter(store);
    const first = Array.from({ length: LANE_WINDOW + 10 }, (_, i) => `a${i}`); // 10 of them on disk only
    await publishAll(router, '/queue/race', first);
    let answer!: () => void;
    gate = new Promise((resolve) => (answer = resolve));
    const late = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const published = late.map((b) => router.publish(undefined, '/queue/race', {}, Buffer.from(b), { ...PROPS, persistent: true }));
    await Promise.all(committed); // on disk, but the router has not heard so yet

    const s = fakeSession();
    router.subscribe(s, 1, '/queue/race', 'auto', 0, 0, '');
    const got: string[] = [];
    const claimOffers = () => {
      for (const o of takeOffers(s)) {
        got.push(o.msg.body.toString());
        router.claim(s, o.offer, 1);
      }
    };
    const take = async (n: number) => {
      const deadline = Date.now() + 60_000; // a guard only: pages and delivery marks wait for the disk
      while (got.length < n && Date.now() < deadline) {
        await settled();
        claimOffers();
      }
    };
    await take(LANE_WINDOW - 900); // the lane runs low: its disk part is read back while the late writes wait
    answer();
    await Promise.all(published);
    await take(first.length + late.length);
    for (let i = 0; i < 20; i++) { // anything offered twice would come now
      await settled();
      claimOffers();
    }
    assert.deepEqual(got, [...first, ...late]);
  });

  // After a restart only the first page of each lane is read; the rest is counted on disk, then consumed.
  test('recovery reads the first page and counts the rest', async () => {
    const { router, store } = await lmdbRouter();
    const bodies = Array.from({ length: 4500 }, (_, i) => `r${i}`);
    for (let i = 0; i < bodies.length; i += 500) await publishAll(router, '/queue/restart', bodies.slice(i, i + 500));
    router.close();
    const { router: again } = await lmdbRouter(store);
    assert.equal(again.status().find((d) => d.name === '/queue/restart')?.depth, 4500);
    assert.equal(inMemory(again, '/queue/restart'), LANE_WINDOW);
    assert.deepEqual(await consume(again, '/queue/restart', 4500), bodies);
  });
});
