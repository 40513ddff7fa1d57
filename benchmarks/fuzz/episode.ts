/**
 * One fuzz connection. Before CONNECT it sends one mutated CONNECT, a frame of another command, or
 * noise, and watches how the broker ends it. After CONNECT it sends its model's valid frames with a
 * mutated frame now and then; after each mutated frame (and every few valid ones) a probe SEND with a
 * receipt tells whether the connection still works, and if not, how it ended.
 */
import type { Frame, StompVersion } from '../../src/protocol/frame.js';
import { connectFrame, type CorpusFrame } from './corpus.js';
import { SessionModel, PROBE_TOPIC } from './model.js';
import { mutate } from './mutate.js';
import type { Random } from './random.js';
import type { Outcome, Tally } from './tally.js';
import { encode, type ClientFrame, WireClient } from './wire.js';

/** What the connections of one loop share: the target, the counts, and how hard they mutate. */
export interface EpisodeContext {
  host: string;
  port: number;
  corpus: readonly CorpusFrame[];
  tally: Tally;
  /** Most frames one connection sends before it says DISCONNECT. */
  maxFramesPerConnection: number;
  /** Chance that a connection sends mutated bytes before CONNECT instead of connecting cleanly. */
  preConnectRate: number;
  /** Chance that a frame after CONNECT is mutated. */
  mutationRate: number;
  /** Chance that a valid frame is followed by a probe. */
  probeRate: number;
  /** Whether the run should wind down (frame target or time limit reached). */
  done: () => boolean;
}

/**
 * Heart-beat interval the fuzz connections promise (the broker drops them after 2-3 of these of
 * silence). Not shorter: a session process starved of CPU for 2 intervals on a loaded machine runs its
 * heart-beat timer before it reads the heart-beats waiting in its socket, and drops a live client.
 */
const HEARTBEAT_MS = 3000;
/**
 * How long an answer to a probe is awaited (sending heart-beats) before the connection is left silent:
 * at least this, and more on a loaded machine (see probeWaitMs).
 */
const PROBE_WAIT_MS = 4000;
/** Longest probe wait, however slow the broker has been. */
const MAX_PROBE_WAIT_MS = 30_000;
/** How long the broker has, once a deadline of its own has passed, to end a connection. */
const GRACE_MS = 10_000;
/** The broker's CONNECT deadline (not configurable from the CLI); it starts when a session gets the socket. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long a new connection may wait for a session process: the pool forks on demand, which takes
 * seconds on a loaded 2-core machine. Counted on top of the CONNECT deadline.
 */
const SESSION_WAIT_MS = 30_000;

const VERSIONS: StompVersion[] = ['1.0', '1.1', '1.2'];

/** A connection with what was sent on it (for reproduction) and its counters. */
class Conn {
  private sent: Buffer[] = [];
  private sentBytes = 0;
  probeSeq = 0;
  /** When bytes were last written (heart-beats are due HEARTBEAT_MS / 2 after). */
  lastSend = Date.now();

  constructor(readonly client: WireClient, readonly ctx: EpisodeContext, readonly version: StompVersion) {}

  send(bytes: Buffer): void {
    this.client.write(bytes);
    this.lastSend = Date.now();
    this.ctx.tally.bytesSent += bytes.length;
    this.sent.push(bytes);
    this.sentBytes += bytes.length;
    while (this.sentBytes > 65_536 && this.sent.length > 1) this.sentBytes -= this.sent.shift()!.length;
  }

  /** Sends the probe: a SEND to a topic nobody reads, with a receipt. */
  probe(): string {
    const id = `probe-${++this.probeSeq}`;
    this.send(encode({ command: 'SEND', headers: [['destination', PROBE_TOPIC], ['receipt', id]], body: Buffer.alloc(0) }, this.version));
    this.ctx.tally.probes++;
    return id;
  }

  /** What was sent lately, for a violation report. */
  transcript(): Buffer {
    return Buffer.concat(this.sent);
  }
}

/** Runs one connection of either kind; never throws (failures are recorded as violations). */
export async function runEpisode(ctx: EpisodeContext, rnd: Random): Promise<void> {
  let client: WireClient;
  try {
    client = await WireClient.connect(ctx.host, ctx.port);
  } catch (err) {
    ctx.tally.violation({ kind: 'tcp-connect-failed', detail: (err as Error).message });
    return;
  }
  ctx.tally.connections++;
  const t0 = Date.now();
  try {
    if (rnd.chance(ctx.preConnectRate)) await preConnect(new Conn(client, ctx, rnd.pick(VERSIONS)), rnd);
    else await connected(new Conn(client, ctx, rnd.pick(VERSIONS)), rnd);
  } finally {
    client.destroy();
    ctx.tally.time('connection, in all', Date.now() - t0);
  }
}

