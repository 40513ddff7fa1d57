/**
 * Hostile clients for the isolation benchmark; hostile-cli.ts runs one in its own process. Kinds: big-sends (20 SENDs of 64 MiB to a queue nobody reads), slow-subscriber (a 20k msgs/s 1 KiB
 * topic with a subscriber that never reads), slowloris (200 connections that send part of a CONNECT
 * and stall), churn (5,000 connect/abort cycles), kill-mid-frame (clients killed mid-frame: with
 * --ours the session process gets SIGKILL, otherwise the socket is destroyed), topic-reader (the
 * slow-subscriber load with a reader that keeps up: the control).
 */
import net from 'node:net';
import { type ConnectOptions, connectFrame, StompClient } from './client.js';
import { serializeFrame } from '../src/protocol/writer.js';
import { paced, sleep } from './scenarios.js';

/** The hostile kinds, in the order the isolation benchmark runs them. */
export const HOSTILE_KINDS = ['big-sends', 'slow-subscriber', 'slowloris', 'churn', 'kill-mid-frame', 'topic-reader'] as const;
/** One hostile kind. */
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** How a hostile client runs. */
export interface HostileOptions {
  conn: ConnectOptions;
  durationMs: number;
  /** The target is our broker: kill-mid-frame kills the session process. */
  ours: boolean;
  /** big-sends: SENDs (20); slowloris: connections (200); churn: cycles (5,000). */
  count?: number;
}

/** What the hostile client did and what the broker answered. */
export interface HostileReport {
  kind: HostileKind;
  /** The main count: SENDs written, messages published, connections opened, cycles, kills. */
  actions: number;
  detail: Record<string, number | string>;
  errors: string[];
}

const MiB = 1024 * 1024;

/** Remembers the first few distinct error messages and counts all. */
class Errors {
  readonly list: string[] = [];
  count = 0;

  add(message: string): void {
    this.count++;
    if (this.list.length < 10 && !this.list.includes(message)) this.list.push(message);
  }
}

/** (a) 20 SENDs of 64 MiB, one every durationMs/20, each receipted; reconnects after an ERROR. */
async function bigSends(o: HostileOptions): Promise<HostileReport> {
  const count = o.count ?? 20;
  const body = Buffer.alloc(64 * MiB, 0x61);
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  const errors = new Errors();
  let client: StompClient | null = null;
  let written = 0;
  let receipted = 0;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    await sleep(Math.max(0, t0 + (i * o.durationMs) / count - performance.now()));
    if (!client || client.isClosed) client = await connectOrNull(o.conn, errors);
    if (!client) continue;
    client.onError = (err) => errors.add(err.message.slice(0, 200));
    client.send('/queue/iso.hostile.big', body, null, () => receipted++);
    client.flush();
    const drained = await Promise.race([client.drain().then(() => true), sleep(deadline - performance.now()).then(() => false)]);
    if (drained && !client.isClosed) written++;
  }
  await sleep(Math.max(0, deadline - performance.now()));
  client?.destroy();
  return { kind: 'big-sends', actions: written,
    detail: { attempted: count, writtenWhole: written, receipted, refusedOrFailed: errors.count }, errors: errors.list };
}

async function connectOrNull(conn: ConnectOptions, errors: Errors): Promise<StompClient | null> {
  try {
    return await StompClient.connect({ ...conn, timeoutMs: 5000 });
  } catch (err) {
    errors.add(`connect: ${(err as Error).message}`);
    return null;
  }
}

/** (b) and (f): one publisher at 20k msgs/s of 1 KiB to a topic, one subscriber that reads or never does. */
async function topicLoad(o: HostileOptions, reads: boolean): Promise<HostileReport> {
  const rate = 20_000;
  const errors = new Errors();
  const sub = await StompClient.connect(o.conn);
  const pub = await StompClient.connect(o.conn);
  let received = 0;
  sub.onMessage = () => received++;
  for (const c of [sub, pub]) c.onError = (err) => errors.add(err.message.slice(0, 200));
  await sub.subscribe('/topic/iso.hostile.fast', { ack: 'auto' });
  if (!reads) sub.socket.pause(); // never reads again: the broker's buffers for it fill
  const body = Buffer.alloc(1024, 0x62);
  const deadline = performance.now() + o.durationMs;
  let blocked = 0;
  const published = await paced(Math.round((rate * o.durationMs) / 1000), rate, deadline, () => {
    if (pub.writable && !pub.isClosed) pub.send('/topic/iso.hostile.fast', body);
    else blocked++;
  });
  await sleep(Math.max(0, deadline - performance.now()));
  sub.destroy();
  pub.destroy();
  return { kind: reads ? 'topic-reader' : 'slow-subscriber', actions: published - blocked,
    detail: { rate, offered: published, skippedBackPressure: blocked, ...(reads ? { received } : {}) },
    errors: errors.list };
}

