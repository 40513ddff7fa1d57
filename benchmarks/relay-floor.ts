/**
 * `node dist/benchmarks/relay-floor.js [relays] [messages]`: the latency floor of a chain of Node
 * processes on this machine, without any broker logic. The client sends 100-byte lines at 1,000/s
 * through `relays` forked processes (each forwards what it reads over a Unix socket to the next) back
 * to itself, and prints p50/p99/max of the round trip.
 *
 * Our broker puts four process hops between a producer and a consumer (client → producer's session →
 * hub → consumer's session → client); RabbitMQ one. `relay-floor 3` is that chain with nothing done
 * at each hop: what a process per client costs in scheduling alone (benchmarks/README.md, "Quiet tail").
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sleep } from './scenarios.js';

const LINE = 100;

/** A relay: listens on `inPath`, writes everything it reads to `outPath`. */
function relay(inPath: string, outPath: string): void {
  const out = net.connect(outPath);
  out.on('connect', () => {
    const server = net.createServer((s) => s.on('data', (d) => out.write(d)));
    server.listen(inPath, () => process.send!('ready'));
  });
}

async function measure(relays: number, messages: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-floor-'));
  const sock = (i: number) => path.join(dir, `s${i}`);
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const sink = net.createServer((s) => {
    let pending = '';
    s.on('data', (d) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        latencies.push(performance.now() - sentAt[Number(pending.slice(0, 12))]);
        pending = pending.slice(end + 1);
      }
    });
  });
  await new Promise<void>((resolve) => sink.listen(sock(relays), resolve));
  const children = [];
  for (let i = relays - 1; i >= 0; i--) {
    const child = fork(process.argv[1], ['relay', sock(i), sock(i + 1)]);
    children.push(child);
    await new Promise((resolve) => child.once('message', resolve));
  }
  const first = net.connect(sock(0));
  await new Promise((resolve) => first.once('connect', resolve));
  const pad = 'x'.repeat(LINE - 13);
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    while (performance.now() - t0 < i) await sleep(1);
    sentAt[i] = performance.now();
    first.write(`${String(i).padStart(12, '0')}${pad}\n`);
  }
  while (latencies.length < messages) await sleep(10);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))].toFixed(2);
  console.log(`${relays} relay process(es), ${messages} messages at 1,000/s: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  for (const child of children) child.kill();
  first.destroy();
  sink.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === 'relay') relay(process.argv[3], process.argv[4]);
else await measure(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 10_000));
