/** Destination policies: config validation, pattern merging, dead-letter naming, back-off. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backoffDelay, ConfigError, deadLetterQueue, DEFAULT_POLICY, loadConfigFile, parseConfig, policyFor,
} from '../../src/hub/policy.js';

/** The JSON example under "## Configuration" in README.md, or a similar object when absent. */
function readmeExample(): unknown {
  const fallback = {
    destinations: {
      '/queue/thumbnails': {
        persistent: true, maxDeliveries: 5, backoff: { initialMs: 5000, multiplier: 3, maxMs: 600000 },
        ackTimeoutMs: 120000, maxLength: 100000,
      },
      '/topic/uploads': { fanout: ['/queue/thumbnails', '/queue/audit'] },
    },
  };
  // dist/test/hub/policy.test.js → the project root is three levels up; from /tmp builds, fall back to cwd.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const file of [path.resolve(here, '../../../README.md'), path.resolve(process.cwd(), 'README.md')]) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const section = text.split(/^## Configuration\s*$/m)[1]?.split(/^## /m)[0];
    const block = section && /```json\n([\s\S]*?)```/.exec(section);
    if (block) return JSON.parse(block[1]);
  }
  return fallback;
}

/** Asserts `fn` throws a ConfigError whose message contains every fragment. */
function throwsNaming(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `'${err.message}' should name ${f}`);
    return true;
  });
}

