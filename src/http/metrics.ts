/**
 * Prometheus metrics (prom-client, a registry of the broker's own): per destination and per session
 * process (memory and CPU from /proc), connections and the session pool, the latency of store writes,
 * and the hub process's own default metrics. Destination and session values are set from a snapshot
 * taken at scrape time, so nothing is counted twice on the routing path; only store latency is
 * observed as it happens (one histogram observation per store write).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreOp } from '../hub/timed-store.js';
import type { ProcSampler } from './proc-stats.js';
import type { BrokerSource, SessionEntry } from './source.js';

type DestinationLabel = 'destination' | 'kind';
type SessionLabel = 'session' | 'pid';

/** Buckets of store write latency, seconds: a synced lmdb commit takes from well under 1 ms to tens of ms. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The broker's metrics and how to render them. */
export class Metrics {
  readonly registry = new Registry();
  private readonly storeSeconds: Histogram<'op' | 'outcome'>;
  private readonly dest: ReturnType<typeof destinationMetrics>;
  private readonly sess: ReturnType<typeof sessionMetrics>;
  private readonly broker: ReturnType<typeof brokerMetrics>;

  constructor(private readonly source: BrokerSource, private readonly procs: ProcSampler) {
    const registers = [this.registry];
    this.storeSeconds = new Histogram({
      name: 'stomp_store_commit_seconds', help: 'Time a store write took to resolve (queued, grouped, committed and synced)',
      labelNames: ['op', 'outcome'], buckets: STORE_BUCKETS, registers,
    });
    this.dest = destinationMetrics(this.registry);
    this.sess = sessionMetrics(this.registry);
    this.broker = brokerMetrics(this.registry);
    collectDefaultMetrics({ register: this.registry, prefix: 'stomp_hub_' });
  }

  /** Records one store write (the router's storeTimer). */
  observeStore(op: StoreOp, seconds: number, ok: boolean): void {
    this.storeSeconds.observe({ op, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  /** The exposition text, with every value taken now. */
  async render(): Promise<string> {
    this.setDestinations();
    this.setBroker();
    await this.setSessions(this.source.sessions());
    return this.registry.metrics();
  }

  /** The Content-Type of `render`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private setDestinations(): void {
    const m = this.dest;
    for (const metric of Object.values(m)) metric.reset();
    for (const v of this.source.router.destinationViews()) {
      const labels = { destination: v.name, kind: v.kind };
      m.depth.set(labels, v.depth);
      m.bytes.set(labels, v.bytes);
      m.consumers.set(labels, v.consumers);
      m.inFlight.set(labels, v.inFlight);
      m.enqueued.inc(labels, v.enqueued);
      m.delivered.inc(labels, v.delivered);
      m.acked.inc(labels, v.acked);
      m.deadLettered.inc(labels, v.deadLettered);
      m.expired.inc(labels, v.expired);
    }
  }

  private async setSessions(entries: SessionEntry[]): Promise<void> {
    const stats = await this.procs.statsOf(entries.map((e) => e.process.pid).filter((pid) => pid > 0));
    const m = this.sess;
    for (const metric of Object.values(m)) metric.reset();
    for (const e of entries) {
      const labels = { session: String(e.process.id), pid: String(e.process.pid) };
      const subs = e.client ? [...e.client.subs.values()] : [];
      m.subscriptions.set(labels, subs.length);
      m.inFlight.set(labels, subs.reduce((n, s) => n + s.unacked.size + s.pendingOffers.size, 0));
      m.clients.inc(labels, e.process.clients);
      const s = stats.get(e.process.pid);
      if (!s) continue;
      m.rss.set(labels, s.rssBytes);
      m.pss.set(labels, s.pssBytes);
      m.cpu.inc(labels, s.cpuSeconds);
    }
  }

  private setBroker(): void {
    const summary = this.source.summary();
    const counters = this.source.counters();
    const m = this.broker;
    m.connections.set(summary.connections);
    m.pending.set(summary.pendingConnections);
    m.processes.reset();
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

function destinationMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames: DestinationLabel[] = ['destination', 'kind'];
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames, registers });
  return {
    depth: gauge('stomp_destination_depth', 'Messages ready or delayed (not in flight)'),
    bytes: gauge('stomp_destination_bytes', 'Bytes the queue holds in the hub\'s memory'),
    consumers: gauge('stomp_destination_consumers', 'Subscriptions consuming from the destination'),
    inFlight: gauge('stomp_destination_in_flight', 'Messages offered or handed to a consumer and not yet settled'),
    enqueued: counter('stomp_destination_enqueued_total', 'Messages that entered the queue'),
    delivered: counter('stomp_destination_delivered_total', 'Messages handed to a consumer, redeliveries included'),
    acked: counter('stomp_destination_acked_total', 'Messages consumed (acknowledged, or handed to an auto-ack consumer)'),
    deadLettered: counter('stomp_destination_dead_lettered_total', 'Messages moved to the dead-letter queue'),
    expired: counter('stomp_destination_expired_total', 'Messages that expired before delivery'),
  };
}

function sessionMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames: SessionLabel[] = ['session', 'pid'];
  return {
    rss: new Gauge({ name: 'stomp_session_resident_memory_bytes', help: 'Resident set size of the session process (smaps_rollup Rss)', labelNames, registers }),
    pss: new Gauge({ name: 'stomp_session_proportional_memory_bytes', help: 'Proportional set size of the session process (smaps_rollup Pss)', labelNames, registers }),
    cpu: new Counter({ name: 'stomp_session_cpu_seconds_total', help: 'User and system CPU time of the session process', labelNames, registers }),
    subscriptions: new Gauge({ name: 'stomp_session_subscriptions', help: 'Subscriptions of the session\'s client', labelNames, registers }),
    inFlight: new Gauge({ name: 'stomp_session_in_flight', help: 'Messages offered or handed to the session\'s client and not yet settled', labelNames, registers }),
    clients: new Counter({ name: 'stomp_session_clients_total', help: 'Clients the session process has served', labelNames, registers }),
  };
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
