/**
 * Prometheus metrics: per destination and per session process (memory and CPU from /proc),
 * connections and the session pool, the latency of store writes, and the hub process's own default
 * metrics. prom-client (a registry of the broker's own) keeps the broker-wide ones and the histogram;
 * the per-destination and per-session families are written by exposition.ts, a chunk per event-loop
 * turn. Values are read at scrape time, so nothing is counted on the routing path; only store latency
 * is observed as it happens (one histogram observation per store write).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DestinationView } from '../hub/operations.js';
import type { StoreOp } from '../hub/timed-store.js';
import { Family, labelText, writeFamilies } from './exposition.js';
import type { ProcSampler, ProcStats } from './proc-stats.js';
import type { BrokerSource, SessionEntry } from './source.js';

/** Buckets of store write latency, seconds: a synced lmdb commit takes from well under 1 ms to tens of ms. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** A session with its /proc reading, as the session families see it. */
interface SessionItem {
  entry: SessionEntry;
  stats: ProcStats | null | undefined;
}

/** The broker's metrics and how to render them. */
export class Metrics {
  readonly registry = new Registry();
  private readonly storeSeconds: Histogram<'op' | 'outcome'>;
  private readonly broker: ReturnType<typeof brokerMetrics>;

  constructor(private readonly source: BrokerSource, private readonly procs: ProcSampler) {
    this.storeSeconds = new Histogram({
      name: 'stomp_store_commit_seconds', help: 'Time a store write took to resolve (queued, grouped, committed and synced)',
      labelNames: ['op', 'outcome'], buckets: STORE_BUCKETS, registers: [this.registry],
    });
    this.broker = brokerMetrics(this.registry);
    collectDefaultMetrics({ register: this.registry, prefix: 'stomp_hub_' });
  }

  /** Records one store write (the router's storeTimer). */
  observeStore(op: StoreOp, seconds: number, ok: boolean): void {
    this.storeSeconds.observe({ op, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  /** The exposition text, with every value taken now. */
  async render(): Promise<string> {
    this.setBroker();
    const destinations = await writeFamilies(this.source.router.eachDestinationView(),
      (v) => labelText({ destination: v.name, kind: v.kind }), destinationFamilies());
    const entries = this.source.sessions();
    const stats = await this.procs.statsOf(entries.map((e) => e.process.pid).filter((pid) => pid > 0));
    const sessions = await writeFamilies(entries.map((entry) => ({ entry, stats: stats.get(entry.process.pid) })),
      ({ entry }) => labelText({ session: String(entry.process.id), pid: String(entry.process.pid) }), sessionFamilies());
    return (await this.registry.metrics()) + destinations + sessions;
  }

  /** The Content-Type of `render`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private setBroker(): void {
    const summary = this.source.summary();
    const counters = this.source.counters();
    const m = this.broker;
    m.connections.set(summary.connections);
    m.pending.set(summary.pendingConnections);
    m.processes.set({ state: 'idle' }, summary.idleSessions);
    m.processes.set({ state: 'busy' }, summary.connections);
    m.processes.set({ state: 'starting' }, Math.max(0, summary.sessionProcesses - summary.idleSessions - summary.connections));
    m.heldBytes.set(this.source.router.flow.heldBytes);
    for (const [key, counter] of [['connectionsAccepted', m.accepted], ['connectionsRefused', m.refused],
      ['sessionsStarted', m.started], ['sessionsExited', m.exited], ['clientsHandedOff', m.handoffs]] as const) {
      counter.reset();
      counter.inc(counters[key]);
    }
  }
}

/** The per-destination families (fresh for each scrape). */
function destinationFamilies(): Array<Family<DestinationView>> {
  return [
    new Family('stomp_destination_depth', 'gauge', 'Messages ready or delayed (not in flight)', (v) => v.depth),
    new Family('stomp_destination_bytes', 'gauge', 'Bytes the queue holds in the hub\'s memory', (v) => v.bytes),
    new Family('stomp_destination_consumers', 'gauge', 'Subscriptions consuming from the destination', (v) => v.consumers),
    new Family('stomp_destination_in_flight', 'gauge', 'Messages offered or handed to a consumer and not yet settled', (v) => v.inFlight),
    new Family('stomp_destination_enqueued_total', 'counter', 'Messages that entered the queue', (v) => v.enqueued),
    new Family('stomp_destination_delivered_total', 'counter', 'Messages handed to a consumer, redeliveries included', (v) => v.delivered),
    new Family('stomp_destination_acked_total', 'counter', 'Messages consumed (acknowledged, or handed to an auto-ack consumer)', (v) => v.acked),
    new Family('stomp_destination_dead_lettered_total', 'counter', 'Messages moved to the dead-letter queue', (v) => v.deadLettered),
    new Family('stomp_destination_expired_total', 'counter', 'Messages that expired before delivery', (v) => v.expired),
  ];
}

/** The per-session families (fresh for each scrape); memory and CPU only where /proc answered. */
function sessionFamilies(): Array<Family<SessionItem>> {
  const subs = ({ entry }: SessionItem) => (entry.client ? [...entry.client.subs.values()] : []);
  return [
    new Family<SessionItem>('stomp_session_resident_memory_bytes', 'gauge', 'Resident set size of the session process (smaps_rollup Rss)',
      (s) => s.stats?.rssBytes ?? null),
    new Family<SessionItem>('stomp_session_proportional_memory_bytes', 'gauge', 'Proportional set size of the session process (smaps_rollup Pss)',
      (s) => s.stats?.pssBytes ?? null),
    new Family<SessionItem>('stomp_session_cpu_seconds_total', 'counter', 'User and system CPU time of the session process',
      (s) => s.stats?.cpuSeconds ?? null),
    new Family<SessionItem>('stomp_session_subscriptions', 'gauge', 'Subscriptions of the session\'s client', (s) => subs(s).length),
    new Family<SessionItem>('stomp_session_in_flight', 'gauge', 'Messages offered or handed to the session\'s client and not yet settled',
      (s) => subs(s).reduce((n, sub) => n + sub.unacked.size + sub.pendingOffers.size, 0)),
    new Family<SessionItem>('stomp_session_clients_total', 'counter', 'Clients the session process has served', (s) => s.entry.process.clients),
  ];
}

function brokerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'stomp_connections', help: 'Clients served now', registers }),
    pending: new Gauge({ name: 'stomp_pending_connections', help: 'Connections waiting for their first frame', registers }),
    processes: new Gauge({ name: 'stomp_session_processes', help: 'Session processes by state', labelNames: ['state'], registers }),
    heldBytes: new Gauge({ name: 'stomp_held_bytes', help: 'Bytes of messages all queues hold (against --max-memory)', registers }),
    accepted: new Counter({ name: 'stomp_connections_accepted_total', help: 'TCP connections accepted (refused ones included)', registers }),
    refused: new Counter({ name: 'stomp_connections_refused_total', help: 'Connections refused for a connection limit', registers }),
    started: new Counter({ name: 'stomp_session_processes_started_total', help: 'Session processes forked', registers }),
    exited: new Counter({ name: 'stomp_session_processes_exited_total', help: 'Session processes that exited', registers }),
    handoffs: new Counter({ name: 'stomp_client_handoffs_total', help: 'Clients handed to a session process', registers }),
  };
}
