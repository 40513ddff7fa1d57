/**
 * Listener: the TCP server, and the door every client passes before it costs a process. A new socket
 * is read by the hub itself only until its first frame has ended (a NUL byte), at most the pre-CONNECT
 * frame limit, within the CONNECT deadline; only then is it handed, with those bytes, to a session.
 * So a half-open connection costs a socket and a small buffer, never a session. The hub looks at
 * nothing but where the frame ends: parsing is the session's work. Limits: connections in all, and per
 * client address, shared by every port. A socket of the TLS port is handed over at once, unread: the hub
 * cannot see into TLS, so the session does the handshake, and the CONNECT deadline, in its own process.
 * A socket of the WebSocket port is read until its HTTP request's header block has ended (at most
 * 16 KiB, within the CONNECT deadline), and the session completes the upgrade; the hub answers a request
 * that is no WebSocket upgrade itself, so that health checks and stray browsers cost no process.
 */
import net from 'node:net';
import type { ClientTransport } from '../ipc/contract.js';
import { stopReading } from './socket-reading.js';
import { StompError, toErrorFrame } from '../protocol/errors.js';
import { serializeFrame } from '../protocol/writer.js';

/** What the listener enforces. */
export interface ListenerOptions {
  host: string;
  port: number;
  /** STOMP over TLS on this port too; null = none. */
  tlsPort: number | null;
  /** STOMP over WebSocket on this port too; null = none. */
  wsPort: number | null;
  /** Connections (waiting for their first frame, or served) allowed at once. */
  maxConnections: number;
  /** Connections one client address may hold at once; 0 = no limit. */
  maxPerAddress: number;
  /** Bytes read while waiting for the first frame to end (the pre-CONNECT frame limit). */
  maxHeadBytes: number;
  /** The first frame must have ended by then, ms. */
  connectTimeoutMs: number;
  /**
   * WebSocket upgrades from a browser page are taken only from loopback origins: without a users file
   * every client has every right, and any web site a developer visits could otherwise use the broker.
   */
  loopbackOriginsOnly: boolean;
}

/** How long a refused socket may take to read its ERROR before it is destroyed, ms. */
const REFUSAL_GRACE_MS = 1000;
/** Longest HTTP upgrade request header block read on the WebSocket port (Node's own default limit). */
const MAX_UPGRADE_HEADER_BYTES = 16 * 1024;
const END_OF_HEADER = Buffer.from('\r\n\r\n');

/** The TCP server with its admission rules. */
export class Listener {
  private server: net.Server | null = null;
  private tlsServer: net.Server | null = null;
  private wsServer: net.Server | null = null;
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
     * Gets a socket whose first frame (`ws`: upgrade request header) has ended, with the bytes read so
     * far (or, `tls`, an unread one of the TLS port); it now counts as served.
     */
    private readonly accept: (socket: net.Socket, head: Buffer, transport: ClientTransport, address: string) => void,
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

  /** The WebSocket port listened on, 0 when there is none. */
  get wsPort(): number {
    return portOf(this.wsServer) ?? this.options.wsPort ?? 0;
  }

  /** Starts listening (on the TLS and WebSocket ports too, when there are). */
  async listen(): Promise<void> {
    const { host, tlsPort, wsPort } = this.options;
    try {
      this.server = await listenOn(host, this.options.port, (socket) => this.admit(socket, 'tcp'));
      if (tlsPort !== null) this.tlsServer = await listenOn(host, tlsPort, (socket) => this.admit(socket, 'tls'));
      if (wsPort !== null) this.wsServer = await listenOn(host, wsPort, (socket) => this.admit(socket, 'ws'));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Stops accepting; sockets still waiting for their first frame are closed. */
  close(): void {
    this.server?.close();
    this.tlsServer?.close();
    this.wsServer?.close();
    for (const socket of this.waiting) socket.destroy();
  }

  /** A served client has gone (its session ended it): its address may connect again. */
  released(address: string): void {
    this.total--;
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }

  private admit(socket: net.Socket, transport: ClientTransport): void {
    socket.on('error', () => socket.destroy());
    this.counters.accepted++;
    const address = socket.remoteAddress;
    // No peer address: the client reset the connection before it was accepted (connect-and-abort).
    if (address === undefined) return void socket.destroy();
    const { maxConnections, maxPerAddress } = this.options;
    // A TLS client cannot read a plain ERROR frame: it is only closed. A WebSocket one gets HTTP 503.
    const turnAway = transport === 'tls' ? (): void => void socket.destroy()
      : transport === 'ws' ? (_: string, detail: string): void => httpAnswer(socket, 503, 'Service Unavailable', detail)
        : refuse.bind(null, socket);
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
    if (transport === 'tls') this.accept(socket, Buffer.alloc(0), 'tls', address);
    else if (transport === 'ws') this.readHead(socket, address, this.options.loopbackOriginsOnly ? LOOPBACK_UPGRADE_HEAD : UPGRADE_HEAD);
    else this.readHead(socket, address, FRAME_HEAD);
  }

  /** Reads until the head `rule` describes has ended, then hands the socket over; or refuses it. */
  private readHead(socket: net.Socket, address: string, rule: HeadRule): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const maxBytes = rule.maxBytes ?? this.options.maxHeadBytes;
    const finish = (outcome: 'accept' | 'gone' | Refusal): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      this.waiting.delete(socket);
      if (outcome === 'accept') {
        const head = Buffer.concat(chunks, bytes);
        const problem = rule.check(head);
        if (problem === null) {
          stopReading(socket);
          this.accept(socket, head, rule.transport, address);
          return;
        }
        outcome = problem;
      }
      this.released(address);
      if (outcome !== 'gone') rule.refuse(socket, outcome);
    };
    // The end marker may straddle two chunks: the last bytes read are searched again with the next chunk.
    let tail = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      bytes += chunk.length;
      const window = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      const at = window.indexOf(rule.marker);
      // Where the head ends, counted from the socket's first byte.
      const end = at === -1 ? Infinity : bytes - window.length + at + rule.marker.length;
      if (end <= maxBytes) finish('accept');
      else if (bytes > maxBytes) finish({ kind: 'too-large', limit: maxBytes });
      else tail = Buffer.from(window.subarray(Math.max(0, window.length - rule.marker.length + 1)));
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', limit: this.options.connectTimeoutMs }),
      this.options.connectTimeoutMs);
    this.waiting.add(socket);
    socket.on('data', onData);
    socket.once('close', () => finish('gone'));
    // The client ended its side before its first frame did: nothing will complete it.
    socket.once('end', () => {
      if (done) return;
      finish('gone');
      socket.destroy();
    });
    socket.resume();
  }
}

