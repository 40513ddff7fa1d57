/**
 * Bus transport: node-ipc (12.0.0) sets up the Unix socket (server, client, connect/close events);
 * the bytes on it are ours. node-ipc's raw-buffer mode reads every chunk through a string decoder and
 * copies every write (`Buffer.from`): for message bodies that is three copies and two string
 * conversions per hop. So once a connection is up, its socket is switched back to Buffers, node-ipc's
 * data listener is replaced by ours, and batches are written straight to the socket as Buffer lists
 * (codec.ts; corked, so one writev). A BusPeer batches what is sent during one event-loop turn.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { IPCModule as IPCModuleType } from 'node-ipc';
import { BatchDecoder, BatchEncoder } from './codec.js';

// node-ipc's CommonJS build is one bundled file: it loads in about half the time of its ES module
// graph, and every session process pays that on start.
const { IPCModule } = createRequire(import.meta.url)('node-ipc') as { IPCModule: typeof IPCModuleType };
type IPCModule = IPCModuleType;

function configure(ipc: IPCModule, id: string): void {
  ipc.config.id = id;
  ipc.config.silent = true;
  ipc.config.rawBuffer = true;
  // Whatever node-ipc decodes is undone by takeOver(); latin1 keeps every byte if anything slips through.
  ipc.config.encoding = 'latin1';
  // node-ipc retries forever by default; a session whose hub is gone must exit instead.
  ipc.config.stopRetrying = true;
  ipc.config.maxRetries = 0;
  ipc.config.maxConnections = 1_000_000;
}

/**
 * Takes a connected socket over from node-ipc: Buffers instead of latin1 strings (node-ipc called
 * setEncoding, which has no public inverse), and our own data listener instead of node-ipc's.
 */
function takeOver(socket: Socket, onData: (data: Buffer) => void): void {
  const state = (socket as unknown as { _readableState: { decoder: unknown; encoding: unknown } })._readableState;
  state.decoder = null;
  state.encoding = null;
  socket.removeAllListeners('data');
  socket.on('data', onData);
}

/** One end of a bus connection: typed send with per-turn batching, typed receive. */
export class BusPeer<In, Out> {
  private readonly encoder = new BatchEncoder();
  private readonly decoder: BatchDecoder;
  private outbox: Out[] = [];
  private scheduled = false;
  private closed = false;
  onMessage: (message: In) => void = () => {};
  onClose: () => void = () => {};

  constructor(readonly socket: Socket, maxBatchBytes?: number) {
    this.decoder = new BatchDecoder(maxBatchBytes);
    takeOver(socket, (data) => this.receive(data));
    socket.once('close', () => this.handleClose());
  }

  /** Queues `message`; everything queued in this turn leaves in one write. */
  send(message: Out): void {
    if (this.closed) return;
    this.outbox.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Queues `message`, unless `fold` can fold it into the message queued last in this turn (and does
   * so, returning true). Only the last one: whatever was queued before it keeps its order.
   */
  sendOrFold(message: Out, fold: (last: Out) => boolean): void {
    const last = this.outbox.length > 0 ? this.outbox[this.outbox.length - 1] : undefined;
    if (last !== undefined && !this.closed && fold(last)) return;
    this.send(message);
  }

  /** Writes what is queued now instead of at the end of the turn. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.outbox.length === 0 || this.closed) return;
    const batch = this.outbox;
    this.outbox = [];
    const parts = this.encoder.encode(batch);
    if (this.socket.destroyed) return;
    if (parts.length === 1) {
      this.socket.write(parts[0]);
      return;
    }
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  };

  /** Bytes written to the bus but not yet taken by the kernel. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Closes the connection after flushing. */
  close(): void {
    this.flush();
    this.socket.end();
  }

  /** Feeds bytes read from the bus. A corrupt stream closes the connection. */
  private receive(data: Buffer): void {
    try {
      this.decoder.push(data, (m) => this.onMessage(m as In));
    } catch (err) {
      this.socket.destroy(err as Error);
    }
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

/** The hub's side: a node-ipc server that yields one BusPeer per connecting session. */
export class BusServer<In, Out> {
  private readonly ipc = new IPCModule();
  onPeer: (peer: BusPeer<In, Out>) => void = () => {};

  /** `maxBatchBytes`: the largest batch a peer may send (see BatchDecoder). */
  constructor(readonly path: string, private readonly maxBatchBytes?: number) {
    configure(this.ipc, 'stomp-broker-hub');
  }

  /** Listens on the Unix socket; resolves once it accepts connections. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ipc.serve(this.path, () => resolve());
      const server = this.ipc.server;
      server.on('error', reject);
      server.on('connect', (socket) => this.accept(socket));
      server.start();
    });
  }

  /** Stops listening. */
  stop(): void {
    try {
      this.ipc.server.server?.close();
    } catch {
      // already closed
    }
  }

  private accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    // node-ipc keeps every socket it accepted in a list it prunes only when the server closes: each
    // session that ever connected would stay referenced by the hub.
    socket.once('close', () => {
      const sockets = (this.ipc.server as unknown as { sockets: Socket[] }).sockets;
      const i = sockets.indexOf(socket);
      if (i >= 0) sockets.splice(i, 1);
    });
    this.onPeer(new BusPeer<In, Out>(socket, this.maxBatchBytes));
  }
}

/** A session's (or the CLI's) side: connects to the hub's bus; rejects if nobody listens. */
export function connectBus<In, Out>(path: string, id: string): Promise<BusPeer<In, Out>> {
  const ipc = new IPCModule();
  configure(ipc, id);
  return new Promise((resolve, reject) => {
    ipc.connectTo('hub', path, () => {
      const client = ipc.of.hub;
      let peer: BusPeer<In, Out> | undefined;
      client.on('connect', () => {
        peer = new BusPeer<In, Out>(client.socket);
        resolve(peer);
      });
      client.on('error', (err) => {
        if (!peer) reject(err);
      });
    });
  });
}
