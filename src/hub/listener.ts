/**
 * Listener: the TCP server, and the door every client passes before it costs a process. A new socket
 * is read by the hub itself only until its first frame has ended (a NUL byte), at most the pre-CONNECT
 * frame limit, within the CONNECT deadline; only then is it handed, with those bytes, to a session.
 * So a half-open connection costs a socket and a small buffer, never a session. The hub looks at
 * nothing but where the frame ends: parsing is the session's work. Limits: connections in all, and per
 * client address, shared by both ports. A socket of the TLS port is handed over at once, unread: the hub
 * cannot see into TLS, so the session does the handshake, and the CONNECT deadline, in its own process.
 */
import net from 'node:net';
import { StompError, toErrorFrame } from '../protocol/errors.js';
import { serializeFrame } from '../protocol/writer.js';

/** What the listener enforces. */
export interface ListenerOptions {
  host: string;
  port: number;
  /** STOMP over TLS on this port too; null = none. */
  tlsPort: number | null;
  /** Connections (waiting for their first frame, or served) allowed at once. */
  maxConnections: number;
  /** Connections one client address may hold at once; 0 = no limit. */
  maxPerAddress: number;
  /** Bytes read while waiting for the first frame to end (the pre-CONNECT frame limit). */
  maxHeadBytes: number;
  /** The first frame must have ended by then, ms. */
  connectTimeoutMs: number;
}

/** How long a refused socket may take to read its ERROR before it is destroyed, ms. */
const REFUSAL_GRACE_MS = 1000;

/** The TCP server with its admission rules. */
export class Listener {
  private server: net.Server | null = null;
  private tlsServer: net.Server | null = null;
  /** Connections per client address: from accept until the hub says the client has gone. */
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  /** Since the broker started (management API metrics): TCP connections accepted, and those refused for a limit. */
  readonly counters = { accepted: 0, refused: 0 };
  /** Sockets still being read by the hub. */
  private readonly waiting = new Set<net.Socket>();

  constructor(
    private readonly options: ListenerOptions,
    /**
     * Gets a socket whose first frame has ended, with the bytes read so far (or, `tls`, an unread one
     * of the TLS port); it now counts as served.
     */
    private readonly accept: (socket: net.Socket, head: Buffer, tls: boolean) => void,
  ) {}

  /** Connections held now (waiting for a first frame, or served). */
  get connections(): number {
    return this.total;
  }

  /** Sockets waiting for their first frame. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** The port listened on. */
  get port(): number {
    return portOf(this.server) ?? this.options.port;
  }

  /** The TLS port listened on, 0 when there is none. */
  get tlsPort(): number {
    return portOf(this.tlsServer) ?? this.options.tlsPort ?? 0;
  }

  /** Starts listening (on the TLS port too, when there is one). */
  async listen(): Promise<void> {
    this.server = await listenOn(this.options.host, this.options.port, (socket) => this.admit(socket, false));
    if (this.options.tlsPort === null) return;
    try {
      this.tlsServer = await listenOn(this.options.host, this.options.tlsPort, (socket) => this.admit(socket, true));
    } catch (err) {
      this.server.close();
      throw err;
    }
  }

  /** Stops accepting; sockets still waiting for their first frame are closed. */
  close(): void {
    this.server?.close();
    this.tlsServer?.close();
    for (const socket of this.waiting) socket.destroy();
  }

  /** A served client has gone (its session ended it): its address may connect again. */
  released(address: string): void {
    this.total--;
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }

  private admit(socket: net.Socket, tls: boolean): void {
    socket.on('error', () => socket.destroy());
    const address = socket.remoteAddress ?? '';
    const { maxConnections, maxPerAddress } = this.options;
    this.counters.accepted++;
    // A TLS client cannot read a plain ERROR frame: it is only closed.
    const turnAway = tls ? (): void => void socket.destroy() : refuse.bind(null, socket);
    if (this.total >= maxConnections) {
      this.counters.refused++;
      return turnAway('too many connections', 'The broker serves its maximum number of connections; try again later.');
    }
    const mine = this.perAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && mine >= maxPerAddress) {
      this.counters.refused++;
      return turnAway('too many connections', `Address ${address} holds its maximum of ${maxPerAddress} connections.`);
    }
    this.total++;
    this.perAddress.set(address, mine + 1);
    if (tls) this.accept(socket, Buffer.alloc(0), true);
    else this.readHead(socket, address);
  }

  /** Reads until the first frame ends, then hands the socket over; or refuses it. */
  private readHead(socket: net.Socket, address: string): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (outcome: 'accept' | 'gone' | StompError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      this.waiting.delete(socket);
      if (outcome === 'accept') {
        stopReading(socket);
        this.accept(socket, Buffer.concat(chunks, bytes), false);
        return;
      }
      this.released(address);
      if (outcome !== 'gone') failAndClose(socket, outcome);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (chunk.includes(0)) finish('accept');
      else if (bytes > this.options.maxHeadBytes) {
        finish(new StompError('FRAME_TOO_LARGE', 'Frame too large',
          `a frame before CONNECT may be at most ${this.options.maxHeadBytes} bytes`));
      }
    };
    const timer = setTimeout(() => finish(new StompError('CONNECT_TIMEOUT', 'Connect timeout',
      `No CONNECT frame within ${this.options.connectTimeoutMs} ms.`)), this.options.connectTimeoutMs);
    this.waiting.add(socket);
    socket.on('data', onData);
    socket.once('close', () => finish('gone'));
    socket.resume();
  }
}

/** A server that listens without reading (`pauseOnConnect`): sockets are handed to sessions unread. */
function listenOn(host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function portOf(server: net.Server | null): number | undefined {
  const addr = server?.address();
  return typeof addr === 'object' && addr ? addr.port : undefined;
}

/**
 * Stops the socket's handle from reading: whatever the hub read and did not pass on would be lost to
 * the session (a paused stream still reads into its buffer). Called from inside the 'data' handler, so
 * libuv reads nothing more in this round either.
 */
function stopReading(socket: net.Socket): void {
  socket.pause();
  (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
}

/** ERROR (STOMP 1.0 framing: nothing was negotiated) and a close. */
function failAndClose(socket: net.Socket, err: StompError): void {
  socket.end(serializeFrame(toErrorFrame(err), '1.0'));
  setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
}

function refuse(socket: net.Socket, message: string, detail: string): void {
  failAndClose(socket, new StompError('RESOURCE_LIMIT', message, detail));
}
