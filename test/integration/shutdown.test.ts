/**
 * Graceful stop: SIGTERM stops accepting, lets what clients already asked finish (RECEIPTs written,
 * store commits done) within --shutdown-timeout, then closes every client (without an ERROR, as RabbitMQ
 * and ActiveMQ). Every SEND the broker acted on got its RECEIPT, and every RECEIPT's message survives the restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brokerStatus, connectStomp, encodeFrame, RawClient, type ReceivedFrame, uniqueDest, useBroker,
} from '../helpers/broker.js';

/** Reads frames until the connection closes. */
async function readUntilClosed(client: RawClient): Promise<ReceivedFrame[]> {
  const frames: ReceivedFrame[] = [];
  for (;;) {
    try {
      frames.push(await client.readFrame(30_000));
    } catch (err) {
      if (client.isClosed) return frames;
      throw err;
    }
  }
}

describe('graceful stop', () => {
  const ctx = useBroker({ perTest: true, args: ['--shutdown-timeout', '20000'] });

  test('SIGTERM with SENDs in flight: their RECEIPTs, then a close; no receipted message lost', { timeout: 120_000 }, async () => {
    const queue = uniqueDest('queue', 'stop');
    const producer = await connectStomp(ctx.broker.port);
    const count = 3000;
    const body = 'x'.repeat(1024);
    const frames = Array.from({ length: count }, (_, i) =>
      encodeFrame('SEND', { destination: queue, persistent: 'true', receipt: `r-${i}` }, body));
    await producer.send(Buffer.concat(frames));
    await producer.expectReceipt('r-0', 30_000); // the broker is at work on them
    const reading = readUntilClosed(producer);
    const old = ctx.broker;
    const restarted = ctx.restart(); // SIGTERM, wait for the exit, start again on the same data directory
    const received = await reading;
    await restarted;
    assert.notEqual(ctx.broker.pid, old.pid);
    // A clean stop: not the helper's SIGKILL after 10 s (as when a session never answered `drain`).
    assert.equal(await old.exited, 0, old.logs());

    // No ERROR (as RabbitMQ and ActiveMQ): the RECEIPTs, then the close.
    const receipts = received;
    assert.ok(receipts.every((f) => f.command === 'RECEIPT'), 'only RECEIPTs before the close');
    // In order and without a gap: r-1 … r-(n) (r-0 was read above).
    receipts.forEach((f, i) => assert.equal(f.headers['receipt-id'], `r-${i + 1}`));
    const acknowledged = receipts.length + 1;
    // Exactly the receipted messages are on disk: none lost, none stored without its RECEIPT.
    const depth = (await brokerStatus(ctx.broker)).destinations.find((d) => d.name === queue)?.depth ?? 0;
    assert.equal(depth, acknowledged);
    assert.match(ctx.broker.logs(), /listening on/);
  });

  // A DISCONNECT with a receipt that is pending at SIGTERM is still answered.
  test('a DISCONNECT receipt pending at SIGTERM is written before the close', { timeout: 60_000 }, async () => {
    const queue = uniqueDest('queue', 'stop');
    const client = await RawClient.connect(ctx.broker.port);
    const sends = Array.from({ length: 500 }, (_, i) => encodeFrame('SEND', { destination: queue, persistent: 'true' }, `m-${i}`));
    await client.send(Buffer.concat([encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }), ...sends,
      encodeFrame('DISCONNECT', { receipt: 'bye' })]));
    await client.expectFrame('CONNECTED');
    const reading = readUntilClosed(client);
    await ctx.restart();
    const frames = await reading;
    // Either the session read the DISCONNECT before the drain (then its RECEIPT comes, and nothing after
    // it), or it had not (then it was never acted on: no RECEIPT, and a plain close).
    assert.ok(frames.every((f) => f.command === 'RECEIPT'), 'nothing but RECEIPTs');
    const depth = (await brokerStatus(ctx.broker)).destinations.find((d) => d.name === queue)?.depth ?? 0;
    if (frames.at(-1)?.headers['receipt-id'] === 'bye') assert.equal(depth, 500, 'every SEND before the DISCONNECT took effect');
    else assert.ok(depth <= 500);
  });

  // The session of a client that just ended cleanly is resetting for its next client when SIGTERM
  // comes: it must be told to exit too, not left for stop()'s SIGKILL grace (which the log names).
  test('SIGTERM right after a clean DISCONNECT: every session exits without being killed', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const client = await connectStomp(ctx.broker.port);
      await client.send(encodeFrame('DISCONNECT', { receipt: `bye-${i}` }));
      await client.expectReceipt(`bye-${i}`);
      const old = ctx.broker;
      await ctx.restart();
      assert.equal(await old.exited, 0);
      assert.doesNotMatch(old.logs(), /still running .* after stop: killed/);
      client.close();
    }
  });
});
