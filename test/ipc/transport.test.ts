/** BusPeer over a real socket pair: what one turn sends arrives in order, folded where asked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { BusPeer } from '../../src/ipc/transport.js';

type Msg = { t: 'ack'; ids: number[]; rid: number } | { t: 'flow'; writable: boolean };

/** Two BusPeers joined by a Unix socket. */
async function pair(): Promise<{ a: BusPeer<Msg, Msg>; b: BusPeer<Msg, Msg>; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-test-'));
  const file = path.join(dir, 's.sock');
  const accepted = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => { server.close(); resolve(s); });
    server.listen(file);
  });
  const client = net.connect(file);
  const serverSide = await accepted;
  const a = new BusPeer<Msg, Msg>(client);
  const b = new BusPeer<Msg, Msg>(serverSide);
  return { a, b, close: () => { client.destroy(); serverSide.destroy(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

/** Resolves with the first `n` messages `peer` receives. */
function received(peer: BusPeer<Msg, Msg>, n: number): Promise<Msg[]> {
  const got: Msg[] = [];
  return new Promise((resolve) => {
    peer.onMessage = (m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    };
  });
}

/** Folds an ACK into a previous one that awaits no receipt. */
function foldAck(m: { ids: number[]; rid: number }) {
  return (last: Msg): boolean => {
    if (last.t !== 'ack' || last.rid !== 0) return false;
    last.ids.push(...m.ids);
    last.rid = m.rid;
    return true;
  };
}

test('sendOrFold folds only into the message queued last, and order is kept', async () => {
  const { a, b, close } = await pair();
  try {
    const all = received(b, 4);
    const send = (m: Msg & { t: 'ack' }) => a.sendOrFold(m, foldAck(m));
    send({ t: 'ack', ids: [1], rid: 0 });
    send({ t: 'ack', ids: [2], rid: 0 });
    send({ t: 'ack', ids: [3], rid: 7 }); // folded: the earlier ones awaited no receipt
    send({ t: 'ack', ids: [4], rid: 0 }); // not folded into one that awaits a receipt
    a.send({ t: 'flow', writable: true });
    send({ t: 'ack', ids: [5], rid: 0 }); // the last message is no ACK
    send({ t: 'ack', ids: [6], rid: 0 });
    assert.deepEqual(await all, [
      { t: 'ack', ids: [1, 2, 3], rid: 7 },
      { t: 'ack', ids: [4], rid: 0 },
      { t: 'flow', writable: true },
      { t: 'ack', ids: [5, 6], rid: 0 },
    ]);
  } finally {
    close();
  }
});

test('nothing is folded across turns', async () => {
  const { a, b, close } = await pair();
  try {
    const two = received(b, 2);
    a.sendOrFold({ t: 'ack', ids: [1], rid: 0 }, foldAck({ ids: [1], rid: 0 }));
    a.flush(); // the turn's messages have left
    a.sendOrFold({ t: 'ack', ids: [2], rid: 0 }, foldAck({ ids: [2], rid: 0 }));
    assert.deepEqual(await two, [{ t: 'ack', ids: [1], rid: 0 }, { t: 'ack', ids: [2], rid: 0 }]);
  } finally {
    close();
  }
});
