/** ClaimTable: one-unit semaphore per offered message (first claim wins, last answer frees). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaimTable } from '../../src/hub/claim-table.js';

describe('ClaimTable', () => {
  // open() hands out distinct ids and each open claim is visible with every offeree waiting.
  test('open records the message and its offerees', () => {
    const t = new ClaimTable<string, string>();
    const a = t.open('m1', ['x', 'y']);
    const b = t.open('m2', ['x']);
    assert.notEqual(a, b);
    assert.equal(t.size, 2);
    const claim = t.get(a);
    assert.ok(claim);
    assert.equal(claim.message, 'm1');
    assert.deepEqual([...claim.waiting].sort(), ['x', 'y']);
    assert.equal(claim.winner, null);
  });

  // The first claim takes the unit; while others still have to answer, the entry stays open.
  test('first claim wins and the claim stays open until everyone answered', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b', 'c']);
    const first = t.claim(id, 'b');
    assert.deepEqual(first, { granted: true, closed: null });
    assert.equal(t.get(id)?.winner, 'b');
    assert.equal(t.size, 1);
  });

  // Later claims are refused once someone holds the unit.
  test('later claims are refused', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b', 'c']);
    t.claim(id, 'a');
    const second = t.claim(id, 'b');
    assert.equal(second.granted, false);
    assert.equal(second.closed, null);
    assert.equal(t.get(id)?.winner, 'a');
  });

  // The last answer closes the claim, returns it (with the winner) and frees the entry.
  test('the last answer closes and frees the entry', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b']);
    t.claim(id, 'a');
    const last = t.claim(id, 'b');
    assert.equal(last.granted, false);
    assert.ok(last.closed);
    assert.equal(last.closed.id, id);
    assert.equal(last.closed.message, 'm');
    assert.equal(last.closed.winner, 'a');
    assert.equal(last.closed.waiting.size, 0);
    assert.equal(t.get(id), undefined);
    assert.equal(t.size, 0);
  });

  // A single offeree's winning claim is also the last answer: granted and closed at once.
  test('a sole offeree claiming is granted and closes the claim', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a']);
    const out = t.claim(id, 'a');
    assert.equal(out.granted, true);
    assert.equal(out.closed?.winner, 'a');
    assert.equal(t.size, 0);
  });

  // When everyone passes, the claim closes with no winner (the message must go back).
  test('pass by everyone closes with winner null', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b']);
    const p1 = t.pass(id, 'a');
    assert.deepEqual(p1, { granted: false, closed: null });
    const p2 = t.pass(id, 'b');
    assert.equal(p2.granted, false);
    assert.ok(p2.closed);
    assert.equal(p2.closed.winner, null);
    assert.equal(t.size, 0);
  });

  // A claim after others passed still wins, and being last it closes the entry.
  test('claim after passes wins and closes', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b']);
    t.pass(id, 'a');
    const out = t.claim(id, 'b');
    assert.equal(out.granted, true);
    assert.equal(out.closed?.winner, 'b');
  });

  // Claims on an offer id that does not exist (or no longer exists) are refused without effect.
  test('unknown offer is refused', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a']);
    assert.deepEqual(t.claim(id + 100, 'a'), { granted: false, closed: null });
    assert.deepEqual(t.pass(id + 100, 'a'), { granted: false, closed: null });
    t.claim(id, 'a');
    // closed now: a second claim on the freed id is unknown
    assert.deepEqual(t.claim(id, 'a'), { granted: false, closed: null });
    assert.equal(t.size, 0);
  });

  // Someone the message was not offered to cannot claim it, and does not count as an answer.
  test('unknown offeree is refused and changes nothing', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a']);
    assert.deepEqual(t.claim(id, 'stranger'), { granted: false, closed: null });
    assert.equal(t.get(id)?.winner, null);
    assert.equal(t.get(id)?.waiting.size, 1);
    // the real offeree still wins
    assert.equal(t.claim(id, 'a').granted, true);
  });

  // An offeree answering twice counts once: no second grant, and it does not close the claim for others.
  test('answering twice counts once', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b']);
    assert.equal(t.claim(id, 'a').granted, true);
    const again = t.claim(id, 'a');
    assert.deepEqual(again, { granted: false, closed: null });
    assert.deepEqual(t.pass(id, 'a'), { granted: false, closed: null });
    assert.equal(t.size, 1, 'b has not answered: still open');
    const last = t.pass(id, 'b');
    assert.equal(last.closed?.winner, 'a');
  });

  // A pass followed by a claim from the same offeree is not a second answer: it cannot win.
  test('pass then claim by the same offeree is refused', () => {
    const t = new ClaimTable<string, string>();
    const id = t.open('m', ['a', 'b']);
    t.pass(id, 'a');
    assert.equal(t.claim(id, 'a').granted, false);
    assert.equal(t.get(id)?.winner, null);
    assert.equal(t.size, 1);
  });

  // Claims are independent: winning one offer says nothing about another.
  test('separate offers are separate semaphores', () => {
    const t = new ClaimTable<string, string>();
    const x = t.open('m1', ['a', 'b']);
    const y = t.open('m2', ['a', 'b']);
    assert.equal(t.claim(x, 'a').granted, true);
    assert.equal(t.claim(y, 'b').granted, true);
    assert.equal(t.claim(y, 'a').closed?.winner, 'b');
    assert.equal(t.size, 1);
  });
});
