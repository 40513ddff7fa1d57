/** Permission patterns: `*` globbing, and whether patterns cover a wildcard topic subscription. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { patternsAllow, patternsCover } from '../../src/auth/pattern.js';
import { globMatches, topicMatches } from '../../src/protocol/destination.js';

describe('globMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/queue/jobs', '/queue/jobs', true],
    ['/queue/jobs', '/queue/jobs2', false],
    ['/queue/jobs.*', '/queue/jobs.thumbs', true],
    ['/queue/jobs.*', '/queue/jobs.', true],
    ['/queue/jobs.*', '/queue/jobs', false],
    ['/queue/*', '/queue/a/b.c', true],
    ['*', '', true],
    ['*', '/topic/anything', true],
    ['/queue/*.dlq', '/queue/a.b.dlq', true],
    ['/queue/*.dlq', '/queue/a.b.dlqx', false],
    ['/q*u*e', '/queue', true],
    ['a*a*a', 'aa', false],
    ['/queue/a', '/queue/A', false],
  ];
  for (const [pattern, name, expected] of cases) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${name || '""'}`, () => {
      assert.equal(globMatches(pattern, name), expected);
    });
  }

  test('many stars against a long name finish (no backtracking blow-up)', () => {
    const name = '/queue/' + 'a'.repeat(60_000) + 'b';
    assert.equal(globMatches('/queue/*a*a*a*a*a*a*a*a*a*a*c', name), false);
    assert.equal(globMatches('/queue/*a*a*a*a*a*a*a*a*a*a*b', name), true);
  });

  test('agrees with the equivalent regular expression', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '.', '*'), maxLength: 6 });
    fc.assert(fc.property(text, fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 8 }), (p, n) => {
      const re = new RegExp('^' + p.split('*').map((s) => s.replace(/\./g, '\\.')).join('.*') + '$');
      return globMatches(p, n) === re.test(n);
    }), { numRuns: 2000 });
  });
});

describe('patternsAllow', () => {
  test('a plain destination needs one matching pattern; none means denied', () => {
    assert.equal(patternsAllow(['/queue/a', '/queue/jobs.*'], '/queue/jobs.x'), true);
    assert.equal(patternsAllow(['/queue/a'], '/queue/b'), false);
    assert.equal(patternsAllow([], '/queue/a'), false);
  });

  test('a queue name containing * is a name, not a subscription pattern', () => {
    assert.equal(patternsAllow(['/queue/a*'], '/queue/a*'), true);
    assert.equal(patternsAllow(['/queue/b'], '/queue/*'), false);
  });

  const covered: Array<[string[], string, boolean, string]> = [
    [['/topic/*'], '/topic/#', true, 'everything under /topic/'],
    [['*'], '/topic/a.*.c', true, 'the match-all pattern'],
    [['/topic/a.*.c'], '/topic/a.*.c', true, 'the same shape'],
    [['/topic/news*'], '/topic/news.#', true, 'news and below'],
    [['/topic/news.*'], '/topic/news.#', false, '/topic/news itself is not covered'],
    [['/topic/news', '/topic/news.*'], '/topic/news.#', true, 'two patterns together'],
    [['/topic/a.*'], '/topic/*', false, 'other first words'],
    [['/topic/a.*'], '/topic/a.*', true, 'every second word'],
    [['/topic/a.b'], '/topic/a.*', false, 'only one of the words'],
    [['/topic/x.*.y'], '/topic/x.#.y', false, '/topic/x.y is not covered'],
    [['/topic/x.*y'], '/topic/x.#.y', true, 'any middle, including none'],
    [['/topic/a.>'], '/topic/a.>', false, '> is literal in a permission pattern'],
    [['/topic/*.b'], '/topic/*.b', true, 'a wildcard first word'],
    [['/topic/*.b'], '/topic/#.b', false, '/topic/b is not covered'],
  ];
  for (const [patterns, sub, expected, why] of covered) {
    test(`${patterns.join(' + ')} ${expected ? 'covers' : 'does not cover'} ${sub} (${why})`, () => {
      assert.equal(patternsAllow(patterns, sub), expected);
    });
  }
});

describe('patternsCover on hostile subscriptions', () => {
  const huge = '/topic/a.' + '*.'.repeat(20_000) + 'x';

  test('a match-all pattern covers even a 40 KB subscription', () => {
    assert.equal(patternsCover(['/queue/*', '/topic/*'], huge), true);
    assert.equal(patternsCover(['*'], huge), true);
    assert.equal(patternsCover(['/topic/a*'], '/topic/a.' + '*.'.repeat(20) + 'x'), true);
  });

  test('one too intricate to decide within the work budget is denied', () => {
    assert.equal(patternsCover(['/topic/a*'], huge), false);
  });
});

/** A topic name the subscription matches and no pattern does, searched over short names; or undefined. */
function counterexample(patterns: string[], sub: string, maxLength: number): string | undefined {
  const chars = ['a', 'b', '.', 'z'];
  let level = [''];
  for (let len = 0; len <= maxLength; len++) {
    for (const rest of level) {
      const name = '/topic/' + rest;
      if (topicMatches(sub, name) && !patterns.some((p) => globMatches(p, name))) return name;
    }
    level = level.flatMap((s) => chars.map((c) => s + c));
  }
  return undefined;
}

describe('patternsCover agrees with brute force', () => {
  const word = fc.constantFrom('a', 'b', '', '*', '#', '>'); // short: names up to 6 characters settle it
  const sub = fc.array(word, { minLength: 1, maxLength: 3 }).map((ws) => '/topic/' + ws.join('.'));
  const glob = fc.tuple(fc.boolean(), fc.string({ unit: fc.constantFrom('a', 'b', '.', '*'), maxLength: 4 }))
    .map(([topic, s]) => (topic ? '/topic/' + s : '*' + s));
  const patterns = fc.array(glob, { minLength: 0, maxLength: 2 });

  test('covered means no short name escapes, and not covered means one does', () => {
    fc.assert(fc.property(patterns, sub, (ps, s) => {
      const found = counterexample(ps, s, 6);
      return patternsCover(ps, s) === (found === undefined);
    }), { numRuns: 300 });
  });
});
