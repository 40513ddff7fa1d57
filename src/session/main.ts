/**
 * Entry point of a session process: join the hub's bus, report ready, wait for one client socket,
 * serve it, exit. Exits too when the hub goes away (its channel or the bus closes): no orphans.
 */
import type { Socket } from 'node:net';
import type { SessionConfig } from '../config.js';
import {
  BUS_VERSION, type HandoffMsg, type HandoffReplyMsg, type HubToSession, type ReadyMsg, type SessionToHub,
} from '../ipc/contract.js';
import { type BusPeer, connectBus } from '../ipc/transport.js';
import { Session } from './session.js';

type Bus = BusPeer<HubToSession, SessionToHub>;

const id = Number(process.env.STOMP_BROKER_SESSION_ID);
const config = JSON.parse(process.env.STOMP_BROKER_SESSION_CONFIG ?? '{}') as SessionConfig;

async function joinBus(): Promise<Bus> {
  const bus = await connectBus<HubToSession, SessionToHub>(process.env.STOMP_BROKER_BUS ?? '', `session-${id}`);
  bus.onClose = () => process.exit(0);
  await new Promise<void>((resolve, reject) => {
    bus.onMessage = (m) => (m.t === 'welcome' ? resolve() : reject(new Error(`expected welcome, got ${m.t}`)));
    bus.send({ t: 'hello', v: BUS_VERSION, session: id, pid: process.pid });
  });
  return bus;
}

/** Serves one client, then flushes the bus and exits. */
function serve(bus: Bus, socket: Socket, remote: string): void {
  const session = new Session(socket, bus, config, `session-${process.pid}-${id}`, remote);
  session.onClose = () => {
    bus.close();
    setTimeout(() => process.exit(0), 2000).unref();
  };
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  const bus = await joinBus();
  let busy = false;
  process.on('message', (m: HandoffMsg, socket?: Socket) => {
    if (m?.t !== 'handoff') return;
    const accepted = !busy && socket !== undefined;
    process.send!({ t: 'handoff-reply', accepted } satisfies HandoffReplyMsg);
    if (!accepted) return;
    busy = true;
    serve(bus, socket!, m.remote);
  });
  process.send!({ t: 'ready' } satisfies ReadyMsg);
}

main().catch((err) => {
  process.stderr.write(`session ${id}: ${(err as Error).stack}\n`);
  process.exit(1);
});
