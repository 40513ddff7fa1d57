/**
 * The behaviour every QueueStore must show (like aedes-persistence's abstract test suite). Each store test
 * file calls runStoreContract with a factory; `reopen` closes and reopens durable stores, and returns the
 * same object for the memory store, so persistence across reopen is only really exercised for lmdb.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueStore, StoredMessage } from '../../src/store/store.js';

/** What a store factory hands to each contract case. */
export interface StoreHarness {
  store: QueueStore;
  reopen(): Promise<QueueStore>;
  cleanup(): Promise<void>;
}

/** A message with every field set to something other than its default, so lost fields show. */
export function sampleMessage(id: number, body: Buffer = Buffer.from(`body ${id}`)): StoredMessage {
  return {
    id, dest: `/queue/q${id % 3}`, headers: { 'content-type': 'text/plain', 'x-id': String(id), persistent: 'true' },
    body, redeliveries: id % 2, priority: id % 10, deliverAt: 1_700_000_000_000 + id, expiresAt: 1_800_000_000_000 + id,
    queue: `durable:sub${id % 2}`, failures: [{ time: 1_700_000_000_000 + id, reason: `failure of ${id}` }],
  };
}

/** Everything recover() yields, whether it is sync or async. */
export async function recoverAll(store: QueueStore): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const m of store.recover()) out.push(m);
  return out;
}

async function ids(store: QueueStore): Promise<number[]> {
  return (await recoverAll(store)).map((m) => m.id);
}

