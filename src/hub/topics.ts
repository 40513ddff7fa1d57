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

/** Topic subscriptions and their statistics. */
export class TopicRegistry {
  private readonly trie = new TopicTrie<HubSubscription>();
  private readonly stats = new Map<string, TopicStats>();

  add(sub: HubSubscription): void {
    if (!this.trie.add(sub.source, sub)) return;
    let s = this.stats.get(sub.source);
    if (!s) this.stats.set(sub.source, (s = { subscribers: 0, delivered: 0 }));
    s.subscribers++;
  }

  remove(sub: HubSubscription): void {
    if (!this.trie.remove(sub.source, sub)) return;
    const s = this.stats.get(sub.source);
    if (s && --s.subscribers === 0) this.stats.delete(sub.source);
  }

  /** Sends `msg` once to every session with a subscription that matches its destination. */
  publish(msg: WireMessage): void {
    if (this.trie.size === 0) return;
    const sessions = new Set<HubSession>();
    for (const sub of this.trie.match(msg.dest)) {
      sessions.add(sub.session);
      this.stats.get(sub.source)!.delivered++;
    }
    for (const session of sessions) session.send({ t: 'deliver', msg });
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
