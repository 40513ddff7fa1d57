/**
 * A bounded run of the fuzz driver (benchmarks/fuzz.ts) against its own broker: a few thousand frames,
 * a few hundred of them mutated at most. The driver itself checks the broker (hub alive, every bad
 * connection answered and closed, bystanders untouched) and exits non-zero on any violation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDriver as run } from '../helpers/scripts.js';

// Mutated frames from short-lived connections plus long connections of valid frames, while a control
// client keeps a persistent queue going: no violation, and the bad frames really were refused.
test('a bounded fuzz run finds no violation', { timeout: 180_000 }, async () => {
  const { code, summary, stderr } = await run('fuzz', ['--frames', '3000', '--mutated', '100', '--max-seconds', '30',
    '--concurrency', '4', '--streams', '2', '--seed', '20261202']);
  assert.equal(code, 0, `violations: ${JSON.stringify(summary.violations, null, 2)}\n${stderr}`);
  assert.equal(summary.violations.count, 0);
  assert.equal(summary.hub.alive, true);
  // How many frames fit in the time limit depends on the machine; that they were judged does not.
  assert.ok(summary.frames.total > 0 && summary.frames.mutated > 0, JSON.stringify(summary.frames));
  const judged = Object.values(summary.outcomes as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(judged > 0 && judged <= summary.frames.mutated, `${judged} outcomes for ${summary.frames.mutated} mutated frames`);
  if (summary.frames.mutated >= 20) assert.ok(summary.outcomes.rejected > 0, 'no mutated frame was refused');
  assert.ok(summary.control.sent > 0 && summary.control.received === summary.control.sent);
  assert.equal(summary.corpusFrames, 60);
});