// --- before CONNECT -----------------------------------------------------------------------------

/** Sends something other than a clean CONNECT as the first bytes; the broker must answer or close. */
async function preConnect(conn: Conn, rnd: Random): Promise<void> {
  const { ctx, version } = conn;
  ctx.tally.preConnectConnections++;
  ctx.tally.mutatedFrames++;
  const kind = rnd.weighted({ connect: 6, other: 2, noise: 1 });
  let operator: string;
  let bytes: Buffer;
  if (kind === 'other') {
    const frame = rnd.pick(ctx.corpus.filter((c) => c.command !== 'CONNECT' && c.command !== 'STOMP'));
    [operator, bytes] = ['before-connect', frame.bytes];
  } else if (kind === 'noise') {
    [operator, bytes] = ['before-connect-noise', rnd.bytes(rnd.int(1, 512))];
  } else {
    const m = mutate({ frame: connectFrame(version, rnd.pick(['CONNECT', 'STOMP'] as const), HEARTBEAT_MS), version, corpus: ctx.corpus, rnd });
    [operator, bytes] = [`connect/${m.operator}`, m.bytes];
  }
  conn.send(bytes);
  const t0 = Date.now();
  const outcome = await preConnectOutcome(conn, operator);
  ctx.tally.time(`before CONNECT → ${outcome ?? 'violation'}`, Date.now() - t0);
  if (outcome) ctx.tally.outcome(operator, outcome);
}

/** Watches a connection whose first bytes were mutated until the broker ends it (or connected it). */
async function preConnectOutcome(conn: Conn, operator: string): Promise<Outcome | null> {
  const { client, ctx } = conn;
  const deadline = Date.now() + SESSION_WAIT_MS + CONNECT_TIMEOUT_MS + GRACE_MS;
  let connectedFrame: Frame | null = null;
  for (;;) {
    const got = await client.read(deadline - Date.now());
    if (got.kind === 'closed') return closedOutcome(conn, operator, connectedFrame ? 'connected' : 'closed');
    if (got.kind === 'timeout') return hangOrLeftOpen(conn, operator, connectedFrame);
    const { frame } = got;
    if (frame.command === 'ERROR') {
      const ok = await afterError(conn, operator, frame);
      if (!ok) return null;
      return frame.headers.message === 'Connect timeout' ? 'connect-timeout' : 'rejected';
    }
    if (frame.command === 'CONNECTED' && !connectedFrame) {
      connectedFrame = frame;
      client.version = (frame.headers.version ?? '1.0') as StompVersion;
      conn.send(encode({ command: 'DISCONNECT', headers: [['receipt', 'bye']], body: Buffer.alloc(0) }, conn.version));
    }
  }
}

/** A connection the broker left open past every deadline: a violation if it had one to keep. */
function hangOrLeftOpen(conn: Conn, operator: string, connectedFrame: Frame | null): Outcome | null {
  const expectsBeats = connectedFrame !== null && Number((connectedFrame.headers['heart-beat'] ?? '0,0').split(',')[1]) > 0;
  if (connectedFrame && !expectsBeats) return 'left-open';
  conn.ctx.tally.violation({
    kind: 'hang', operator, version: conn.version,
    detail: connectedFrame ? 'connected with client heart-beats promised, then silent, yet never closed'
      : `no CONNECT, yet open ${(SESSION_WAIT_MS + CONNECT_TIMEOUT_MS + GRACE_MS) / 1000} s later`,
  }, conn.transcript());
  return null;
}

/** A close: fine, unless the broker's bytes did not parse. */
function closedOutcome(conn: Conn, operator: string, outcome: Outcome): Outcome | null {
  if (!conn.client.garbled) return outcome;
  conn.ctx.tally.violation({ kind: 'garbled-output', operator, version: conn.version, detail: conn.client.garbled }, conn.transcript());
  return null;
}

