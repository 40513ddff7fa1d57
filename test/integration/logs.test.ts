/**
 * Structured logs: the hub writes one JSON line per event (pino); every client connect and disconnect
 * names its session pid, address and reason, every ERROR sent is logged, and so is every session crash
 * with its exit code and signal.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStomp, eventually, sessionPidOf, useBroker } from '../helpers/broker.js';

/** The broker's JSON log lines with an `event` field. */
function events(logs: string): Array<Record<string, unknown>> {
  return logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => typeof e.event === 'string');
}

describe('structured logs', () => {
  const ctx = useBroker();

  test('connect, disconnect, ERROR sent and a killed session are logged with who and why', async () => {
    // A session may serve several clients one after another: a client is told apart by its address.
    const remoteOf = (client: { socket: { localPort?: number } }) => `127.0.0.1:${client.socket.localPort}`;
    const a = await connectStomp(ctx.broker.port, { login: 'alice' });
    const aRemote = remoteOf(a);
    await a.disconnect();
    const b = await connectStomp(ctx.broker.port);
    const bRemote = remoteOf(b);
    await b.frame('ACK', { id: 'nothing' });
    await b.expectErrorAndClose();
    const c = await connectStomp(ctx.broker.port);
    const cPid = sessionPidOf(c);
    process.kill(cPid, 'SIGKILL');
    await c.expectClosed();

    const found = await eventually(() => {
      const all = events(ctx.broker.logs());
      const connect = all.find((e) => e.event === 'connect' && e.remote === aRemote);
      const bye = all.find((e) => e.event === 'disconnect' && e.remote === aRemote);
      const error = all.find((e) => e.event === 'disconnect' && e.remote === bRemote);
      const crash = all.find((e) => e.event === 'session-exit' && e.sessionPid === cPid);
      return connect && bye && error && crash ? { connect, bye, error, crash } : null;
    });
    assert.equal(found.connect.login, 'alice');
    assert.equal(typeof found.connect.sessionPid, 'number');
    assert.equal(found.bye.reason, 'disconnect');
    assert.equal(found.error.reason, 'error');
    assert.match(String(found.error.error), /^Unknown message/);
    assert.equal(found.crash.signal, 'SIGKILL');
    assert.equal(found.crash.level, 40); // warn
  });
});
