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
import { STOLEN } from '../fixtures/compromised-session.js';
import { connectStomp, encodeFrame, freshDir, RawClient, sendConfirmed, subscribe, uniqueDest } from '../helpers/broker.js';
import { removeUsers, usersPath, writeUsers } from '../helpers/users.js';

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

/**
 * The hub checks rights itself: a session that forwards what its client may not do (or anything before
 * the hub accepted the login, or a login that is not the one accepted) is killed like one that sends a
 * malformed message, and nothing of it is acted on.
 */
describe('bus validation: a session that asks beyond its client\'s rights is killed', () => {
  let hub: Hub;
  let dataDir: string;
  const usersFile = usersPath();
  before(async () => {
    await writeUsers({ alice: { password: 'a', allow: [['read,write', '/queue/allowed-*']] } }, usersFile);
    dataDir = freshDir();
    hub = new Hub({ ...DEFAULT_CONFIG, port: 0, dataDir, prefork: 2, logLevel: 'error', usersFile, authFailureDelayMs: 10 }, {
      sessionScript: fileURLToPath(new URL('../fixtures/compromised-session.js', import.meta.url)),
    });
    await hub.start();
  });
  after(async () => {
    await hub?.stop();
    removeUsers(usersFile);
  });

  /** The depth of STOLEN (0 when the queue does not exist). */
  const stolenDepth = () => hub.status().destinations.find((d) => d.name === STOLEN)?.depth ?? 0;

  test('a publish to a destination the client may not write: killed, nothing queued', async () => {
    const queue = uniqueDest('queue', 'allowed');
    const alice = await connectStomp(hub.port, { login: 'alice', passcode: 'a' });
    await sendConfirmed(alice, queue, 'fine');
    await alice.frame('SEND', { destination: queue, receipt: 'never' }, 'evil-dest');
    await alice.expectClosed(10_000);
    assert.equal(alice.pending, 0, 'no RECEIPT');
    assert.equal(stolenDepth(), 0);
    const again = await connectStomp(hub.port, { login: 'alice', passcode: 'a' });
    await again.disconnect();
  });

  test('a request before the login was accepted: killed, never CONNECTED', async () => {
    const client = await RawClient.connect(hub.port);
    await client.send(encodeFrame('CONNECT', { 'accept-version': '1.2', login: 'evil-early', passcode: 'x' }));
    await client.expectClosed(10_000);
    assert.equal(client.pending, 0, 'no CONNECTED, no ERROR from a killed session');
    assert.equal(stolenDepth(), 0);
  });

  test('a session that reports another login than the one accepted: killed', async () => {
    const client = await RawClient.connect(hub.port);
    const queue = uniqueDest('queue', 'allowed');
    await client.send(encodeFrame('CONNECT', { 'accept-version': '1.2', login: 'alice', passcode: 'a', 'client-id': 'evil-claim' }));
    await client.expectFrame('CONNECTED'); // written before the session told the hub its lie
    await client.frame('SEND', { destination: queue, receipt: 'never' }, 'after the lie');
    await client.expectClosed(10_000);
    assert.equal(client.pending, 0, 'no RECEIPT: nothing from a killed session counts');
    assert.equal(hub.status().destinations.find((d) => d.name === queue)?.depth ?? 0, 0);
  });
});
