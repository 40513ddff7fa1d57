/**
 * Durable topic subscriptions: each one is a queue the hub fills with the topic's messages while its
 * subscriber is away (ActiveMQ's `activemq.subscriptionName`, RabbitMQ's `durable:true`). The
 * registrations are kept in the store's metadata, so they survive restarts.
 */
import { DURABLE_QUEUE_PREFIX, TopicTrie } from '../protocol/destination.js';
import type { QueueStore } from '../store/store.js';

/** One durable subscription: its name, the topic (or pattern) it follows and the queue it fills. */
export interface DurableBinding {
  name: string;
  topic: string;
  queue: string;
}

const DURABLES_META = 'durable-subscriptions';

/** The durable subscriptions, by name, by queue and by topic pattern. */
export class DurableSubscriptions {
  private readonly byName = new Map<string, DurableBinding>();
  private readonly byQueue = new Map<string, DurableBinding>();
  private readonly trie = new TopicTrie<DurableBinding>();

  constructor(private readonly store: QueueStore) {}

  /** Loads the registrations saved in the store. */
  load(): void {
    const saved = (this.store.getMeta(DURABLES_META) ?? []) as DurableBinding[];
    for (const b of saved) this.add(b);
  }

  /**
   * The binding `name` following `topic`, created as needed; resolves once saved. A name that followed
   * another topic is a new subscription (JMS: the old one is deleted): `replaced` says so, and what
   * its queue holds for the old topic must go, not reach a subscriber of the new one.
   */
  bind(name: string, topic: string): { binding: DurableBinding; saved: Promise<void> | undefined; replaced: boolean } {
    const existing = this.byName.get(name);
    if (existing && existing.topic === topic) return { binding: existing, saved: undefined, replaced: false };
    if (existing) this.remove(existing);
    const binding = { name, topic, queue: DURABLE_QUEUE_PREFIX + name };
    this.add(binding);
    return { binding, saved: this.save(), replaced: existing !== undefined };
  }

  /** Ends a durable subscription; resolves once the registration is gone from the store. */
  forget(binding: DurableBinding): Promise<void> {
    this.remove(binding);
    return this.save();
  }

  /** The binding that fills `queue`, if it is a durable subscription's queue. */
  ofQueue(queue: string): DurableBinding | undefined {
    return this.byQueue.get(queue);
  }

  /** Every binding whose topic pattern matches topic `dest`. */
  matching(dest: string): Set<DurableBinding> {
    return this.trie.size === 0 ? new Set() : this.trie.match(dest);
  }

  private add(b: DurableBinding): void {
    this.byName.set(b.name, b);
    this.byQueue.set(b.queue, b);
    this.trie.add(b.topic, b);
  }

  private remove(b: DurableBinding): void {
    this.byName.delete(b.name);
    this.byQueue.delete(b.queue);
    this.trie.remove(b.topic, b);
  }

  private save(): Promise<void> {
    return this.store.putMeta(DURABLES_META, [...this.byName.values()]);
  }
}
