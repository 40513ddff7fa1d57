/**
 * STOMP over WebSocket inside a session, as RabbitMQ's Web-STOMP and ActiveMQ's ws connector serve it:
 * the hub reads only the HTTP upgrade request's header block from a socket of the WebSocket port and
 * hands it over with the socket, and the session completes the upgrade itself (ws library), so a browser
 * client is a process of its own like a TCP one. Every frame the broker writes travels as one WebSocket
 * message (text when it is valid UTF-8, else binary); what the client sends is parsed as a byte stream,
 * so frames may span messages and a message may hold several frames.
 */
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { HEARTBEAT } from '../protocol/writer.js';
import type { ClientLink } from './client-link.js';

/** The path clients upgrade on (RabbitMQ Web-STOMP's). */
export const WEBSOCKET_PATH = '/ws';
/** Subprotocols in the order the broker prefers them; the STOMP version itself is CONNECT's choice. */
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'];

/** The server side of WebSocket upgrades, one at a time (a session serves one client at a time). */
export class WebSocketDoor {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  /** Settles the upgrade under way (null: it failed). */
  private pending: ((link: WebSocketLink | null) => void) | null = null;

  /** `maxMessageBytes`: the longest message a client may send (ws buffers a message whole). */
  constructor(maxMessageBytes: number) {
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false, clientTracking: false,
      handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
    // An HTTP server that never listens parses the request on the handed socket (as tls.ts does for TLS).
    this.http = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'close' });
      res.end(`This port serves STOMP over WebSocket: connect a WebSocket client to ${WEBSOCKET_PATH}.\n`);
    });
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket: Socket) => socket.destroy());
  }

  /** Completes the upgrade whose request header is `head`; resolves with the link, or null when it failed. */
  accept(socket: Socket, head: Buffer): Promise<WebSocketLink | null> {
    return new Promise((resolve) => {
      const settle = (link: WebSocketLink | null): void => {
        if (this.pending !== settle) return;
        this.pending = null;
        resolve(link);
      };
      this.pending = settle;
      // ws answers a bad upgrade (400) and destroys the socket without calling back.
      socket.once('close', () => settle(null));
      if (socket.destroyed) return settle(null); // gone while this module loaded
      socket.unshift(head);
      this.http.emit('connection', socket);
    });
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH) {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`
        + `STOMP over WebSocket is served at ${WEBSOCKET_PATH}.\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.pending?.(new WebSocketLink(ws, socket)));
  }
}

/** A client on a WebSocket: one message per frame written. */
export class WebSocketLink implements ClientLink {
  onData: (chunk: Buffer) => void = () => {};
  onDrain: () => void = () => {};
  /** Never called: a client's close frame closes the WebSocket at once (onClose). */
  onEnd: () => void = () => {};
  onClose: () => void = () => {};

  constructor(private readonly ws: WebSocket, socket: Socket) {
    socket.setNoDelay(true);
    ws.binaryType = 'nodebuffer';
    // Paused until the Connection starts reading (as a handed TCP socket is).
    ws.pause();
    ws.on('message', (data: Buffer) => this.onData(data));
    ws.on('error', () => ws.terminate());
    ws.once('close', () => this.onClose());
    // ws writes straight to the socket (no compression): the socket's drain is the link's.
    socket.on('drain', () => this.onDrain());
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED;
  }

  writeFrame(parts: Buffer[]): void {
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.ws.send(data, { binary: !isUtf8(data) });
  }

  writeHeartbeat(): void {
    this.ws.send(HEARTBEAT, { binary: false });
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}
