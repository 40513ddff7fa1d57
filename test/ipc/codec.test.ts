/** Bus codec: length-prefixed msgpackr batches of contract messages, reassembled from any chunking. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BatchDecoder, BatchEncoder, MAX_BATCH_BYTES } from '../../src/ipc/codec.js';
import { BINARY, CONTROL, HUB_TO_SESSION, SESSION_TO_HUB } from './samples.js';

const ALL: unknown[] = [...Object.values(SESSION_TO_HUB), ...Object.values(HUB_TO_SESSION), ...Object.values(CONTROL)];

/** One encoded batch as a single Buffer (the encoder returns a list for writev). */
function encoded(messages: readonly unknown[], enc = new BatchEncoder()): Buffer {
  return Buffer.concat(enc.encode(messages));
}

function decodeAll(chunks: Buffer[], decoder = new BatchDecoder()): unknown[] {
  const out: unknown[] = [];
  for (const c of chunks) decoder.push(c, (m) => out.push(m));
  return out;
}

/** Every Buffer in `value`, with its path. */
function buffersIn(value: unknown, where = '$'): Array<[string, unknown]> {
  if (value instanceof Uint8Array) return [[where, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => buffersIn(v, `${where}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => buffersIn(v, `${where}.${k}`));
  }
  return [];
}

describe('codec round trip', () => {
  // Every contract message, alone in its batch, decodes to an equal value; Buffers stay Buffers.
  for (const message of ALL) {
    const kind = (message as { t: string }).t;
    test(`round trip: ${kind}`, () => {
      const out = decodeAll([encoded([message])]);
      assert.equal(out.length, 1);
      assert.deepEqual(out[0], message);
      const before = buffersIn(message);
      const after = buffersIn(out[0]);
      assert.deepEqual(after.map(([p]) => p), before.map(([p]) => p));
      for (const [p, b] of after) assert.ok(Buffer.isBuffer(b), `${p} should decode as a Buffer`);
    });
  }

  // A batch of every message kind keeps order, and binary bodies with NUL bytes are intact.
  test('one batch with every kind, in order', () => {
    const out = decodeAll([encoded(ALL)]);
    assert.deepEqual(out, ALL);
    const publish = out[2] as { t: string; body: Buffer };
    assert.equal(publish.t, 'publish');
    assert.ok(Buffer.isBuffer(publish.body));
    assert.ok(publish.body.equals(BINARY));
    assert.equal(publish.body[0], 0);
  });

  // The frame is a 4-byte big-endian length followed by exactly that many bytes (head length, head, attachments).
  test('length prefix', () => {
    const frame = encoded([HUB_TO_SESSION.grant]);
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    assert.equal(frame.readUInt32BE(4), frame.length - 8, 'no attachment: the head is the rest');
  });

  // A body of 1 KiB or more travels behind the head, written from the caller's own Buffer (no copy), and
  // comes back as an equal Buffer; the caller's message is not changed by encoding it.
  test('large bodies travel as attachments', () => {
    const big = Buffer.alloc(64 * 1024, 7);
    big[0] = 0;
    const publish = { ...SESSION_TO_HUB.publish, body: big };
    const offer = { ...HUB_TO_SESSION.offer, msg: { ...HUB_TO_SESSION.offer.msg, body: big } };
    const commit = { ...SESSION_TO_HUB.commit, ops: [{ ...SESSION_TO_HUB.commit.ops[3], body: big }, SESSION_TO_HUB.commit.ops[1]] };
    const parts = new BatchEncoder().encode([publish, offer, commit]);
    assert.equal(parts.length, 4);
    assert.equal(parts[1], big, 'the attachment is the caller\'s Buffer itself');
    assert.equal(publish.body, big);
    assert.equal(offer.msg.body, big);
    assert.deepEqual(decodeAll([Buffer.concat(parts)]), [publish, offer, commit]);
  });

  // A head that names an attachment the batch does not carry leaves the number (validation refuses it).
  test('a body number without its attachment stays a number', () => {
    const forged = encoded([{ ...SESSION_TO_HUB.publish, body: 3 }]);
    const [m] = decodeAll([forged]) as Array<{ body: unknown }>;
    assert.equal(m.body, 3);
  });

  // An empty batch decodes to no messages and leaves the decoder ready for the next batch.
  test('empty batch', () => {
    const enc = new BatchEncoder();
    const out = decodeAll([encoded([], enc), encoded([SESSION_TO_HUB.pass], enc)]);
    assert.deepEqual(out, [SESSION_TO_HUB.pass]);
  });

  // The encoder's output is the caller's: encoding again does not change an earlier result.
  test('encoded buffers are not reused', () => {
    const enc = new BatchEncoder();
    const [first] = enc.encode([SESSION_TO_HUB.publish]);
    const copy = Buffer.from(first);
    enc.encode([SESSION_TO_HUB.commit, HUB_TO_SESSION.offer]);
    assert.ok(first.equals(copy));
  });

  // Each batch decodes on its own: a fresh decoder can read a later batch from a long-lived encoder.
  test('each batch is self-contained', () => {
    const enc = new BatchEncoder();
    encoded([HUB_TO_SESSION.offer, SESSION_TO_HUB.publish], enc);
    const second = encoded([HUB_TO_SESSION.offer, SESSION_TO_HUB.publish], enc);
    assert.deepEqual(decodeAll([second]), [HUB_TO_SESSION.offer, SESSION_TO_HUB.publish]);
  });
});

describe('codec stream reassembly', () => {
  // A stream split at every byte offset reassembles into the same messages.
  test('split at every byte offset', () => {
    const enc = new BatchEncoder();
    const stream = Buffer.concat([
      encoded([SESSION_TO_HUB.publish, SESSION_TO_HUB.ack], enc),
      encoded([HUB_TO_SESSION.offer], enc),
    ]);
    const want = [SESSION_TO_HUB.publish, SESSION_TO_HUB.ack, HUB_TO_SESSION.offer];
    for (let i = 0; i <= stream.length; i++) {
      const out = decodeAll([stream.subarray(0, i), stream.subarray(i)]);
      assert.deepEqual(out, want, `split at ${i}`);
    }
  });

  // A stream fed one byte at a time reassembles too.
  test('one byte at a time', () => {
    const stream = encoded(ALL);
    const out = decodeAll([...stream].map((b) => Buffer.from([b])));
    assert.deepEqual(out, ALL);
  });

  // Several batches in one chunk are all delivered, in order.
  test('several batches in one chunk', () => {
    const enc = new BatchEncoder();
    const chunk = Buffer.concat([
      encoded([SESSION_TO_HUB.hello], enc),
      encoded([SESSION_TO_HUB.connected, SESSION_TO_HUB.subscribe], enc),
      encoded([], enc),
      encoded([CONTROL['status-reply']], enc),
    ]);
    const out = decodeAll([chunk]);
    assert.deepEqual(out, [SESSION_TO_HUB.hello, SESSION_TO_HUB.connected, SESSION_TO_HUB.subscribe,
      CONTROL['status-reply']]);
  });

  // Messages of a batch are delivered only once the whole batch arrived.
  test('nothing is delivered from an incomplete batch', () => {
    const batch = encoded([SESSION_TO_HUB.sync, SESSION_TO_HUB.flow]);
    const decoder = new BatchDecoder();
    const out: unknown[] = [];
    decoder.push(batch.subarray(0, batch.length - 1), (m) => out.push(m));
    assert.equal(out.length, 0);
    decoder.push(batch.subarray(batch.length - 1), (m) => out.push(m));
    assert.deepEqual(out, [SESSION_TO_HUB.sync, SESSION_TO_HUB.flow]);
  });

  // Batches with large attachments cut at random places, the length prefix split too: every message
  // comes back whole, in order, and no body shares bytes with the next batch's.
  test('random chunking of batches with attachments', () => {
    const body = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
    const batches = [
      [{ ...(SESSION_TO_HUB.publish as object), body: body(70_000, 1) }],
      [SESSION_TO_HUB.ack],
      [{ ...(SESSION_TO_HUB.publish as object), body: body(1_500, 2) }, { ...(SESSION_TO_HUB.publish as object), body: body(3, 3) }],
      [{ ...(SESSION_TO_HUB.publish as object), body: body(200_000, 4) }],
    ];
    const enc = new BatchEncoder();
    const stream = Buffer.concat(batches.map((b) => encoded(b, enc)));
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
      const at = [0, ...cuts.sort((a, b) => a - b), stream.length];
      // Each chunk is its own copy, as sockets deliver them.
      const chunks = at.slice(1).map((end, i) => Buffer.from(stream.subarray(at[i], end)));
      const out = decodeAll(chunks);
      assert.deepEqual(out, batches.flat());
      for (const m of out) {
        const b = (m as { body?: Buffer }).body;
        if (b instanceof Uint8Array) assert.ok(b.every((x) => x === b[0]), 'a body holds only its own bytes');
      }
    }), { numRuns: 200 });
  });

  // A turn's worth of large bodies leaves as several frames of a few hundred KiB each, not one huge
  // frame the receiver must buffer whole before it can decode any of it.
  test('a batch of many large bodies is cut into bounded frames', () => {
    const batch = Array.from({ length: 20 }, (_, i) => ({ ...(SESSION_TO_HUB.publish as object), body: Buffer.alloc(65_536, i) }));
    const parts = new BatchEncoder().encode(batch);
    const stream = Buffer.concat(parts);
    const frames: number[] = [];
    for (let at = 0; at < stream.length; at += 4 + stream.readUInt32BE(at)) frames.push(stream.readUInt32BE(at));
    assert.ok(frames.length >= 4, `${frames.length} frame(s)`);
    for (const n of frames) assert.ok(n < 400 * 1024, `a frame of ${n} bytes`);
    assert.deepEqual(decodeAll([stream]), batch);
  });

  // A length prefix beyond the maximum batch size means a corrupt stream: push throws.
  test('corrupt length prefix throws', () => {
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(MAX_BATCH_BYTES + 1, 0);
    assert.throws(() => new BatchDecoder().push(bad, () => { assert.fail('no message expected'); }), /corrupt/);
    const worst = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => new BatchDecoder().push(worst, () => {}), /corrupt/);
  });

  // A length prefix at the maximum is still waited for, not an error.
  test('length at the maximum is not corrupt', () => {
    const edge = Buffer.alloc(4);
    edge.writeUInt32BE(MAX_BATCH_BYTES, 0);
    assert.doesNotThrow(() => new BatchDecoder().push(edge, () => { assert.fail('nothing complete yet'); }));
  });
});
