/**
 * The sandbox is what the README says: a session process runs under Node's permission model with read
 * access to the broker's code only (dist/ and node_modules/), never the data directory, and with a
 * scrubbed environment. The flags are read from a live session (/proc/<pid>/cmdline) and replayed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { permissionFlag } from '../../src/hub/session-pool.js';
import { type Broker, connectStomp, REPO_ROOT, sessionPidOf, startBroker } from '../helpers/broker.js';

describe('sandbox of a session process', () => {
  // The data directory lies inside the checkout, as `npm start`'s ./data does: still out of reach.
  const dataDir = path.join(REPO_ROOT, 'data', `sandbox-test-${process.pid}`);
  let broker: Broker;
  before(async () => {
    broker = await startBroker([], { dataDir });
  });
  after(async () => {
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a session reads the broker code but not the data directory, and has a scrubbed environment', async () => {
    const secret = path.join(broker.dataDir, 'secret.txt');
    fs.writeFileSync(secret, 'not for sessions');
    const client = await connectStomp(broker.port);
    const pid = sessionPidOf(client);
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((e) => e.split('=')[0]);
    client.close();

    assert.ok(argv.includes(permissionFlag()), `permission model on: ${argv.join(' ')}`);
    // The build's one-file bundle of the session code (it starts faster than the module graph).
    assert.ok(argv.some((a) => a.endsWith(path.join('dist', 'src', 'session', 'main.bundle.cjs'))), argv.join(' '));
    // Only the session's own variables (and the IPC channel Node's fork adds).
    assert.deepEqual(env.filter((e) => !e.startsWith('NODE_CHANNEL_')).sort(),
      ['MSGPACKR_NATIVE_ACCELERATION_DISABLED', 'STOMP_BROKER_BUS', 'STOMP_BROKER_SESSION_CONFIG', 'STOMP_BROKER_SESSION_ID']);
    // Replay the session's own Node flags on a probe that tries to read files.
    const flags = argv.slice(1).filter((a) => a.startsWith('--'));
    const probe = `
      const fs = require('fs');
      const tryRead = (f) => { try { fs.readFileSync(f); return 'read'; } catch (e) { return e.code; } };
      console.log(JSON.stringify({ secret: tryRead(${JSON.stringify(secret)}),
        code: tryRead(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'src', 'config.js'))}),
        pkg: tryRead(${JSON.stringify(path.join(REPO_ROOT, 'package.json'))}) }));`;
    const run = spawnSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8' });
    const result = JSON.parse(run.stdout.trim()) as Record<string, string>;
    assert.deepEqual(result, { secret: 'ERR_ACCESS_DENIED', code: 'read', pkg: 'ERR_ACCESS_DENIED' });
  });
});
