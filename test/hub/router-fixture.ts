/** What the router's unit tests share: fake sessions, a router over the in-memory store, shorthands. */
import { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type RouterOptions } from '../../src/hub/router.js';
import { parseConfig, type BrokerFileConfig } from '../../src/hub/policy.js';
import type { HubSession } from '../../src/hub/model.js';
import type {
  AckMode, DestinationStatus, HubToSession, MessageProps, OfferMsg,
} from '../../src/ipc/contract.js';
import { openStore } from '../../src/store/open.js';
import type { QueueStore } from '../../src/store/store.js';

export interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextSessionId = 1;
export function fakeSession(): FakeSession {
  const id = nextSessionId++;
  const fake: FakeSession = {
    id, serial: id, pid: 4242, send: (m) => fake.sent.push(m), sent: [], subs: new Map(),
    writable: true, login: 'guest', version: '1.2', remote: 'test', clientId: '', pending: null,
  };
  return fake;
}

/** Offers `s` received (and forgets them, so the next call sees only new ones). */
export function takeOffers(s: FakeSession): OfferMsg[] {
  const offers = s.sent.filter((m): m is OfferMsg => m.t === 'offer');
  s.sent = s.sent.filter((m) => m.t !== 'offer');
  return offers;
}

export function messagesOf(s: FakeSession, t: HubToSession['t']): HubToSession[] {
  return s.sent.filter((m) => m.t === t);
}

export const PROPS: MessageProps = { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 };
export const OPTIONS: RouterOptions = {
  offerFanout: 1, autoAckWindow: 100, memoryHighWatermark: 1 << 30, destinationMemory: 1 << 30,
};
export const KEEP = { requeue: true, retryAfterMs: -1, reason: '' };

export const routers: Router[] = [];
export async function makeRouter(config: BrokerFileConfig = parseConfig({}), options: Partial<RouterOptions> = {}):
  Promise<{ router: Router; store: QueueStore }> {
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const router = new Router({ ...OPTIONS, ...options }, store, config);
  await router.recover();
  routers.push(router);
  return { router, store };
}
afterEach(() => {
  for (const r of routers.splice(0)) r.close();
});

export function publish(router: Router, dest: string, body: string, props: Partial<MessageProps> = {},
  headers: Record<string, string> = {}): Promise<void> | undefined {
  return router.publish(undefined, dest, headers, Buffer.from(body), { ...PROPS, ...props });
}

export function subscribe(router: Router, s: HubSession, key: number, dest: string, ack: AckMode = 'client',
  prefetch = 0, durable = ''): Promise<void> | undefined {
  return router.subscribe(s, key, dest, ack, prefetch, 0, durable);
}

export function row(router: Router, name: string): DestinationStatus {
  const r = router.status().find((d) => d.name === name);
  assert.ok(r, `no status row for ${name}`);
  return r;
}

export const bodyOf = (o: { msg: { body: Buffer } }) => o.msg.body.toString();

/** Lets store commits (and the offers that wait for a persistent message's delivery mark) settle. */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}


/** Polls `f` until it returns a non-empty array (or 10 s pass); the awaited timers keep the loop alive. */
export async function eventually<T>(f: () => T[]): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = f();
    if (got.length > 0 || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 5));
  }
}

