/** Topic patterns: `*` one word, `#` (and ActiveMQ's `>`) zero or more, only on /topic/ destinations. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isPattern, topicMatches } from '../../src/protocol/destination.js';

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