/** Why the hub turned a socket away before handing it over. */
interface Refusal {
  kind: 'too-large' | 'timeout' | 'not-websocket' | 'not-found' | 'foreign-origin';
  limit: number;
}

/** What the hub reads of a new socket before it hands it over, per transport. */
interface HeadRule {
  transport: ClientTransport;
  /** Where the head ends (its last bytes). */
  marker: Buffer;
  /** Most bytes read before the marker; default: the pre-CONNECT frame limit. */
  maxBytes?: number;
  /** A problem with the complete head, or null. */
  check(head: Buffer): Refusal | null;
  refuse(socket: net.Socket, why: Refusal): void;
}

/** STOMP over TCP: up to the first frame's NUL; the session parses it. */
const FRAME_HEAD: HeadRule = {
  transport: 'tcp',
  marker: Buffer.from([0]),
  check: () => null,
  refuse: (socket, why) => failAndClose(socket, why.kind === 'timeout'
    ? new StompError('CONNECT_TIMEOUT', 'Connect timeout', `No CONNECT frame within ${why.limit} ms.`)
    : new StompError('FRAME_TOO_LARGE', 'Frame too large', `a frame before CONNECT may be at most ${why.limit} bytes`)),
};

/**
 * STOMP over WebSocket: up to the end of the HTTP request's header block. The hub only checks that it
 * is a GET of /ws asking for a WebSocket upgrade (patterns without backtracking); the session's HTTP
 * parser and ws check the rest.
 */
const UPGRADE_HEAD: HeadRule = {
  transport: 'ws',
  marker: END_OF_HEADER,
  maxBytes: MAX_UPGRADE_HEADER_BYTES,
  check: (head) => {
    const text = head.toString('latin1');
    if (!text.startsWith('GET ') || !/^upgrade:[ \t]*websocket[ \t]*\r$/im.test(text)) return { kind: 'not-websocket', limit: 0 };
    return /^GET \/ws(\?[^ ]*)? HTTP\/1\.1\r\n/.test(text) ? null : { kind: 'not-found', limit: 0 };
  },
  refuse: (socket, why) => {
    if (why.kind === 'foreign-origin') {
      httpAnswer(socket, 403, 'Forbidden', 'This broker has no users file (every client has every right): it takes '
        + 'WebSocket clients from pages of loopback origins only. Start it with --users to serve other origins.');
    } else if (why.kind === 'timeout') httpAnswer(socket, 408, 'Request Timeout', `No request within ${why.limit} ms.`);
    else if (why.kind === 'too-large') httpAnswer(socket, 431, 'Request Header Fields Too Large', `At most ${why.limit} bytes.`);
    else if (why.kind === 'not-found') httpAnswer(socket, 404, 'Not Found', 'STOMP over WebSocket is served at /ws.');
    else httpAnswer(socket, 426, 'Upgrade Required', 'This port serves STOMP over WebSocket: connect a WebSocket client to /ws.', true);
  },
};

/** Whether a browser's Origin header names a page served from this machine (or there is none: not a browser). */
export function loopbackOrigin(head: string): boolean {
  const m = /^origin:[ \t]*([^\r]*?)[ \t]*\r$/im.exec(head);
  if (!m) return true;
  let host: string;
  try {
    host = new URL(m[1]).hostname;
  } catch {
    return false; // "null" (a file or sandboxed page) and anything unparsable
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** UPGRADE_HEAD for a broker without users: a page of another origin is refused (see ListenerOptions). */
const LOOPBACK_UPGRADE_HEAD: HeadRule = {
  ...UPGRADE_HEAD,
  check: (head) => UPGRADE_HEAD.check(head) ?? (loopbackOrigin(head.toString('latin1')) ? null : { kind: 'foreign-origin', limit: 0 }),
};

/** A plain HTTP answer and a close. */
function httpAnswer(socket: net.Socket, status: number, reason: string, text: string, upgrade = false): void {
  const body = `${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    + `${upgrade ? 'Upgrade: websocket\r\n' : ''}Connection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
}

/**
 * A server that listens without reading (`pauseOnConnect`): sockets are handed to sessions unread. Half
 * open: a client that ends its side right behind its frames (`printf ... | nc -N`) is still handed over
 * and answered; the session closes the connection once it has.
 */
function listenOn(host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, onSocket);
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

/** ERROR (STOMP 1.0 framing: nothing was negotiated) and a close. */
function failAndClose(socket: net.Socket, err: StompError): void {
  socket.end(serializeFrame(toErrorFrame(err), '1.0'));
  setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
}

function refuse(socket: net.Socket, message: string, detail: string): void {
  failAndClose(socket, new StompError('RESOURCE_LIMIT', message, detail));
}
