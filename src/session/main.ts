/**
 * Entry point of a session process: join the hub's bus, report ready, serve the client socket the hub
 * hands over (a TLS one through a handshake of its own, see tls.ts; a WebSocket one through its upgrade,
 * see websocket.ts). When that client ends cleanly the session resets (a new Session: nothing of one client is
 * visible to the next) and waits for another, up to `sessionReuse` clients, as Apache's prefork children
 * do; otherwise it exits. Exits too when the hub goes away (its channel or the bus closes): no orphans.
 */
import type { Socket } from 'node:net';
import type { SessionConfig } from '../config.js';
import {
  BUS_VERSION, type HandoffMsg, type HandoffReplyMsg, type HubToSession, type ReadyMsg, type SessionToHub,
  type TlsSetupMsg,
} from '../ipc/contract.js';
import { adjustHeapGrowth } from '../heap-growth.js';
import { type BusPeer, connectBus } from '../ipc/transport.js';
import { SocketLink } from './client-link.js';
import { Session } from './session.js';
import { peerCertificate, TlsDoor } from './tls.js';
import type { WebSocketDoor } from './websocket.js';

type Bus = BusPeer<HubToSession, SessionToHub>;

const id = Number(process.env.STOMP_BROKER_SESSION_ID);
const config = JSON.parse(process.env.STOMP_BROKER_SESSION_CONFIG ?? '{}') as SessionConfig;
/** A session whose heap holds more than this after a client is not reused (a fresh process is cheaper). */
const REUSE_HEAP_LIMIT = 96 * 1024 * 1024;
/** Room in a WebSocket message beyond the frame limit (heart-beat EOLs around a frame). */
const WS_MESSAGE_SLACK = 64 * 1024;

/**
 * Says hello and waits for the hub's welcome. Resolves with the bus and what the hub sent right behind
 * the welcome (in the same read: a `drain` of a broker stopping as this process starts), which the
 * ClientSlot then handles: dropped, it would leave the hub waiting for `drained` until its deadline.
 */
async function joinBus(): Promise<{ bus: Bus; early: HubToSession[] }> {
  const bus = await connectBus<HubToSession, SessionToHub>(process.env.STOMP_BROKER_BUS ?? '', `session-${id}`);
  bus.onClose = () => process.exit(0);
  const early: HubToSession[] = [];
  await new Promise<void>((resolve, reject) => {
    let welcomed = false;
    bus.onMessage = (m) => {
      if (welcomed) early.push(m);
      else if (m.t === 'welcome') {
        welcomed = true;
        resolve();
      } else reject(new Error(`expected welcome, got ${m.t}`));
    };
    bus.send({ t: 'hello', v: BUS_VERSION, session: id, pid: process.pid });
  });
  return { bus, early };
}

/** The clients this process serves, one at a time. */
class ClientSlot {
  /** The client served now ('handshake': a TLS handshake or WebSocket upgrade is under way, no Session yet). */
  private current: Session | 'handshake' | null = null;
  private served = 0;
  /** Between `end` and the hub's `reset`: what the hub sends was meant for the previous client. */
  private resetting = false;
  /** The broker is stopping (`drain` came while no client was read): serve no one more. */
  private stopping = false;
  /** The TLS handshakes, once the hub has sent the key material. */
  tls: TlsDoor | null = null;
  /** WebSocket upgrades; made for the first WebSocket client. */
  private ws: WebSocketDoor | null = null;

  constructor(private readonly bus: Bus, early: HubToSession[]) {
    bus.onMessage = (m) => this.fromHub(m);
    for (const m of early) this.fromHub(m);
  }

