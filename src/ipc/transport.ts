/**
 * Bus transport: node-ipc (12.0.0) on a Unix socket, raw buffers, our own length-prefixed framing
 * (codec.ts). A BusPeer batches what is sent during one event-loop turn into one write.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { IPCModule as IPCModuleType } from 'node-ipc';
import { BatchDecoder, BatchEncoder } from './codec.js';

// node-ipc's CommonJS build is one bundled file: it loads in about half the time of its ES module
// graph, and every session process pays that on start.
const { IPCModule } = createRequire(import.meta.url)('node-ipc') as { IPCModule: typeof IPCModuleType };
type IPCModule = IPCModuleType;

/** node-ipc hands raw data through a string decoder; latin1 maps every byte to itself. */
const BYTE_EXACT_ENCODING: BufferEncoding = 'latin1';

function configure(ipc: IPCModule, id: string): void {
  ipc.config.id = id;
  ipc.config.silent = true;
  ipc.config.rawBuffer = true;
  ipc.config.encoding = BYTE_EXACT_ENCODING;
  // node-ipc retries forever by default; a session whose hub is gone must exit instead.
  ipc.config.stopRetrying = true;
  ipc.config.maxRetries = 0;
  ipc.config.maxConnections = 1_000_000;
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

  constructor(
    private readonly write: (data: Buffer) => void,
    readonly socket: Socket,
    maxBatchBytes?: number,
  ) {
    this.decoder = new BatchDecoder(maxBatchBytes);
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

  /** Writes what is queued now instead of at the end of the turn. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.outbox.length === 0 || this.closed) return;
    const batch = this.outbox;
    this.outbox = [];
    this.write(this.encoder.encode(batch));
  };

  /** Bytes written to the bus but not yet taken by the kernel. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Feeds bytes read from the bus. A corrupt stream closes the connection. */
  receive(data: Buffer): void {
    try {
      this.decoder.push(data, (m) => this.onMessage(m as In));
    } catch (err) {
      this.socket.destroy(err as Error);
    }
  }

  /** Closes the connection after flushing. */
  close(): void {
    this.flush();
    this.socket.end();
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
  private readonly peers = new Map<Socket, BusPeer<In, Out>>();
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
      // node-ipc emits data for all sockets on one event: route it to the socket's own decoder.
      server.on('data', (data, socket) => this.peers.get(socket)?.receive(data));
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
    const peer = new BusPeer<In, Out>((data) => this.ipc.server.emit(socket, data), socket, this.maxBatchBytes);
    this.peers.set(socket, peer);
    socket.once('close', () => this.peers.delete(socket));
    this.onPeer(peer);
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
        peer = new BusPeer<In, Out>((data) => client.emit(data), client.socket);
        resolve(peer);
      });
      client.on('data', (data) => peer?.receive(data));
      client.on('error', (err) => {
        if (!peer) reject(err);
      });
    });
  });
}
