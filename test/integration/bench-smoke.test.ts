/**
 * Smoke test of the benchmarks: every scenario `npm run bench` runs (benchmarks/matrix-scenarios.ts),
 * and the other run.js scenarios, at a tiny size against our broker. Each must complete with every
 * message received exactly once. Nothing about speed is asserted: that lives in benchmarks/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MATRIX } from '../../benchmarks/matrix-scenarios.js';
import { runScenario, type ScenarioName, type ScenarioOptions, type ScenarioResult } from '../../benchmarks/scenarios.js';
import { type Broker, startBroker } from '../helpers/broker.js';

/** Messages per tiny run (64 KiB bodies: a tenth of it). */
const TINY = 200;

function options(port: number, over: Partial<ScenarioOptions>): ScenarioOptions {
  return {
    conn: { host: '127.0.0.1', port }, size: 100, producers: 1, durationS: 60, window: 100, prefetch: 100,
    ackReceipt: 0, rate: 0, prefix: 'smoke', label: 'smoke', ...over,
  };
}

function assertComplete(r: ScenarioResult, expected: number): void {
  assert.equal(r.timedOut, false, `timed out: ${r.notes}`);
  assert.equal(r.lost, 0, `lost: ${r.notes}`);
  assert.equal(r.duplicates, 0, `duplicated: ${r.notes}`);
  assert.equal(r.count, expected, `counted: ${r.notes}`);
  assert.equal(r.valid, true);
}

describe('benchmark scenarios, tiny, against our broker', () => {
  let broker: Broker;
  before(async () => {
    broker = await startBroker(['--prefork', '4']);
  });
  after(async () => {
    await broker?.stop();
  });

  for (const s of MATRIX) {
    test(`${s.id}: ${s.title}`, async () => {
      const messages = (s.options.size ?? 100) > 4096 ? TINY / 10 : TINY;
      const r = await runScenario(s.scenario, options(broker.port, { ...s.options, messages }));
      const perMessage = s.scenario === 'topic' ? s.options.consumers ?? 4 : 1;
      assertComplete(r, messages * perMessage);
      assert.equal(r.sent, messages);
    });
  }

  const others: [ScenarioName, Partial<ScenarioOptions>][] = [
    ['receipts', { messages: TINY }], ['latency', { messages: 20 }], ['connect', { messages: 3 }],
  ];
  for (const [scenario, over] of others) {
    test(`run.js ${scenario}`, async () => {
      const r = await runScenario(scenario, options(broker.port, over));
      assertComplete(r, over.messages!);
    });
  }
});
