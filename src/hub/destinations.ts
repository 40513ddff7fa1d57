/**
 * Destinations: the hub's queues by name and the policy of every destination. A queue exists while it
 * holds, offers or awaits anything, or has consumers; an idle one is forgotten (with its counters), so
 * the number of queues is bounded by what clients use now, not by every name they ever sent to.
 */
import type { DestinationStatus } from '../ipc/contract.js';
import { type BrokerFileConfig, type DestinationPolicy, policyFor } from './policy.js';
import { Queue } from './queue.js';

/** Most destination policies kept matched; past it the cache starts over (many one-off names). */
const MAX_CACHED_POLICIES = 10_000;

/** The hub's queues and policies. */
export class Destinations {
  private readonly queues = new Map<string, Queue>();
  private readonly policies = new Map<string, DestinationPolicy>();

  constructor(
    private config: BrokerFileConfig,
    /** The topic a durable subscription's queue is fed from, so the topic's policy applies to it. */
    private readonly durableTopicOf: (queue: string) => string | undefined,
    private readonly onDue: (queue: Queue) => void,
  ) {}

  /** Number of queues held now. */
  get queueCount(): number {
    return this.queues.size;
  }

  /** Every queue held now. */
  allQueues(): IterableIterator<Queue> {
    return this.queues.values();
  }

  /** The queue `name`, created on first use. */
  queueFor(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, this.policyOf(name), this.onDue);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The queue `name` if it exists now. */
  existing(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  /** Forgets `queue` when nothing refers to it any more (see the file comment). */
  forgetIfIdle(queue: Queue): void {
    if (queue.isIdle && this.queues.get(queue.name) === queue) {
      queue.close();
      this.queues.delete(queue.name);
    }
  }

  /** A destination's policy, matched against the configuration once per name (it is read per SEND). */
  policyOf(name: string): DestinationPolicy {
    let policy = this.policies.get(name);
    if (!policy) {
      policy = policyFor(this.config, this.durableTopicOf(name) ?? name);
      if (this.policies.size >= MAX_CACHED_POLICIES) this.policies.clear();
      this.policies.set(name, policy);
    }
    return policy;
  }

  /**
   * A reloaded configuration: every queue takes its new policy now (messages in flight keep the ack
   * timeout they were given), and names are matched again as they are used.
   */
  reconfigure(config: BrokerFileConfig): void {
    this.config = config;
    this.policies.clear();
    for (const queue of this.queues.values()) queue.policy = this.policyOf(queue.name);
  }

  /** One status row per queue; `bytesOf` tells what each holds in memory. */
  status(bytesOf: (queue: string) => number): DestinationStatus[] {
    return [...this.queues.values()].map((q) => ({
      name: q.name, kind: 'queue' as const, depth: q.depth, bytes: bytesOf(q.name), consumers: q.consumers.length,
      inFlight: q.inflight.size + q.offered, enqueued: q.enqueued, delivered: q.delivered,
    }));
  }

  /** Stops every queue's timers (broker stopping). */
  close(): void {
    for (const q of this.queues.values()) q.close();
  }
}
