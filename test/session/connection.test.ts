/**
 * Connection: the broker's heart-beats, on a clock the test moves (node:test mock timers), so the
 * silences it checks are exact and no real time passes.
 */
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, sessionConfigOf } from '../../src/config.js';
import type { ClientLink } from '../../src/session/client-link.js';
import { Connection } from '../../src/session/connection.js';

/** A link that records when (on the mocked clock) each frame and heart-beat was written. */
function recordingLink(): ClientLink & { writes: Array<{ at: number; what: 'frame' | 'beat' }> } {
  const writes: Array<{ at: number; what: 'frame' | 'beat' }> = [];
  return {
    writes,
    writableLength: 0,
    destroyed: false,
    writeFrame: () => writes.push({ at: Date.now(), what: 'frame' }),
    writeHeartbeat: () => writes.push({ at: Date.now(), what: 'beat' }),
    pause: () => {},
    resume: () => {},
    end: () => {},
    destroy: () => {},
    onData: () => {},
    onDrain: () => {},
    onEnd: () => {},
    onClose: () => {},
  };
}

/** Moves the mocked clock `ms` forward a millisecond at a time (one tick() fires an interval once at most). */
function advance(ms: number): void {
  for (let i = 0; i < ms; i++) mock.timers.tick(1);
}

/** The longest time between two writes (or from `from` to the first) up to `until`. */
function longestSilence(writes: Array<{ at: number }>, from: number, until: number): number {
  let last = from;
  let longest = 0;
  for (const { at } of writes) {
    longest = Math.max(longest, at - last);
    last = at;
  }
  return Math.max(longest, until - last);
}

describe('Connection: heart-beats to the client', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  // STOMP 1.2: the sender must send something at least every agreed interval. A frame written just
  // after a check must not stretch the silence that follows it towards twice the interval.
  test('the broker is never silent for longer than the agreed interval, frames or not', () => {
    const link = recordingLink();
    const conn = new Connection(link, sessionConfigOf(DEFAULT_CONFIG, 'test'));
    conn.connected('1.2');
    const start = Date.now();
    conn.startHeartbeat(1000, 0);
    // A MESSAGE at odd moments, then a long idle stretch.
    for (const at of [1, 499, 501, 1700, 2999, 3001]) {
      advance(at - (Date.now() - start));
      conn.write({ command: 'MESSAGE', headers: { destination: '/queue/a' }, body: Buffer.from('x') });
    }
    advance(20_000 - (Date.now() - start));
    assert.ok(link.writes.some((w) => w.what === 'beat'), 'heart-beats were written');
    const silence = longestSilence(link.writes, start, Date.now());
    assert.ok(silence <= 1000, `longest silence ${silence} ms, agreed interval 1000 ms`);
    conn.dispose();
  });

  // Frames count as heart-beats: a busy connection gets none.
  test('no heart-beat while frames leave more often than every half interval', () => {
    const link = recordingLink();
    const conn = new Connection(link, sessionConfigOf(DEFAULT_CONFIG, 'test'));
    conn.connected('1.2');
    conn.startHeartbeat(1000, 0);
    for (let i = 0; i < 25; i++) {
      advance(400);
      conn.write({ command: 'MESSAGE', headers: { destination: '/queue/a' }, body: Buffer.from('x') });
    }
    assert.deepEqual(link.writes.filter((w) => w.what === 'beat'), []);
    conn.dispose();
  });
});
