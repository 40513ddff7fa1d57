/**
 * Short runs of the chaos driver (benchmarks/chaos.ts), one per mode: producers of persistent messages
 * and client-individual consumers while session processes are SIGKILLed, then while the hub is too.
 * The driver checks its clients' records (nothing receipted lost, nothing unsent delivered, nothing
 * delivered after its ACK was receipted) and exits non-zero on a violation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDriver as run } from '../helpers/scripts.js';

/** The checks both modes share: no violation, and the run really sent, receipted, killed and drained. */
function assertClean({ code, summary, stderr }: Awaited<ReturnType<typeof run>>): void {
  assert.equal(code, 0, `violations: ${JSON.stringify(summary.violations)}\n${JSON.stringify(summary.messages)}\n${stderr}`);
  const m = summary.messages;
  assert.equal(m.lost, 0);
  assert.equal(m.phantom, 0);
  assert.equal(m.deliveredAfterAck, 0);
  assert.ok(m.receipted > 0, 'no SEND was receipted');
  assert.ok(m.delivered >= m.receipted);
  assert.deepEqual(summary.violations, []);
}

// Random session processes SIGKILLed under producers and consumers.
test('chaos: session kills lose nothing receipted', { timeout: 180_000 }, async () => {
  const result = await run('chaos', ['--seconds', '15', '--session-kill-ms', '300,900', '--drain-seconds', '60', '--seed', '11']);
  assertClean(result);
  assert.ok(result.summary.kills.sessionKills > 0);
});

// The hub SIGKILLed and restarted on the same data directory; clients reconnect and go on.
test('chaos: hub kills lose nothing receipted', { timeout: 180_000 }, async () => {
  const result = await run('chaos', ['--seconds', '15', '--kill-hub', '--hub-kill-ms', '3000,5000', '--drain-seconds', '60', '--seed', '12']);
  assertClean(result);
  assert.ok(result.summary.kills.hubKills > 0);
  assert.equal(result.summary.kills.hubRestarts, result.summary.kills.hubKills);
});
