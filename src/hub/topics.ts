/**
 * TopicRegistry: which sessions hold a subscription on which topic (name or pattern, in one trie). A
 * topic message goes once to each such session, which then delivers it to each of its own matching
 * subscriptions. Statistics are kept per subscribed name or pattern and forgotten with its last
 * subscriber, so they never outgrow the subscriptions.
 */
import type { DestinationStatus, WireMessage } from '../ipc/contract.js';
import { TopicTrie } from '../protocol/destination.js';
import type { HubSession, HubSubscription } from './model.js';

/** Statistics of one subscribed topic name or pattern. */
export interface TopicStats {
  subscribers: number;
  delivered: number;
}

/** Destinations whose matching subscriptions the registry remembers (see `routes`). */
const MAX_ROUTES = 4096;

/** Where a message to one topic name goes: the matching subscriptions, and their sessions once each. */
interface Route {
  stats: TopicStats[];
  sessions: HubSession[];
}

/** Topic subscriptions and their statistics. */
export class TopicRegistry {
  private readonly trie = new TopicTrie<HubSubscription>();
  private readonly stats = new Map<string, TopicStats>();
  /** The trie's answers by topic name until the subscriptions change: most messages go to names seen before. */
  private readonly routes = new Map<string, Route>();

  add(sub: HubSubscription): void {
    if (!this.trie.add(sub.source, sub)) return;
    this.routes.clear();
    let s = this.stats.get(sub.source);
    if (!s) this.stats.set(sub.source, (s = { subscribers: 0, delivered: 0 }));
    s.subscribers++;
  }

  remove(sub: HubSubscription): void {
    if (!this.trie.remove(sub.source, sub)) return;
    this.routes.clear();
    const s = this.stats.get(sub.source);
    if (s && --s.subscribers === 0) this.stats.delete(sub.source);
  }

  /** Sends `msg` once to every session with a subscription that matches its destination. */
  publish(msg: WireMessage): void {
    if (this.trie.size === 0) return;
    const route = this.routeOf(msg.dest);
    for (const s of route.stats) s.delivered++;
    for (const session of route.sessions) {
      // A client that does not read costs the hub and its session nothing more (FlowMsg).
      if (!session.topicsPaused) session.send({ t: 'deliver', msg });
    }
  }

  private routeOf(dest: string): Route {
    let route = this.routes.get(dest);
    if (route) return route;
    const subs = [...this.trie.match(dest)];
    route = { stats: subs.map((sub) => this.stats.get(sub.source)!), sessions: [...new Set(subs.map((sub) => sub.session))] };
    // Bounded: publishers to endlessly many names must not grow it forever.
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    this.routes.set(dest, route);
    return route;
  }

  /** Subscribers of, and messages delivered to, one subscribed name or pattern (undefined: none now). */
  statsOf(name: string): Readonly<TopicStats> | undefined {
    return this.stats.get(name);
  }

  /** Every subscribed topic name or pattern. */
  names(): IterableIterator<string> {
    return this.stats.keys();
  }

  /** One row per subscribed topic name or pattern. */
  status(): DestinationStatus[] {
    return [...this.stats].map(([name, s]) => ({
      name, kind: 'topic' as const, depth: 0, bytes: 0, consumers: s.subscribers, inFlight: 0,
      enqueued: s.delivered, delivered: s.delivered,
    }));
  }
}