/** After an ERROR the connection must close, with no frame after the ERROR. */
async function afterError(conn: Conn, operator: string, error: Frame): Promise<boolean> {
  conn.ctx.tally.error(error.headers.message);
  const got = await conn.client.read(GRACE_MS);
  if (got.kind === 'closed') return closedOutcome(conn, operator, 'rejected') !== null;
  const kind = got.kind === 'frame' ? 'frame-after-error' : 'error-without-close';
  const detail = got.kind === 'frame' ? `${got.frame.command} after ERROR "${error.headers.message}"`
    : `ERROR "${error.headers.message}", still open ${GRACE_MS / 1000} s later`;
  conn.ctx.tally.violation({ kind, operator, version: conn.version, detail }, conn.transcript());
  return false;
}

// --- after CONNECT ------------------------------------------------------------------------------

/** Connects cleanly, then fuzzes until a mutated frame ends the connection or the budget is spent. */
async function connected(conn: Conn, rnd: Random): Promise<void> {
  const { ctx, client, version } = conn;
  conn.send(encode(connectFrame(version, version === '1.0' ? 'CONNECT' : rnd.pick(['CONNECT', 'STOMP'] as const), HEARTBEAT_MS), version));
  const t0 = Date.now();
  const first = await client.read(SESSION_WAIT_MS);
  ctx.tally.time('awaiting CONNECTED', Date.now() - t0);
  if (first.kind !== 'frame' || first.frame.command !== 'CONNECTED') {
    const detail = first.kind === 'frame' ? `${first.frame.command} ${first.frame.headers.message ?? ''}` : first.kind;
    ctx.tally.violation({ kind: 'valid-connect-refused', version, detail }, conn.transcript());
    return;
  }
  client.version = version;
  const model = new SessionModel(version, rnd);
  const state = { tainted: false };
  const budget = rnd.int(Math.ceil(ctx.maxFramesPerConnection / 2), ctx.maxFramesPerConnection);
  for (let i = 0; i < budget && !ctx.done(); i++) {
    const alive = rnd.chance(ctx.mutationRate)
      ? await mutatedFrame(conn, model, rnd, state)
      : await validFrame(conn, model, rnd, state);
    if (!alive) return;
  }
  await disconnect(conn, model, state);
}

/** Sends a valid frame; every few frames a probe checks that they were all accepted. */
async function validFrame(conn: Conn, model: SessionModel, rnd: Random, state: { tainted: boolean }): Promise<boolean> {
  conn.send(encode(model.next(), conn.version));
  conn.ctx.tally.validFrames++;
  if (!rnd.chance(conn.ctx.probeRate)) return true;
  const result = await awaitProbe(conn, conn.probe(), model, 'valid');
  if (result.outcome === 'accepted') return true;
  if (!state.tainted && result.outcome !== null) {
    conn.ctx.tally.violation({
      kind: 'valid-frame-refused', version: conn.version,
      detail: `${result.outcome} (probe wait ${probeWaitMs(conn)} ms)${result.error ? `: ERROR "${result.error.headers.message}" ${result.error.body.toString('utf8').trim()}` : ''}`,
    }, conn.transcript());
  }
  return false;
}

/** Sends a mutated frame and a probe; records the outcome under the operator's name. */
async function mutatedFrame(conn: Conn, model: SessionModel, rnd: Random, state: { tainted: boolean }): Promise<boolean> {
  const { operator, bytes } = mutate({ frame: model.next(), version: conn.version, corpus: conn.ctx.corpus, rnd });
  conn.send(bytes);
  conn.ctx.tally.mutatedFrames++;
  const result = await awaitProbe(conn, conn.probe(), model, operator);
  if (result.outcome !== null) conn.ctx.tally.outcome(operator, result.outcome);
  // Accepted, it may have changed what the session holds behind the model's back.
  if (result.outcome === 'accepted') state.tainted = true;
  return result.outcome === 'accepted';
}

/** What became of the frames before a probe. `outcome` null: a violation was recorded. */
interface ProbeResult {
  outcome: Outcome | null;
  error?: Frame;
}

/** Awaits the probe's RECEIPT (sending heart-beats), else watches the broker end the connection. */
async function awaitProbe(conn: Conn, id: string, model: SessionModel, operator: string): Promise<ProbeResult> {
  const t0 = Date.now();
  const result = await probeOutcome(conn, id, model, operator);
  const ms = Date.now() - t0;
  conn.ctx.tally.time(`probe → ${result.outcome ?? 'violation'}`, ms);
  if (result.outcome === 'accepted') conn.ctx.tally.probeAnswered(ms);
  return result;
}

