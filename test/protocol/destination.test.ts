/** Topic patterns: `*` one word, `#` (and ActiveMQ's `>`) zero or more, only on /topic/ destinations. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkDestination, isPattern, MAX_DESTINATION_LENGTH, MAX_DESTINATION_WORDS, resolveDestination, topicMatches, TopicTrie,
} from '../../src/protocol/destination.js';
import { StompError } from '../../src/protocol/errors.js';

describe('isPattern', () => {
  // A topic with a *, # or > word is a pattern.
  test('wildcard topic words are patterns', () => {
    for (const d of ['/topic/*', '/topic/#', '/topic/>', '/topic/a.*', '/topic/a.#', '/topic/*.b', '/topic/a.>.c']) {
      assert.equal(isPattern(d), true, d);
    }
  });

  // Plain topic names, wildcard characters inside a word, and non-topic destinations are not patterns.
  test('names and non-topics are not patterns', () => {
    for (const d of ['/topic/a', '/topic/a.b', '/topic/a*', '/topic/a#b', '/topic/x>y', '/queue/*', '/queue/a.#', '*', '#']) {
      assert.equal(isPattern(d), false, d);
    }
  });
});

describe('topicMatches', () => {
  // An exact name matches itself, and only itself (any destination equals itself).
  test('exact', () => {
    assert.equal(topicMatches('/queue/a', '/queue/a'), true);
    assert.equal(topicMatches('/queue/a', '/queue/b'), false);
    assert.equal(topicMatches('/topic/a.b', '/topic/a.b'), true);
    assert.equal(topicMatches('/topic/a.b', '/topic/a.c'), false);
    assert.equal(topicMatches('/topic/a.b', '/topic/a.b.c'), false);
    assert.equal(topicMatches('/topic/a', '/topic/ab'), false);
  });

  // `*` matches exactly one word.
  test('* is one word', () => {
    assert.equal(topicMatches('/topic/a.*', '/topic/a.b'), true);
    assert.equal(topicMatches('/topic/a.*', '/topic/a'), false);
    assert.equal(topicMatches('/topic/a.*', '/topic/a.b.c'), false);
    assert.equal(topicMatches('/topic/*.b', '/topic/x.b'), true);
    assert.equal(topicMatches('/topic/*.b', '/topic/x.y.b'), false);
    assert.equal(topicMatches('/topic/*', '/topic/anything'), true);
    assert.equal(topicMatches('/topic/a.*.c', '/topic/a.b.c'), true);
    assert.equal(topicMatches('/topic/a.*.c', '/topic/a.c'), false);
  });

  // `#` matches zero or more words, anywhere in the pattern.
  test('# is zero or more words', () => {
    assert.equal(topicMatches('/topic/a.#', '/topic/a'), true);
    assert.equal(topicMatches('/topic/a.#', '/topic/a.b'), true);
    assert.equal(topicMatches('/topic/a.#', '/topic/a.b.c.d'), true);
    assert.equal(topicMatches('/topic/a.#', '/topic/b.a'), false);
    assert.equal(topicMatches('/topic/#', '/topic/x.y.z'), true);
    assert.equal(topicMatches('/topic/#.z', '/topic/z'), true);
    assert.equal(topicMatches('/topic/#.z', '/topic/x.y.z'), true);
    assert.equal(topicMatches('/topic/#.z', '/topic/x.y'), false);
    assert.equal(topicMatches('/topic/a.#.c', '/topic/a.c'), true);
    assert.equal(topicMatches('/topic/a.#.c', '/topic/a.b.b.c'), true);
    assert.equal(topicMatches('/topic/a.#.c', '/topic/a.b.b.d'), false);
    assert.equal(topicMatches('/topic/#.*', '/topic/q'), true);
  });

  // ActiveMQ's `>` behaves as `#`.
  test('> is the same as #', () => {
    assert.equal(topicMatches('/topic/a.>', '/topic/a'), true);
    assert.equal(topicMatches('/topic/a.>', '/topic/a.b.c'), true);
    assert.equal(topicMatches('/topic/a.>', '/topic/b.c'), false);
    assert.equal(topicMatches('/topic/>', '/topic/x'), true);
  });

  // A pattern never matches a non-topic destination, nor does a non-topic pattern match anything else.
  test('non-topic never matches a pattern', () => {
    assert.equal(topicMatches('/topic/#', '/queue/a'), false);
    assert.equal(topicMatches('/topic/*', '/queue/a'), false);
    assert.equal(topicMatches('/queue/*', '/queue/a'), false);
    assert.equal(topicMatches('/queue/#', '/queue/a.b'), false);
    assert.equal(topicMatches('/queue/a.*', '/topic/a.b'), false);
  });
});

/** The obvious recursive matcher (exponential in the worst case): the reference the trie must agree with. */
function reference(pattern: string, name: string): boolean {
  const p = pattern.slice('/topic/'.length).split('.').map((w) => (w === '>' ? '#' : w));
  const n = name.slice('/topic/'.length).split('.');
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === n.length;
    if (p[i] === '#') {
      for (let k = j; k <= n.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < n.length && (p[i] === '*' || p[i] === n[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

describe('TopicTrie', () => {
  const word = fc.constantFrom('a', 'b', 'c');
  const patternWord = fc.constantFrom('a', 'b', 'c', '*', '#', '>');
  const topic = (w: fc.Arbitrary<string>) => fc.array(w, { minLength: 1, maxLength: 6 }).map((ws) => `/topic/${ws.join('.')}`);

  // Whatever the patterns, the trie finds exactly the values whose pattern matches (by the reference).
  test('matches exactly what the reference matcher matches', () => {
    fc.assert(fc.property(fc.array(topic(patternWord), { maxLength: 12 }), topic(word), (patterns, name) => {
      const trie = new TopicTrie<number>();
      patterns.forEach((p, i) => trie.add(p, i));
      const expected = patterns.flatMap((p, i) => (reference(p, name) ? [i] : []));
      assert.deepEqual([...trie.match(name)].sort((x, y) => x - y), expected);
    }), { numRuns: 500 });
  });

  // Removing every pair empties the trie: nothing is left behind to grow with churn.
  test('remove undoes add', () => {
    fc.assert(fc.property(fc.array(topic(patternWord), { maxLength: 12 }), topic(word), (patterns, name) => {
      const trie = new TopicTrie<number>();
      patterns.forEach((p, i) => trie.add(p, i));
      patterns.forEach((p, i) => trie.remove(p, i));
      assert.equal(trie.size, 0);
      assert.equal(trie.match(name).size, 0);
      assert.equal((trie as unknown as { root: { children: Map<string, unknown> } }).root.children.size, 0);
    }), { numRuns: 200 });
  });

  // The patterns that make backtracking matchers exponential (RabbitMQ's trie has the same property):
  // 1,000 of them, each ten `#` and a distinct last word, against a 20-word name, answer correctly.
  test('1,000 pathological # patterns against a 20-word name', () => {
    const trie = new TopicTrie<number>();
    for (let i = 0; i < 1000; i++) trie.add(`/topic/${Array(10).fill('#').join('.')}.x${i}.#.y`, i);
    const miss = `/topic/${Array(20).fill('w').join('.')}`;
    assert.equal(trie.match(miss).size, 0);
    const hit = `/topic/${Array(10).fill('w').join('.')}.x7.w.w.y`;
    assert.deepEqual([...trie.match(hit)], [7]);
  });
});

// The shapes a hostile client can subscribe with, within the limits: a thousand 127-word patterns
// that mix `*` and `#` word by word (no shared prefix past the first word), against 128-word names.
// An NFA walked through `#` nodes held every node live at every word (18 s a name); the answer
// must be right, and is, word by word, the reference's.
describe('TopicTrie: long mixed wildcard patterns', () => {
  test('1,023 patterns of 127 mixed words against 128-word names', () => {
    const trie = new TopicTrie<number>();
    const patterns: string[] = [];
    for (let i = 0; i < 1023; i++) {
      const words = Array.from<unknown, string>({ length: 127 }, (_, k) => (((i >> (k % 10)) & 1) === 0 ? '*' : k % 3 === 0 ? '#' : 'w'));
      words[0] = `p${i % 7}`;
      patterns.push(`/topic/${words.join('.')}`);
      trie.add(patterns[i], i);
    }
    for (const first of ['p0', 'p3', 'q']) {
      for (const fill of ['w', 'v']) {
        const name = `/topic/${[first, ...Array(127).fill(fill)].join('.')}`;
        const expected = patterns.flatMap((p, i) => (referenceLinear(p, name) ? [i] : []));
        assert.deepEqual([...trie.match(name)].sort((x, y) => x - y), expected);
      }
    }
  });
});

/** The same as `reference`, by dynamic programming (O(pattern × name)), for patterns too long to backtrack. */
function referenceLinear(pattern: string, name: string): boolean {
  const p = pattern.slice('/topic/'.length).split('.').map((w) => (w === '>' ? '#' : w));
  const n = name.slice('/topic/'.length).split('.');
  // can[j]: the first i pattern words match the first j name words.
  let can = n.map(() => false).concat(false);
  can[0] = true;
  for (const w of p) {
    const next = can.map(() => false);
    for (let j = 0; j <= n.length; j++) {
      if (w === '#') next[j] = can[j] || (j > 0 && next[j - 1]);
      else next[j] = j > 0 && can[j - 1] && (w === '*' || w === n[j - 1]);
    }
    can = next;
  }
  return can[n.length];
}

describe('checkDestination', () => {
  // Destinations are bounded: at most MAX_DESTINATION_LENGTH characters and MAX_DESTINATION_WORDS topic words.
  test('length and word limits', () => {
    checkDestination('/queue/ok');
    checkDestination(`/topic/${Array(MAX_DESTINATION_WORDS).fill('w').join('.')}`);
    assert.throws(() => checkDestination(`/topic/${Array(MAX_DESTINATION_WORDS + 1).fill('w').join('.')}`),
      (e) => e instanceof StompError && e.code === 'BAD_DESTINATION');
    assert.throws(() => checkDestination('/queue/' + 'q'.repeat(MAX_DESTINATION_LENGTH)),
      (e) => e instanceof StompError && e.code === 'BAD_DESTINATION');
  });
});

describe('resolveDestination', () => {
  // RabbitMQ's names for what this broker has reach the same subscribers as /topic/ and /queue/.
  test('/exchange/amq.topic/KEY is /topic/KEY, /amq/queue/NAME is /queue/NAME, the rest as given', () => {
    assert.equal(resolveDestination('/exchange/amq.topic/orders.created'), '/topic/orders.created');
    assert.equal(resolveDestination('/exchange/amq.topic/orders.*'), '/topic/orders.*');
    assert.equal(resolveDestination('/amq/queue/jobs'), '/queue/jobs');
    for (const same of ['/queue/a', '/topic/b', '/temp-queue/c', 'plain', '/other/d']) assert.equal(resolveDestination(same), same);
  });

  // Forms this broker does not have are refused, not turned into a queue nobody reads.
  test('another exchange, an empty key or queue name, /temp-topic/ and a durable subscription\'s queue are refused', () => {
    for (const bad of ['/exchange/amq.direct/k', '/exchange/logs', '/exchange/amq.topic/', '/amq/queue/', '/temp-topic/t',
      'durable:cid:sub']) {
      assert.throws(() => resolveDestination(bad), (err: StompError) => err.code === 'BAD_DESTINATION'
        && err.message === 'Unknown destination' && err.detail.includes(bad), bad);
    }
  });
});

describe('resolveDestination: limits', () => {
  // A topic named through RabbitMQ's exchange form is held to the /topic/ word limit too.
  test('/exchange/amq.topic/ with more words than a topic may have → BAD_DESTINATION', () => {
    const key = Array.from({ length: MAX_DESTINATION_WORDS + 1 }, () => 'w').join('.');
    assert.throws(() => resolveDestination(`/exchange/amq.topic/${key}`), (err: StompError) => err.code === 'BAD_DESTINATION');
  });
});
