/**
 * The hub trusts no session: a session that sends an invalid bus message (here a compromised one that
 * turns a SEND into a publish with priority 10, or into an unknown message kind) is killed, its client
 * is closed, nothing it sent is kept, and every other client goes on. The hub runs in this process, with
 * the compromised session as its session script, so a hub crash would fail the whole test file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { Hub } from '../../src/hub/hub.js';
import { readBrokerInfo } from '../../src/hub/run-files.js';
import { BUS_VERSION, type ControlToHub, type HubToControl } from '../../src/ipc/contract.js';
import { connectBus } from '../../src/ipc/transport.js';
import { connectStomp, freshDir, sendConfirmed, subscribe, uniqueDest } from '../helpers/broker.js';

describe('bus validation: a misbehaving session is killed, the hub goes on', () => {
  let hub: Hub;
  let dataDir: string;
  before(async () => {
    dataDir = freshDir();
    hub = new Hub({ ...DEFAULT_CONFIG, port: 0, dataDir, prefork: 2, logLevel: 'error' }, {
      sessionScript: fileURLToPath(new URL('../fixtures/compromised-session.js', import.meta.url)),
    });
    await hub.start();
  });
  after(async () => {
    await hub?.stop();
  });

  for (const body of ['evil', 'evil-kind']) {
    test(`a session that forwards '${body}' invalidly is killed; others are untouched`, async () => {
      const queue = uniqueDest('queue', 'valid');
      const bystander = await connectStomp(hub.port);
      await subscribe(bystander, queue, 'b');
      const evil = await connectStomp(hub.port);
      await evil.frame('SEND', { destination: queue, persistent: 'true', receipt: 'never' }, body);
      await evil.expectClosed(10_000);
      assert.equal(evil.pending, 0, 'no RECEIPT for what the hub refused');
      // The bystander still works and never saw the refused message.
      const producer = await connectStomp(hub.port);
      await sendConfirmed(producer, queue, 'fine');
      assert.equal((await bystander.expectFrame('MESSAGE')).body.toString(), 'fine');
      // New clients are still served.
      const late = await connectStomp(hub.port);
      late.close();
      producer.close();
      bystander.close();
    });
  }

  // A bus peer that claims to be a session the hub did not start is turned away.
  test('a hello from a process the hub did not start is refused', async () => {
    const info = readBrokerInfo(dataDir);
    assert.ok(info);
    const peer = await connectBus<HubToControl, ControlToHub>(info.busPath, 'intruder');
    const closed = new Promise<void>((resolve) => { peer.onClose = resolve; });
    (peer as unknown as { send(m: unknown): void }).send({ t: 'hello', v: BUS_VERSION, session: 1, pid: process.pid });
    await closed;
    const still = await connectStomp(hub.port);
    still.close();
  });
});