/** Registers the contract cases under `name`; every case gets a fresh, empty store. */
export function runStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  /** Runs `body` against a fresh store and always cleans up. */
  const withStore = (body: (h: StoreHarness) => Promise<void>) => async () => {
    const h = await makeStore();
    try {
      await body(h);
    } finally {
      await h.cleanup();
    }
  };

  describe(`${name}: QueueStore contract`, () => {
    it('starts empty', withStore(async ({ store }) => {
      assert.deepEqual(await recoverAll(store), []);
      assert.equal(store.count(), 0);
      assert.equal(store.maxId(), 0);
      assert.equal(store.getMeta('anything'), undefined);
    }));

    it('recovers written messages in id order with every field intact', withStore(async ({ store }) => {
      await store.write({ put: [sampleMessage(3)] });
      await store.write({ put: [sampleMessage(1), sampleMessage(2)] });
      await store.write({ put: [sampleMessage(5)] });
      const got = await recoverAll(store);
      assert.deepEqual(got, [1, 2, 3, 5].map((id) => sampleMessage(id)));
      assert.equal(store.count(), 4);
    }));

    it('removes messages, ignoring ids it does not hold', withStore(async ({ store }) => {
      await store.write({ put: [1, 2, 3, 4, 5].map((id) => sampleMessage(id)) });
      await store.write({ remove: [2, 4, 99] });
      assert.deepEqual(await ids(store), [1, 3, 5]);
      assert.equal(store.count(), 3);
    }));

    it('applies puts and removes of one batch together', withStore(async ({ store }) => {
      await store.write({ put: [sampleMessage(1), sampleMessage(2)] });
      await store.write({ put: [sampleMessage(3)], remove: [1] });
      assert.deepEqual(await ids(store), [2, 3]);
    }));

    it('applies puts before removes within a batch', withStore(async ({ store }) => {
      await store.write({ put: [sampleMessage(1), sampleMessage(2)], remove: [2] });
      assert.deepEqual(await ids(store), [1]);
    }));

    it('rejects an invalid batch without applying any of it', withStore(async ({ store }) => {
      await store.write({ put: [sampleMessage(1)] });
      const bad = { ...sampleMessage(3), body: 'not a buffer' } as unknown as StoredMessage;
      await assert.rejects(store.write({ put: [sampleMessage(2), bad], remove: [1] }), /store: message 3 body/);
      await assert.rejects(store.write({ remove: [1, -5] }), /bad message id -5/);
      const badHeader = { ...sampleMessage(4), headers: { n: 4 } } as unknown as StoredMessage;
      await assert.rejects(store.write({ put: [sampleMessage(5), badHeader] }), /message 4 header n is not a string/);
      assert.deepEqual(await ids(store), [1]);
      assert.equal(store.maxId(), 1);
    }));

    it('overwrites a message put again under the same id', withStore(async ({ store }) => {
      await store.write({ put: [sampleMessage(1)] });
      await store.write({ put: [{ ...sampleMessage(1), redeliveries: 7, body: Buffer.from('v2') }] });
      const [m] = await recoverAll(store);
      assert.equal(m?.redeliveries, 7);
      assert.equal(m?.body.toString(), 'v2');
      assert.equal(store.count(), 1);
    }));

    it('keeps its own copy: later changes to a written message do not reach the store', withStore(async ({ store }) => {
      const m = sampleMessage(1);
      await store.write({ put: [m] });
      m.headers['x-id'] = 'changed';
      m.body.fill(0);
      m.redeliveries = 9;
      assert.deepEqual(await recoverAll(store), [sampleMessage(1)]);
    }));

    it('reports delivered messages with redeliveries >= 1 after recovery', withStore(async (h) => {
      await h.store.write({ put: [{ ...sampleMessage(1), redeliveries: 0 }, { ...sampleMessage(2), redeliveries: 0 },
        { ...sampleMessage(3), redeliveries: 0 }, { ...sampleMessage(4), redeliveries: 5 }] });
      await Promise.all([h.store.markDelivered(2, 0), h.store.markDelivered(3, 2), h.store.markDelivered(4, 0)]);
      const store = await h.reopen();
      const counts = (await recoverAll(store)).map((m) => [m.id, m.redeliveries]);
      // 1 never delivered; 2 and 3 were handed over once more; 4's stored count already covers its mark.
      assert.deepEqual(counts, [[1, 0], [2, 1], [3, 3], [4, 5]]);
    }));

    it('forgets a delivery mark on unmark, keeping the message', withStore(async (h) => {
      await h.store.write({ put: [{ ...sampleMessage(1), redeliveries: 0 }, { ...sampleMessage(2), redeliveries: 2 }] });
      await Promise.all([h.store.markDelivered(1, 0), h.store.markDelivered(2, 2)]);
      await h.store.write({ unmark: [1, 2] });
      const store = await h.reopen();
      assert.deepEqual((await recoverAll(store)).map((m) => [m.id, m.redeliveries]), [[1, 0], [2, 2]]);
    }));

    it('forgets the delivery mark with the message', withStore(async (h) => {
      await h.store.write({ put: [{ ...sampleMessage(1), redeliveries: 0 }] });
      await h.store.markDelivered(1, 3);
      await h.store.write({ remove: [1] });
      await h.store.write({ put: [{ ...sampleMessage(1), redeliveries: 0 }] });
      const store = await h.reopen();
      assert.deepEqual((await recoverAll(store)).map((m) => m.redeliveries), [0]);
    }));

    it('never rejects markDelivered, even for unknown or invalid ids', withStore(async ({ store }) => {
      await store.markDelivered(42, 1);
      await store.markDelivered(Number.NaN, 1);
      assert.deepEqual(await recoverAll(store), []);
    }));

    it('remembers the highest id ever stored, even after it is removed', withStore(async (h) => {
      await h.store.write({ put: [sampleMessage(7), sampleMessage(3)] });
      assert.equal(h.store.maxId(), 7);
      await h.store.write({ remove: [7, 3] });
      assert.equal(h.store.maxId(), 7);
      const store = await h.reopen();
      assert.equal(store.maxId(), 7);
      assert.equal(store.count(), 0);
    }));

    it('gets, puts and deletes metadata', withStore(async (h) => {
      const value = { dest: '/queue/a', selector: null, ids: [1, 2, 3], nested: { ok: true }, blob: Buffer.from([0, 1]) };
      await h.store.putMeta('durable:client-1:sub-1', value);
      await h.store.putMeta('other', 'v1');
      await h.store.putMeta('other', 'v2');
      value.ids.push(4); // the store must have kept its own copy
      let store = await h.reopen();
      assert.deepEqual(store.getMeta('durable:client-1:sub-1'), { ...value, ids: [1, 2, 3] });
      assert.equal(store.getMeta('other'), 'v2');
      await store.deleteMeta('other');
      await store.deleteMeta('never-there');
      store = await h.reopen();
      assert.equal(store.getMeta('other'), undefined);
      assert.notEqual(store.getMeta('durable:client-1:sub-1'), undefined);
    }));

    it('keeps binary bodies with NUL bytes and empty bodies exactly', withStore(async (h) => {
      const allBytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const nuls = Buffer.alloc(100); // only NUL bytes
      const headers = { 'x-unicode': 'héllo ✓ 日本', 'x-colon': 'a:b\\c', '': 'empty name' };
      await h.store.write({ put: [sampleMessage(1, allBytes), sampleMessage(2, nuls), { ...sampleMessage(3, Buffer.alloc(0)), headers }] });
      const store = await h.reopen();
      const got = await recoverAll(store);
      assert.ok(got.every((m) => Buffer.isBuffer(m.body)), 'bodies come back as Buffers');
      assert.deepEqual(got.map((m) => m.body), [allBytes, nuls, Buffer.alloc(0)]);
      assert.deepEqual(got[2]?.headers, headers);
    }));

    it('groups many concurrent writes and recovers 10k messages in order', withStore(async (h) => {
      const n = 10_000;
      const order = Array.from({ length: n }, (_, i) => i + 1);
      await Promise.all(order.map((id) => h.store.write({ put: [sampleMessage(id, Buffer.from(`m${id}\0end`))] })));
      assert.equal(h.store.count(), n);
      const store = await h.reopen();
      const got = await recoverAll(store);
      assert.deepEqual(got.map((m) => m.id), order);
      assert.ok(got.every((m) => m.body.equals(Buffer.from(`m${m.id}\0end`))), 'each body belongs to its id');
      assert.equal(store.maxId(), n);
    }));

    // A queue's order: its messages per priority, id order within one, read a page at a time without
    // recovering everything (how the hub keeps a deep queue on disk).
    it('shares and pages: per queue and priority, in id order, after a given id', withStore(async (h) => {
      const msg = (id: number, queue: string, priority: number): StoredMessage =>
        ({ ...sampleMessage(id), queue, priority, redeliveries: 0 });
      await h.store.write({ put: [msg(1, '/queue/a', 4), msg(2, '/queue/b', 4), msg(3, '/queue/a', 9), msg(4, '/queue/a', 4),
        msg(5, '/queue/a', 4), msg(6, 'durable:x', 0)] });
      const store = await h.reopen();
      const shares = [...store.shares()].map((s) => `${s.queue}@${s.priority}=${s.count}`).sort();
      assert.deepEqual(shares, ['/queue/a@4=3', '/queue/a@9=1', '/queue/b@4=1', 'durable:x@0=1']);
      assert.deepEqual(store.page('/queue/a', 4, 0, 100, 2).map((m) => m.id), [1, 4]);
      assert.deepEqual(store.page('/queue/a', 4, 4, 100, 10).map((m) => m.id), [5]);
      assert.deepEqual(store.page('/queue/a', 4, 5, 100, 10), []);
      assert.deepEqual(store.page('/queue/a', 9, 0, 100, 10).map((m) => m.id), [3]);
      assert.deepEqual(store.page('/queue/none', 4, 0, 100, 10), []);
      assert.deepEqual(store.page('/queue/a', 4, 0, 4, 10).map((m) => m.id), [1, 4]); // up to an id, inclusive
      assert.deepEqual(store.page('/queue/a', 4, 0, 3, 10).map((m) => m.id), [1]);
      // A page carries the whole message, with its delivery mark applied.
      await store.markDelivered(4, 0);
      const [four] = store.page('/queue/a', 4, 1, 100, 1);
      assert.equal(four.id, 4);
      assert.equal(four.redeliveries, 1);
      assert.ok(four.body.equals(sampleMessage(4).body));
    }));

    // Removed and replaced messages leave the order too, even when put and removed in one turn.
    it('removals leave the order; a message put and removed in the same turn leaves nothing', withStore(async (h) => {
      const m = (id: number): StoredMessage => ({ ...sampleMessage(id), queue: '/queue/o', priority: 4 });
      await h.store.write({ put: [m(1), m(2), m(3)] });
      await Promise.all([h.store.write({ put: [m(4)] }), h.store.write({ remove: [4, 2] })]);
      await h.store.write({ put: [{ ...m(1), redeliveries: 3 }] }); // a redelivery rewrites the message
      const store = await h.reopen();
      assert.deepEqual(store.page('/queue/o', 4, 0, 100, 10).map((x) => [x.id, x.redeliveries]), [[1, 3], [3, 1]]);
      assert.deepEqual([...store.shares()].map((s) => s.count), [2]);
    }));

    // dropQueue removes one queue's messages (a durable subscription ended), nothing else.
    it('dropQueue removes every message of one queue', withStore(async (h) => {
      const m = (id: number, queue: string): StoredMessage => ({ ...sampleMessage(id), queue });
      await h.store.write({ put: [m(1, 'durable:gone'), m(2, '/queue/stays'), m(3, 'durable:gone')] });
      await h.store.dropQueue('durable:gone');
      const store = await h.reopen();
      assert.deepEqual((await recoverAll(store)).map((x) => x.id), [2]);
      assert.deepEqual([...store.shares()].map((s) => s.queue), ['/queue/stays']);
    }));
  });
}
