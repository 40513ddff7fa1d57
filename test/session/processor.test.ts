/** The processor: dispatch by command, the "not connected yet" check, and every error turned into one StompError. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StompError } from '../../src/protocol/errors.js';
import { CLIENT_COMMANDS } from '../../src/protocol/frame.js';
import { processFrame } from '../../src/session/processor.js';
import { deliver, fakeContext, frame } from './fake-context.js';

/** Asserts that processing returned an error with this code and title, and nothing reached the client or hub. */
function assertRefused(err: StompError | null, code: string, message: string, detail: RegExp): void {
  assert.ok(err instanceof StompError, `expected an error, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.equal(err.message, message);
  assert.match(err.detail, detail);
}

describe('processor: before CONNECT', () => {
  // Every client command but CONNECT and STOMP is refused until the session is connected.
  for (const command of CLIENT_COMMANDS.filter((c) => c !== 'CONNECT' && c !== 'STOMP')) {
    test(`${command} before CONNECT → NOT_CONNECTED, nothing sent`, () => {
      const ctx = fakeContext({ connected: false });
      const err = processFrame(frame(command, { destination: '/queue/a', id: '1', transaction: 't' }), ctx);
      assertRefused(err, 'NOT_CONNECTED', 'Not connected', new RegExp(`Send CONNECT before ${command}\\.`));
      assert.deepEqual(ctx.sent, []);
      assert.deepEqual(ctx.messages, []);
      assert.deepEqual(ctx.connectionCalls, []);
      assert.equal(ctx.state.connected, false);
    });
  }

  // CONNECT and STOMP both connect (they run the same handler).
  for (const command of ['CONNECT', 'STOMP']) {
    test(`${command} asks the hub for the login; nothing is written yet`, () => {
      const ctx = fakeContext({ connected: false });
      assert.equal(processFrame(frame(command, { 'accept-version': '1.2' }), ctx), null);
      assert.equal(ctx.state.connected, false);
      assert.deepEqual(ctx.sent, []);
      assert.deepEqual(ctx.messages.map((m) => m.t), ['auth']);
    });
  }

  // An unknown command is reported as such even before CONNECT (the command check comes first).
  test('an unknown command before CONNECT → UNKNOWN_COMMAND', () => {
    const ctx = fakeContext({ connected: false });
    assertRefused(processFrame(frame('HELLO'), ctx), 'UNKNOWN_COMMAND', 'Unknown command',
      /^'HELLO' is not a STOMP client command\.$/);
  });
});

describe('processor: after CONNECT', () => {
  // Server commands and other spellings are not client commands; the detail quotes at most 64 characters.
  for (const command of ['MESSAGE', 'RECEIPT', 'ERROR', 'CONNECTED', 'send', 'Subscribe', 'X'.repeat(200)]) {
    test(`'${command.slice(0, 20)}' → UNKNOWN_COMMAND`, () => {
      const ctx = fakeContext();
      const err = processFrame(frame(command), ctx);
      assertRefused(err, 'UNKNOWN_COMMAND', 'Unknown command',
        new RegExp(`^'${command.slice(0, 64)}' is not a STOMP client command\\.$`));
      assert.deepEqual(ctx.messages, []);
    });
  }

  // Each command reaches its handler: what reaches the hub says which one ran.
  test('each command is dispatched to its handler', () => {
    const ctx = fakeContext();
    const run = (command: string, headers: Record<string, string>, body = ''): void => {
      assert.equal(processFrame(frame(command, headers, body), ctx), null, command);
    };
    run('SEND', { destination: '/queue/a' }, 'x');
    run('SUBSCRIBE', { destination: '/queue/a', id: 's', ack: 'client-individual' });
    const sub = ctx.state.subscriptions.get('s')!;
    const [d1, d2] = [deliver(ctx, sub, 1), deliver(ctx, sub, 2)];
    run('ACK', { id: d1.ackId });
    run('NACK', { id: d2.ackId });
    run('BEGIN', { transaction: 't', receipt: 'b' });
    run('ABORT', { transaction: 't', receipt: 'a' });
    run('BEGIN', { transaction: 't2' });
    run('COMMIT', { transaction: 't2' });
    run('UNSUBSCRIBE', { id: 's' });
    run('DISCONNECT', {});
    assert.deepEqual(ctx.messages.map((m) => m.t),
      ['publish', 'subscribe', 'ack', 'nack', 'sync', 'sync', 'commit', 'unsubscribe']);
    assert.deepEqual(ctx.connectionCalls, [{ call: 'close' }]);
  });

  // A second CONNECT is the connect handler's error, passed through.
  test('a handler\'s StompError is returned as it is', () => {
    const ctx = fakeContext();
    assertRefused(processFrame(frame('CONNECT'), ctx), 'ALREADY_CONNECTED', 'Already connected',
      /already connected/);
    assertRefused(processFrame(frame('SEND', {}), ctx), 'MISSING_HEADER', 'Missing header', /'destination'/);
  });

  // Anything else a handler throws is a bug: the client gets a generic INTERNAL error, the log the stack.
  test('an unexpected exception becomes INTERNAL "Internal error"; the stack goes to stderr', (t) => {
    const ctx = fakeContext();
    ctx.bus = () => {
      throw new TypeError('bus exploded');
    };
    const written: string[] = [];
    t.mock.method(process.stderr, 'write', (chunk: string) => {
      written.push(String(chunk));
      return true;
    });
    const err = processFrame(frame('SEND', { destination: '/queue/a' }, 'x'), ctx);
    t.mock.restoreAll();
    assertRefused(err, 'INTERNAL', 'Internal error', /^The broker failed to process this frame\.$/);
    assert.equal(written.length, 1);
    assert.match(written[0], /^session session-4242-1: TypeError: bus exploded/);
  });
});