/** (c) 200 connections that send the start of a CONNECT frame and stall until the end. */
async function slowloris(o: HostileOptions): Promise<HostileReport> {
  const n = o.count ?? 200;
  const partial = connectFrame(o.conn).subarray(0, 20);
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  const errors = new Errors();
  const sockets: net.Socket[] = [];
  let closing = false;
  let opened = 0;
  let closedByBroker = 0;
  let firstCloseMs = NaN;
  for (let i = 0; i < n && performance.now() < deadline; i++) {
    const s = net.connect({ host: o.conn.host, port: o.conn.port });
    s.once('connect', () => {
      opened++;
      s.write(partial);
    });
    s.on('error', (err) => errors.add(err.message));
    s.once('close', () => {
      if (closing) return;
      closedByBroker++;
      if (Number.isNaN(firstCloseMs)) firstCloseMs = Math.round(performance.now() - t0);
    });
    sockets.push(s);
    if (i % 20 === 19) await sleep(50); // 200 in about half a second
  }
  await sleep(Math.max(0, deadline - performance.now()));
  closing = true;
  for (const s of sockets) s.destroy();
  return { kind: 'slowloris', actions: opened,
    detail: { connections: n, opened, closedByBroker, firstCloseByBrokerMs: firstCloseMs }, errors: errors.list };
}

/** One connect/abort cycle: TCP connect, write CONNECT, reset. Resolves whatever happens. */
function connectAbort(conn: ConnectOptions, frame: Buffer, errors: Errors): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: conn.host, port: conn.port });
    s.once('connect', () => {
      s.write(frame);
      s.resetAndDestroy();
      resolve();
    });
    s.once('error', (err) => {
      errors.add(err.message);
      s.destroy();
      resolve();
    });
  });
}

/** (d) 5,000 connect/abort cycles, 16 at a time, until done or the time is up. */
async function churn(o: HostileOptions): Promise<HostileReport> {
  const n = o.count ?? 5000;
  const frame = connectFrame(o.conn);
  const deadline = performance.now() + o.durationMs;
  const errors = new Errors();
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < n && performance.now() < deadline) {
      started++;
      await connectAbort(o.conn, frame, errors);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await sleep(Math.max(0, deadline - performance.now()));
  return { kind: 'churn', actions: started,
    detail: { cycles: started, wanted: n, seconds: Math.round(seconds * 100) / 100, failed: errors.count }, errors: errors.list };
}

/** (e) every 500 ms a client connects, writes half a 64 KiB SEND, and is killed (ours: its session process). */
async function killMidFrame(o: HostileOptions): Promise<HostileReport> {
  const deadline = performance.now() + o.durationMs;
  const errors = new Errors();
  const frame = serializeFrame({ command: 'SEND', headers: { destination: '/queue/iso.hostile.half' },
    body: Buffer.alloc(64 * 1024, 0x63) }, '1.2');
  let kills = 0;
  let socketDestroys = 0;
  for (let next = performance.now(); next < deadline; next += 500) {
    await sleep(Math.max(0, next - performance.now()));
    const client = await connectOrNull(o.conn, errors);
    if (!client) continue;
    client.onError = () => {};
    client.socket.write(frame.subarray(0, frame.length >> 1));
    await sleep(50);
    const pid = /^session-(\d+)-/.exec(client.connectedHeaders.session ?? '')?.[1];
    if (o.ours && pid) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        kills++;
      } catch (err) {
        errors.add(`kill ${pid}: ${(err as Error).message}`);
      }
    } else {
      socketDestroys++;
    }
    client.destroy();
  }
  return { kind: 'kill-mid-frame', actions: kills + socketDestroys,
    detail: { sessionProcessesKilled: kills, socketsDestroyed: socketDestroys }, errors: errors.list };
}

/** Runs one hostile kind. */
export function runHostile(kind: HostileKind, o: HostileOptions): Promise<HostileReport> {
  switch (kind) {
    case 'big-sends': return bigSends(o);
    case 'slow-subscriber': return topicLoad(o, false);
    case 'slowloris': return slowloris(o);
    case 'churn': return churn(o);
    case 'kill-mid-frame': return killMidFrame(o);
    case 'topic-reader': return topicLoad(o, true);
  }
}