  /** The hub's handoff: serve `socket`, unless a client is being served already. */
  take(m: HandoffMsg, socket: Socket | undefined): void {
    const accepted = this.current === null && socket !== undefined && (m.transport !== 'tls' || this.tls !== null);
    process.send!({ t: 'handoff-reply', accepted } satisfies HandoffReplyMsg);
    if (!accepted) return;
    const name = `session-${process.pid}-${this.served + 1}`;
    const head = Buffer.from(m.head, 'base64');
    if (m.transport === 'tcp') {
      this.serve(new Session(new SocketLink(socket), this.bus, config, name, m.remote, head));
      return;
    }
    // The CONNECT deadline counts from the handoff: the handshake or upgrade spends part of it.
    const deadline = Date.now() + config.connectTimeoutMs;
    const left = () => ({ ...config, connectTimeoutMs: Math.max(1, deadline - Date.now()) });
    this.current = 'handshake';
    if (m.transport === 'ws') {
      void this.webSocketDoor().then((door) => door.accept(socket, head)).then((link) => {
        if (!link || this.stopping) {
          link?.destroy();
          return this.handshakeFailed();
        }
        this.serve(new Session(link, this.bus, left(), name, m.remote, Buffer.alloc(0)));
      });
      return;
    }
    void this.tls!.handshake(socket).then((secure) => {
      if (!secure || this.stopping) {
        secure?.destroy();
        return this.handshakeFailed();
      }
      const link = new SocketLink(secure);
      this.serve(new Session(link, this.bus, left(), name, m.remote, Buffer.alloc(0), () => peerCertificate(secure)));
    });
  }

  /** The WebSocket door, loaded with the first WebSocket client: sessions of TCP clients never pay for ws. */
  private async webSocketDoor(): Promise<WebSocketDoor> {
    if (!this.ws) {
      const { WebSocketDoor: Door } = await import('./websocket.js');
      this.ws ??= new Door(config.maxFrameSize + WS_MESSAGE_SLACK);
    }
    return this.ws;
  }

  private serve(session: Session): void {
    session.onEnd = (reusable) => this.ended(session, reusable);
    this.current = session;
  }

  /** A process that saw a failed handshake (or upgrade) is not trusted with the next client: it exits. */
  private handshakeFailed(): void {
    this.current = null;
    this.served++;
    this.bus.close();
    setTimeout(() => process.exit(0), 2000).unref();
  }

  private fromHub(m: HubToSession): void {
    if (m.t === 'drain' && (this.resetting || !(this.current instanceof Session))) {
      this.stopping = true; // a handshake under way is not served: nothing can follow `drained`
      this.bus.send({ t: 'drained' });
      return;
    }
    if (this.resetting) {
      if (m.t === 'reset') this.resetting = false;
      return;
    }
    if (this.current instanceof Session) this.current.hubMessage(m);
  }

  /** The client is gone: reset and wait for the next one, or flush the bus and exit. */
  private ended(session: Session, reusable: boolean): void {
    this.served++;
    this.current = null;
    session.dispose();
    const reuse = reusable && this.served < config.sessionReuse
      && process.memoryUsage().heapUsed < REUSE_HEAP_LIMIT;
    if (!reuse) {
      this.bus.close();
      setTimeout(() => process.exit(0), 2000).unref();
      return;
    }
    this.resetting = true;
    this.bus.send({ t: 'end' });
    this.bus.flush();
  }
}

async function main(): Promise<void> {
  // A session's live heap stays small: set once, not watched (heap-growth.ts).
  adjustHeapGrowth();
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  const { bus, early } = await joinBus();
  const slot = new ClientSlot(bus, early);
  process.on('message', (m: HandoffMsg | TlsSetupMsg, socket?: Socket) => {
    if (m?.t === 'handoff') slot.take(m, socket);
    else if (m?.t === 'tls-setup') slot.tls = new TlsDoor(m, config.connectTimeoutMs);
  });
  process.send!({ t: 'ready' } satisfies ReadyMsg);
}

main().catch((err) => {
  process.stderr.write(`session ${id}: ${(err as Error).stack}\n`);
  process.exit(1);
});
