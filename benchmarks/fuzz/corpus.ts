/**
 * The seed corpus: one valid frame of every client command in every version, captured from a scripted
 * session that the broker must accept whole (every frame asks for a RECEIPT, and gets it). Mutations
 * start from these frames and from the live frames of each fuzz connection's model.
 */
import type { Frame, StompVersion } from '../../src/protocol/frame.js';
import { encode, type ClientFrame, type HeaderPair, WireClient } from './wire.js';

/** One captured frame: as sent, in the version of its session. */
export interface CorpusFrame {
  version: StompVersion;
  command: string;
  frame: ClientFrame;
  bytes: Buffer;
}

/** The CONNECT (or STOMP) frame a fuzz connection opens with; the client promises heart-beats. */
export function connectFrame(version: StompVersion, command: 'CONNECT' | 'STOMP' = 'CONNECT', heartBeatMs = 1000): ClientFrame {
  const headers: HeaderPair[] = [['host', '/'], ['heart-beat', `${heartBeatMs},0`]];
  if (version !== '1.0') headers.unshift(['accept-version', version === '1.1' ? '1.0,1.1' : '1.1,1.2']);
  return { command, headers, body: Buffer.alloc(0) };
}

function f(command: string, headers: HeaderPair[], body = ''): ClientFrame {
  return { command, headers, body: Buffer.from(body, 'latin1') };
}

/** The scripted session of one version: each step's frame, after which its RECEIPT is awaited. */
function script(version: StompVersion, queue: string): ClientFrame[] {
  const ackName = version === '1.2' ? 'id' : 'message-id';
  return [
    f('SUBSCRIBE', [['destination', queue], ['id', 'c1'], ['ack', 'client-individual'], ['receipt', 'k1']]),
    f('SUBSCRIBE', [['destination', '/topic/fuzz-corpus.#'], ['id', 'c2'], ['ack', 'auto'], ['receipt', 'k2']]),
    f('SEND', [['destination', queue], ['content-type', 'text/plain'], ['receipt', 'k3']], 'text body'),
    f('SEND', [['destination', queue], ['persistent', 'true'], ['priority', '7'], ['content-length', '5'],
      ['receipt', 'k4']], 'a\0b\0c'),
    f('SEND', [['destination', '/topic/fuzz-corpus.x'], ['x-custom', version === '1.0' ? 'v' : 'a:b\\c'],
      ['receipt', 'k5']], 'topic'),
    f('ACK', [[ackName, '$ack1'], ['subscription', 'c1'], ['receipt', 'k6']]),
    f('NACK', [[ackName, '$ack2'], ['subscription', 'c1'], ['requeue', 'false'], ['receipt', 'k7']]),
    f('BEGIN', [['transaction', 'tx1'], ['receipt', 'k8']]),
    f('SEND', [['destination', queue], ['transaction', 'tx1'], ['receipt', 'k9']], 'in tx'),
    f('COMMIT', [['transaction', 'tx1'], ['receipt', 'k10']]),
    f('BEGIN', [['transaction', 'tx2'], ['receipt', 'k11']]),
    f('ABORT', [['transaction', 'tx2'], ['receipt', 'k12']]),
    f('UNSUBSCRIBE', [['id', 'c1'], ['receipt', 'k13']]),
    f('DISCONNECT', [['receipt', 'k14']]),
  ];
}

/** Reads frames until the RECEIPT `id`; MESSAGE frames met on the way are collected. */
async function awaitReceipt(client: WireClient, id: string, messages: Frame[]): Promise<void> {
  for (;;) {
    const got = await client.read(10_000);
    if (got.kind !== 'frame') throw new Error(`corpus: no RECEIPT ${id} (${got.kind})`);
    const { frame } = got;
    if (frame.command === 'MESSAGE') messages.push(frame);
    else if (frame.command === 'RECEIPT' && frame.headers['receipt-id'] === id) return;
    else if (frame.command !== 'RECEIPT') {
      throw new Error(`corpus: ${frame.command} ${JSON.stringify(frame.headers)} while awaiting RECEIPT ${id}`);
    }
  }
}

/** Replaces `$ackN` by the ack id of the Nth message of the queue subscription received so far. */
function bind(frame: ClientFrame, version: StompVersion, messages: Frame[]): ClientFrame {
  const queued = messages.filter((m) => m.headers.subscription === 'c1');
  const headers = frame.headers.map(([name, value]): HeaderPair => {
    const m = /^\$ack(\d)$/.exec(value);
    if (!m) return [name, value];
    const msg = queued[Number(m[1]) - 1];
    if (!msg) throw new Error(`corpus: message ${m[1]} of the queue subscription never came`);
    return [name, version === '1.2' ? msg.headers.ack : msg.headers['message-id']];
  });
  return { ...frame, headers };
}

/** Runs the scripted session of `version` and returns its frames, each accepted by the broker. */
async function captureVersion(host: string, port: number, version: StompVersion, command: 'CONNECT' | 'STOMP'): Promise<CorpusFrame[]> {
  const client = await WireClient.connect(host, port);
  const out: CorpusFrame[] = [];
  const add = (frame: ClientFrame) => {
    const bytes = encode(frame, version);
    out.push({ version, command: frame.command, frame, bytes });
    client.write(bytes);
  };
  try {
    add(connectFrame(version, command, 0));
    const connected = await client.read(30_000);
    if (connected.kind !== 'frame' || connected.frame.command !== 'CONNECTED') throw new Error(`corpus: no CONNECTED (${version})`);
    client.version = version;
    const messages: Frame[] = [];
    for (const step of script(version, `/queue/fuzz-corpus.${version}.${command}`)) {
      // ACK/NACK need a delivered message: wait for the queue's MESSAGEs first.
      while (/^\$ack/.test(step.headers[0][1]) && messages.filter((m) => m.headers.subscription === 'c1').length < 2) {
        const got = await client.read(10_000);
        if (got.kind !== 'frame') throw new Error(`corpus: queue messages did not come (${got.kind})`);
        if (got.frame.command === 'MESSAGE') messages.push(got.frame);
      }
      const frame = bind(step, version, messages);
      add(frame);
      await awaitReceipt(client, frame.headers.find(([n]) => n === 'receipt')![1], messages);
    }
    return out;
  } finally {
    client.destroy();
  }
}

/** Captures the corpus: every client command in 1.0, 1.1 and 1.2 (STOMP instead of CONNECT in 1.2). */
export async function captureCorpus(host: string, port: number): Promise<CorpusFrame[]> {
  const all: CorpusFrame[] = [];
  all.push(...await captureVersion(host, port, '1.0', 'CONNECT'));
  all.push(...await captureVersion(host, port, '1.1', 'CONNECT'));
  all.push(...await captureVersion(host, port, '1.2', 'STOMP'));
  all.push(...await captureVersion(host, port, '1.2', 'CONNECT'));
  return all;
}