/**
 * The probe wait: 20 times the slowest recent answer, within [PROBE_WAIT_MS, MAX_PROBE_WAIT_MS], so
 * that a machine shared with other work does not turn slow answers into false stalls.
 */
function probeWaitMs(conn: Conn): number {
  return Math.min(MAX_PROBE_WAIT_MS, Math.max(PROBE_WAIT_MS, 20 * conn.ctx.tally.slowProbeMs));
}

async function probeOutcome(conn: Conn, id: string, model: SessionModel, operator: string): Promise<ProbeResult> {
  const { client } = conn;
  const waited = probeWaitMs(conn);
  const until = Date.now() + waited;
  while (Date.now() < until) {
    if (Date.now() - conn.lastSend >= HEARTBEAT_MS / 2) conn.send(Buffer.from('\n'));
    const got = await client.read(Math.min(HEARTBEAT_MS / 2, until - Date.now()));
    if (got.kind === 'timeout') continue;
    if (got.kind === 'closed') return { outcome: closedOutcome(conn, operator, 'closed') };
    const { frame } = got;
    if (frame.command === 'MESSAGE') model.onMessage(frame);
    else if (frame.command === 'RECEIPT' && frame.headers['receipt-id'] === id) return { outcome: 'accepted' };
    else if (frame.command === 'ERROR') return { outcome: (await afterError(conn, operator, frame)) ? 'rejected' : null, error: frame };
    else if (frame.command !== 'RECEIPT') unexpected(conn, operator, frame);
  }
  return { outcome: await silentEnd(conn, operator, waited) };
}

/**
 * After a silence of ours the broker must end the connection at its heart-beat deadline. STOMP 1.0 has
 * no heart-beats (the broker agrees to none), so a silent 1.0 client has no deadline: we close it.
 */
async function silentEnd(conn: Conn, operator: string, waited: number): Promise<Outcome | null> {
  if (conn.version === '1.0') return 'left-open';
  const allowed = 3 * HEARTBEAT_MS + GRACE_MS;
  const deadline = Date.now() + allowed;
  for (;;) {
    const got = await conn.client.read(deadline - Date.now());
    if (got.kind === 'closed') return closedOutcome(conn, operator, 'closed');
    if (got.kind === 'timeout') {
      conn.ctx.tally.violation({ kind: 'hang', operator, version: conn.version,
        detail: `no answer to the probe in ${waited} ms; client then silent after promising heart-beats every ${HEARTBEAT_MS} ms, yet open ${allowed / 1000} s later` }, conn.transcript());
      return null;
    }
    if (got.frame.command === 'ERROR') {
      const ok = await afterError(conn, operator, got.frame);
      return ok ? (got.frame.headers.message === 'Heart-beat timeout' ? 'stalled-then-heartbeat-timeout' : 'rejected') : null;
    }
  }
}

/** A frame a client should never get here (a second CONNECTED, a server frame it cannot place). */
function unexpected(conn: Conn, operator: string, frame: Frame): void {
  conn.ctx.tally.violation({ kind: 'unexpected-frame', operator, version: conn.version,
    detail: `${frame.command} ${JSON.stringify(frame.headers).slice(0, 300)}` }, conn.transcript());
}

/** Ends a connection that survived its budget: open transactions aborted, DISCONNECT with a receipt. */
async function disconnect(conn: Conn, model: SessionModel, state: { tainted: boolean }): Promise<void> {
  const frames: ClientFrame[] = [...model.closing(), { command: 'DISCONNECT', headers: [['receipt', 'bye']], body: Buffer.alloc(0) }];
  for (const f of frames) conn.send(encode(f, conn.version));
  conn.ctx.tally.validFrames += frames.length;
  const deadline = Date.now() + GRACE_MS + PROBE_WAIT_MS;
  for (;;) {
    const got = await conn.client.read(deadline - Date.now());
    if (got.kind === 'closed') return;
    if (got.kind === 'timeout') {
      conn.ctx.tally.violation({ kind: 'disconnect-not-closed', version: conn.version, detail: 'DISCONNECT with receipt, never closed' }, conn.transcript());
      return;
    }
    if (got.frame.command === 'ERROR' && !state.tainted) {
      conn.ctx.tally.violation({ kind: 'valid-frame-refused', version: conn.version,
        detail: `at DISCONNECT: ERROR "${got.frame.headers.message}" ${got.frame.body.toString('utf8').trim()}` }, conn.transcript());
      return;
    }
  }
}
