/**
 * MessageIds: a MESSAGE's message-id is never handed out twice, across restarts too, although the ids
 * of non-persistent messages are never written to the store (consumers de-duplicate by message-id).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageIds } from '../../src/hub/message-ids.js';
import { Logger } from '../../src/log.js';
import { openStore } from '../../src/store/open.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('MessageIds', () => {
  test('a restart continues above every id handed out before, persistent or not', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-ids-'));
    dirs.push(dataDir);
    const log = new Logger('test', 'error');
    let store = await openStore({ kind: 'lmdb', dataDir });
    let ids = new MessageIds(store, log);
    await ids.recover();
    const first = Array.from({ length: 5 }, () => ids.take());
    assert.deepEqual(first, [1, 2, 3, 4, 5]); // none of them written as a message
    await store.close();

    store = await openStore({ kind: 'lmdb', dataDir });
    ids = new MessageIds(store, log);
    await ids.recover();
    const second = ids.take();
    assert.ok(second > 5, `id ${second} was handed out before the restart`);
    await store.close();

    // And above the highest stored message, were the reserve ever behind it.
    store = await openStore({ kind: 'lmdb', dataDir });
    const stored = second + 5_000_000;
    await store.write({ put: [{ id: stored, dest: '/queue/a', queue: '/queue/a', headers: {}, body: Buffer.from('x'),
      redeliveries: 0, priority: 4, expiresAt: 0, deliverAt: 0 }] });
    ids = new MessageIds(store, log);
    await ids.recover();
    assert.ok(ids.take() > stored);
    await store.close();
  });
});
