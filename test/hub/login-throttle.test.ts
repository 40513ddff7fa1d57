/**
 * LoginThrottle: a failed login's delay doubles with each recent failure from the same address (up to
 * 64 times the first), attempts from a failing address wait for the ones before them, other addresses
 * are untouched, failures are forgotten after ten minutes, and memory is bounded.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/hub/login-throttle.js';

const fail = async (): Promise<boolean> => false;
const succeed = async (): Promise<boolean> => true;

describe('LoginThrottle', () => {
  test('the delay doubles per failure from one address, up to 64 times the first', async () => {
    const throttle = new LoginThrottle(1);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      delays.push(throttle.delayFor('10.0.0.1'));
      assert.equal(await throttle.attempt('10.0.0.1', fail), false);
    }
    assert.deepEqual(delays, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
  });

  test('another address is not slowed; a success adds no failure', async () => {
    const throttle = new LoginThrottle(1);
    await throttle.attempt('10.0.0.1', fail);
    await throttle.attempt('10.0.0.1', fail);
    assert.equal(throttle.delayFor('10.0.0.2'), 1);
    assert.equal(await throttle.attempt('10.0.0.1', succeed), true);
    assert.equal(throttle.delayFor('10.0.0.1'), 4);
  });

  // Many connections from one address do not multiply the guesses: each attempt starts only once the
  // one before it has failed and served its delay.
  test('attempts from an address that failed run one after another', async () => {
    const throttle = new LoginThrottle(1);
    await throttle.attempt('10.0.0.1', fail);
    const events: string[] = [];
    const attempt = (n: number) => throttle.attempt('10.0.0.1', async () => {
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
      return false;
    });
    await Promise.all([attempt(1), attempt(2), attempt(3)]);
    assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  test('failures older than ten minutes are forgotten', async () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(1, () => now);
    await throttle.attempt('10.0.0.1', fail);
    await throttle.attempt('10.0.0.1', fail);
    assert.equal(throttle.delayFor('10.0.0.1'), 4);
    now += 11 * 60_000;
    assert.equal(throttle.delayFor('10.0.0.1'), 1);
  });

  // (An address whose attempt is still waiting is never forgotten: those are bounded by --max-connections.)
  test('at most 10,000 addresses are remembered', async () => {
    const throttle = new LoginThrottle(0);
    for (let batch = 0; batch < 10_050; batch += 1000) {
      const addresses = Array.from({ length: Math.min(1000, 10_050 - batch) }, (_, i) => batch + i);
      await Promise.all(addresses.map((i) => throttle.attempt(`10.1.${i >> 8}.${i & 255}`, fail)));
    }
    assert.ok(throttle.size <= 10_000, `${throttle.size} addresses remembered`);
    assert.equal(throttle.delayFor('10.1.39.65'), 0, 'the newest failures are the ones kept');
  });
});
