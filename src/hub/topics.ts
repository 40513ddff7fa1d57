/**
 * TopicRegistry: which sessions hold a subscription on which topic. A topic message goes once to each
 * such session, which then delivers it to each of its own matching subscriptions. Patterns use
 * RabbitMQ's topic syntax on the dot-separated name after /topic/: `*` one word, `#` zero or more.
 */
import type { DestinationStatus, WireMessage } from '../ipc/contract.js';
import type { HubSession, HubSubscription } from './model.js';
import { isPattern, topicMatches } from '../protocol/destination.js';

interface TopicStats {
  subscribers: number;
  published: number;
}

/** Topic subscriptions by destination (exact names) and the list of pattern subscriptions. */
export class TopicRegistry {
  private readonly exact = new Map<string, Set<HubSubscription>>();
  private readonly patterns = new Set<HubSubscription>();
  private readonly stats = new Map<string, TopicStats>();

  add(sub: HubSubscription): void {
    if (isPattern(sub.source)) {
      this.patterns.add(sub);
    } else {
      let subs = this.exact.get(sub.source);
      if (!subs) this.exact.set(sub.source, (subs = new Set()));
      subs.add(sub);
    }
    this.statsFor(sub.source).subscribers++;
  }

  remove(sub: HubSubscription): void {
    if (isPattern(sub.source)) {
      this.patterns.delete(sub);
    } else {
      const subs = this.exact.get(sub.source);
      subs?.delete(sub);
      if (subs?.size === 0) this.exact.delete(sub.source);
    }
    this.statsFor(sub.source).subscribers--;
  }

  /** Sends `msg` once to every session with a subscription that matches its destination. */
  publish(msg: WireMessage): void {
    this.statsFor(msg.dest).published++;
    const sessions = new Set<HubSession>();
    for (const sub of this.exact.get(msg.dest) ?? []) sessions.add(sub.session);
    for (const sub of this.patterns) if (topicMatches(sub.source, msg.dest)) sessions.add(sub.session);
    for (const session of sessions) session.send({ t: 'deliver', msg });
  }

  status(): DestinationStatus[] {
    return [...this.stats].map(([name, s]) => ({
      name, kind: 'topic' as const, depth: 0, consumers: s.subscribers, inFlight: 0,
      enqueued: s.published, delivered: s.published,
    }));
  }

  private statsFor(dest: string): TopicStats {
    let s = this.stats.get(dest);
    if (!s) this.stats.set(dest, (s = { subscribers: 0, published: 0 }));
    return s;
  }
}
