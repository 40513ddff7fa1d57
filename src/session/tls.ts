/**
 * TLS inside a session: the hub hands over the TLS port's sockets unread (it cannot look into TLS),
 * and the session runs the handshake itself, so a slow or hostile handshake costs this one process.
 * The handed socket is injected into a tls.Server that never listens (Node's documented way to serve
 * TLS over a stream of one's own), which verifies client certificates as a listening one would. The
 * key material arrives as PEM text over the child_process channel (`tls-setup`): a session can read no
 * file, and its environment holds no secret.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type tls from 'node:tls';
import type { TlsSetupMsg } from '../ipc/contract.js';

/** node:tls, loaded with the first TLS setup: sessions of a broker without a TLS port never pay for it (~5 ms of a start). */
const loadTls = (): typeof tls => createRequire(import.meta.url)('node:tls') as typeof tls;

/** The server side of TLS handshakes, one at a time (a session serves one client at a time). */
export class TlsDoor {
  private readonly server: tls.Server;
  /** Settles the handshake under way (null: it failed). */
  private pending: ((secure: tls.TLSSocket | null) => void) | null = null;

  /** `handshakeTimeoutMs`: a handshake not finished by then fails (the CONNECT deadline starts with it). */
  constructor(m: TlsSetupMsg, handshakeTimeoutMs: number) {
    const verifyClients = m.ca !== '';
    this.server = loadTls().createServer({
      key: m.key, cert: m.cert, ...(verifyClients ? { ca: m.ca } : {}),
      requestCert: verifyClients, rejectUnauthorized: verifyClients, handshakeTimeout: handshakeTimeoutMs,
    });
    this.server.on('secureConnection', (secure) => this.pending?.(secure));
    this.server.on('tlsClientError', (_err, secure) => {
      secure.destroy(); // a handshake timeout leaves the socket open
      this.pending?.(null);
    });
  }

  /** Runs the handshake over `socket`; resolves with the secured socket, or null when it failed. */
  handshake(socket: Socket): Promise<tls.TLSSocket | null> {
    return new Promise((resolve) => {
      const settle = (secure: tls.TLSSocket | null): void => {
        if (this.pending !== settle) return;
        this.pending = null;
        resolve(secure);
      };
      this.pending = settle;
      // A client certificate that fails verification is destroyed by Node without an event of the server's.
      socket.once('close', () => settle(null));
      this.server.emit('connection', socket);
    });
  }
}

/** The DER of the client's certificate, once the handshake verified it; empty when there is none. */
export function peerCertificate(socket: tls.TLSSocket): Buffer {
  if (!socket.authorized) return Buffer.alloc(0);
  return socket.getPeerX509Certificate()?.raw ?? Buffer.alloc(0);
}