describe('parseConfig', () => {
  // The README's example is a valid configuration, and every setting it states is kept as written.
  test('accepts the README example', () => {
    const raw = readmeExample() as { destinations: Record<string, Record<string, unknown>> };
    const config = parseConfig(raw);
    const patterns = Object.keys(raw.destinations);
    assert.ok(patterns.length > 0);
    assert.deepEqual(config.destinations.map((d) => d.pattern), patterns);
    for (const entry of config.destinations) {
      for (const [key, value] of Object.entries(raw.destinations[entry.pattern])) {
        if (key === '$comment') continue;
        const expected = key === 'backoff'
          ? { initialMs: 1000, multiplier: 2, maxMs: 3_600_000, ...(value as object) } : value;
        assert.deepEqual((entry.policy as Record<string, unknown>)[key], expected, `${entry.pattern}.${key}`);
      }
    }
  });

  // An empty object (or no destinations) is valid and leaves defaults everywhere.
  test('empty config gives defaults', () => {
    assert.deepEqual(policyFor(parseConfig({}), '/queue/any'), DEFAULT_POLICY);
    assert.deepEqual(parseConfig({ destinations: {} }).destinations, []);
    assert.doesNotThrow(() => parseConfig({ $comment: 'hello', destinations: { '/queue/a': { $comment: 'x' } } }));
  });

  // The top level must be an object; unknown top-level keys are named.
  test('rejects non-objects and unknown top-level keys', () => {
    throwsNaming(() => parseConfig([]), 'must be a JSON object');
    throwsNaming(() => parseConfig(null), 'must be a JSON object');
    throwsNaming(() => parseConfig({ destinatons: {} }), 'destinatons');
    throwsNaming(() => parseConfig({ destinations: [] }), 'destinations');
  });

  // An unknown setting is refused with a message naming the pattern and the key.
  test('rejects unknown settings naming the key', () => {
    throwsNaming(() => parseConfig({ destinations: { '/queue/a': { maxDeliverys: 3 } } }), '/queue/a', 'maxDeliverys');
    throwsNaming(() => parseConfig({ destinations: { '/queue/a': { backoff: { initial: 5 } } } }), 'backoff.initial');
    throwsNaming(() => parseConfig({ destinations: { '/queue/a': 5 } }), '/queue/a');
  });

  // Bad value types are refused with a message naming the key.
  test('rejects bad types naming the key', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ persistent: 'yes' }, 'persistent'],
      [{ maxDeliveries: -1 }, 'maxDeliveries'],
      [{ maxDeliveries: 1.5 }, 'maxDeliveries'],
      [{ maxLength: '10' }, 'maxLength'],
      [{ maxBytes: null }, 'maxBytes'],
      [{ ackTimeoutMs: -5 }, 'ackTimeoutMs'],
      [{ expired: 'keep' }, 'expired'],
      [{ overflow: 'block' }, 'overflow'],
      [{ deadLetter: '' }, 'deadLetter'],
      [{ deadLetter: '/topic/x' }, 'deadLetter'],
      [{ fanout: '/queue/a' }, 'fanout'],
      [{ fanout: ['/queue/a', '/topic/b'] }, 'fanout[1]'],
      [{ backoff: 5 }, 'backoff'],
      [{ backoff: { multiplier: 0.5 } }, 'backoff.multiplier'],
      [{ backoff: { initialMs: -1 } }, 'backoff.initialMs'],
      [{ backoff: { maxMs: 'x' } }, 'backoff.maxMs'],
    ];
    for (const [settings, key] of bad) {
      throwsNaming(() => parseConfig({ destinations: { '/queue/p': settings } }), key);
    }
  });

  // The source name given to parseConfig prefixes messages (the file name for loadConfigFile).
  test('error messages name the source', () => {
    throwsNaming(() => parseConfig({ bogus: 1 }, 'broker.json'), 'broker.json', 'bogus');
  });

  // backoff fills missing fields with its defaults.
  test('backoff defaults', () => {
    const config = parseConfig({ destinations: { '/queue/b': { backoff: {} } } });
    assert.deepEqual(policyFor(config, '/queue/b').backoff, { initialMs: 1000, multiplier: 2, maxMs: 3_600_000 });
  });

  // loadConfigFile reads JSON from disk and names the file in errors.
  test('loadConfigFile', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-test-'));
    try {
      const good = path.join(dir, 'good.json');
      fs.writeFileSync(good, JSON.stringify({ destinations: { '/queue/a': { maxLength: 3 } } }));
      assert.equal(policyFor(loadConfigFile(good), '/queue/a').maxLength, 3);
      const broken = path.join(dir, 'broken.json');
      fs.writeFileSync(broken, '{ not json');
      throwsNaming(() => loadConfigFile(broken), broken, 'not valid JSON');
      const badKey = path.join(dir, 'bad.json');
      fs.writeFileSync(badKey, JSON.stringify({ destinations: { '/queue/a': { wat: 1 } } }));
      throwsNaming(() => loadConfigFile(badKey), badKey, 'wat');
      throwsNaming(() => loadConfigFile(path.join(dir, 'missing.json')), 'missing.json');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Errors from a file name its line: of a JSON syntax error, and of the key whose value is wrong.
  test('loadConfigFile names the line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-test-'));
    const file = path.join(dir, 'broker.json');
    const cases: Array<[string, string]> = [
      ['{\n  "destinations": {\n    "/queue/a": { "maxLength": 1 },\n    "/queue/b": {\n      "maxLength": -1\n    }\n  }\n}',
        ':5: destinations["/queue/b"].maxLength: must be a non-negative integer'],
      ['{\n  "destinations": {\n    "/queue/a": {\n      "wat": 1\n    }\n  }\n}', ':4: destinations["/queue/a"].wat: unknown setting'],
      ['{\n  "destinations": {},\n  "extra": 1\n}', ":3: unknown key 'extra'"],
      ['{\n  "destinations": {\n    "/queue/a": { "maxLength": 1 },\n  }\n}', ':4: not valid JSON'],
      ['{\n  "destinations": {\n', ':3: not valid JSON'],
    ];
    try {
      for (const [text, expected] of cases) {
        fs.writeFileSync(file, text);
        throwsNaming(() => loadConfigFile(file), file + expected);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('policyFor', () => {
  // Every matching pattern applies in file order, later ones overriding earlier ones; unset keys keep defaults.
  test('merges matching patterns in order', () => {
    const config = parseConfig({
      destinations: {
        '/queue/*': { persistent: true, maxDeliveries: 3 },
        '/queue/jobs.*': { maxDeliveries: 5, overflow: 'drop-head' },
        '/queue/jobs.urgent': { maxLength: 10 },
      },
    });
    const urgent = policyFor(config, '/queue/jobs.urgent');
    assert.equal(urgent.persistent, true);
    assert.equal(urgent.maxDeliveries, 5);
    assert.equal(urgent.overflow, 'drop-head');
    assert.equal(urgent.maxLength, 10);
    const other = policyFor(config, '/queue/other');
    assert.equal(other.maxDeliveries, 3);
    assert.equal(other.overflow, 'reject');
    assert.equal(other.maxLength, 0);
    assert.deepEqual(policyFor(config, '/topic/x'), DEFAULT_POLICY);
  });

  // Order is file order, not specificity: a later general pattern overrides an earlier specific one.
  test('later pattern wins even when more general', () => {
    const config = parseConfig({
      destinations: { '/queue/jobs.a': { maxDeliveries: 5 }, '/queue/*': { maxDeliveries: 3 } },
    });
    assert.equal(policyFor(config, '/queue/jobs.a').maxDeliveries, 3);
  });

  // Only `*` is special in a pattern: dots and other regex characters are literal, and the match is whole.
  test('pattern characters other than * are literal', () => {
    const config = parseConfig({ destinations: { '/queue/a.b': { maxLength: 1 }, '/queue/(x)+': { maxLength: 2 } } });
    assert.equal(policyFor(config, '/queue/a.b').maxLength, 1);
    assert.equal(policyFor(config, '/queue/aXb').maxLength, 0);
    assert.equal(policyFor(config, '/queue/a.b.c').maxLength, 0);
    assert.equal(policyFor(config, '/queue/(x)+').maxLength, 2);
    assert.equal(policyFor(config, '/queue/xx').maxLength, 0);
  });

  // policyFor never mutates the defaults.
  test('does not mutate DEFAULT_POLICY', () => {
    const before = structuredClone(DEFAULT_POLICY);
    policyFor(parseConfig({ destinations: { '*': { maxLength: 9, fanout: ['/queue/z'] } } }), '/queue/a');
    assert.deepEqual(DEFAULT_POLICY, before);
  });
});

describe('deadLetterQueue', () => {
  // Default: /queue/DLQ.<name without /queue/>; a configured deadLetter wins.
  test('naming', () => {
    assert.equal(deadLetterQueue(DEFAULT_POLICY, '/queue/jobs'), '/queue/DLQ.jobs');
    assert.equal(deadLetterQueue(DEFAULT_POLICY, '/queue/a/b'), '/queue/DLQ.a/b');
    assert.equal(deadLetterQueue(DEFAULT_POLICY, '/orders'), '/queue/DLQ.orders');
    assert.equal(deadLetterQueue(DEFAULT_POLICY, 'durable:audit'), '/queue/DLQ.durable:audit');
    assert.equal(deadLetterQueue({ ...DEFAULT_POLICY, deadLetter: '/queue/graveyard' }, '/queue/jobs'), '/queue/graveyard');
  });
});

describe('backoffDelay', () => {
  // Delay grows by the multiplier per failure and is capped at maxMs.
  test('growth and cap', () => {
    const b = { initialMs: 1000, multiplier: 2, maxMs: 5000 };
    assert.deepEqual([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(b, n)), [1000, 2000, 4000, 5000, 5000, 5000]);
    const c = { initialMs: 100, multiplier: 1.5, maxMs: 1_000_000 };
    assert.deepEqual([1, 2, 3].map((n) => backoffDelay(c, n)), [100, 150, 225]);
  });

  // No back-off, or no failure yet, means no delay; multiplier 1 is a constant delay.
  test('no back-off and constant back-off', () => {
    assert.equal(backoffDelay(null, 3), 0);
    assert.equal(backoffDelay({ initialMs: 1000, multiplier: 2, maxMs: 5000 }, 0), 0);
    const flat = { initialMs: 250, multiplier: 1, maxMs: 10_000 };
    assert.deepEqual([1, 2, 10].map((n) => backoffDelay(flat, n)), [250, 250, 250]);
  });
});
