/**
 * LoginThrottle: a failed login's delay doubles with each recent failure from the same address (up to
 * 64 times the first), attempts from a failing address wait for the ones before them, other addresses
 * are untouched, failures are forgotten after ten minutes, and memory is bounded.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, PARALLEL_ATTEMPTS } from '../../src/hub/login-throttle.js';

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

  // Before any failure counts, a burst of connections from one address gets at most PARALLEL_ATTEMPTS
  // logins checked at once; every one of them is still checked, and other addresses are not held up.
  test('an address without failures has at most PARALLEL_ATTEMPTS logins checked at once', async () => {
    const throttle = new LoginThrottle(1);
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const attempt = () => throttle.attempt('10.0.0.1', async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return true;
    });
    const all = Promise.all(Array.from({ length: 10 }, attempt));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(running, PARALLEL_ATTEMPTS);
    assert.equal(await throttle.attempt('10.0.0.2', succeed), true, 'another address goes ahead');
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(await all, Array(10).fill(true));
    assert.equal(most, PARALLEL_ATTEMPTS);
  });

  // A failure while others wait: those that start after it run one after another, behind its delay.
  test('a failure in a burst puts the rest of the burst in line', async () => {
    const throttle = new LoginThrottle(1);
    const events: string[] = [];
    const attempt = (n: number, ok: boolean) => throttle.attempt('10.0.0.1', async () => {
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
      return ok;
    });
    const results = await Promise.all([attempt(1, false), ...[2, 3, 4, 5, 6, 7].map((n) => attempt(n, false))]);
    assert.deepEqual(results, Array(7).fill(false));
    // 1-4 started together; 5, 6 and 7 each started only after the one before had ended.
    const at = (e: string) => events.indexOf(e);
    assert.ok(at('start 5') > at('end 1'));
    assert.ok(at('start 6') > at('end 5'));
    assert.ok(at('start 7') > at('end 6'));
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
