/**
 * The result file of `npm run bench:connections` (connections.ts) and its Markdown tables.
 */
import type { MachineInfo } from './machine.js';
import type { SteadyReport } from './steady-load.js';

/** Everything measured about one target's connections. */
export interface TargetConnections {
  target: string;
  address: string;
  managed: boolean;
  error?: string;
  /** The broker idle: PSS of all its processes; ours: the hub, and the median idle session. */
  idle?: { totalPssMiB: number; processes: number; mainPssMiB: number; idleSessionPssMiB?: number };
  sequential?: { n: number; failed: number; seconds: number; perSec: number; p50Ms?: number; p99Ms?: number; maxMs?: number };
  atOnce?: {
    n: number; connected: number; refusedOrTimedOut: number; reasons: Record<string, number>; allWithin10s: boolean;
    lastConnectedMs: number; pssConnectedMiB: number;
  };
  /** Ours only: a burst past the idle session pool against the node start floor. */
  burst?: {
    idleSessions: number; connections: number; connected: number; seconds: number; sessionStartsPerSec: number;
    nodeFloorOneAtATimePerSec: number; nodeFloorParallelPerSec: number; ofParallelFloor: number;
  };
  churn?: { cycles: number; seconds: number; failed: number; errors: string[]; steady: SteadyReport };
}

/** The whole result file. */
export interface ConnectionsFile {
  kind: 'connections';
  date: string;
  commit: string;
  dirty: boolean;
  command: string;
  machine: MachineInfo;
  options: { sequential: number; atOnce: number; churn: number; burst: number; loadDurationS: number };
  results: TargetConnections[];
}

function n(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
}

function perConnection(r: TargetConnections): string {
  if (!r.idle || !r.atOnce || r.atOnce.connected === 0) return '–';
  return n((r.atOnce.pssConnectedMiB - r.idle.totalPssMiB) / r.atOnce.connected, 2);
}

function mainRow(r: TargetConnections): string {
  if (r.error) return `| ${r.target} | failed: ${r.error} |||||||`;
  const s = r.sequential;
  const a = r.atOnce;
  const refused = a && a.refusedOrTimedOut
    ? ` (${Object.entries(a.reasons).map(([k, v]) => `${v}× ${k}`).join('; ')})` : '';
  const idle = r.idle ? `${n(r.idle.totalPssMiB)} (${r.idle.processes} process${r.idle.processes === 1 ? '' : 'es'}`
    + `${r.idle.idleSessionPssMiB !== undefined ? `; hub ${n(r.idle.mainPssMiB)}, idle session ${n(r.idle.idleSessionPssMiB)}` : ''})` : '–';
  return `| ${r.target} | ${n(s?.perSec)} (p50 ${n(s?.p50Ms, 2)} / p99 ${n(s?.p99Ms, 2)} ms) `
    + `| ${a ? `${a.allWithin10s ? 'yes' : '**no**'}, ${a.connected}/${a.n} in ${n(a.lastConnectedMs, 0)} ms` : '–'} `
    + `| ${a?.refusedOrTimedOut ?? '–'}${refused} | ${idle} | ${n(a?.pssConnectedMiB)} | ${perConnection(r)} |`;
}

function churnRow(r: TargetConnections): string | null {
  const c = r.churn;
  if (!c) return null;
  const s = c.steady;
  return `| ${r.target} | ${c.cycles} in ${n(c.seconds, 2)} s (${n(c.cycles / c.seconds)}/s), ${c.failed} failed `
    + `| ${n(s.p50Ms, 2)} / ${n(s.p99Ms, 2)} | ${s.lost} / ${s.duplicates} `
    + `| ${s.probes.tried - s.probes.failed}/${s.probes.tried} (slowest ${n(s.probes.worstMs, 0)} ms) |`;
}

function burstLines(file: ConnectionsFile): string[] {
  return file.results.filter((r) => r.burst).flatMap((r) => {
    const b = r.burst!;
    return [`${r.target}: a burst of ${b.connections} connections at once with ${b.idleSessions} idle sessions `
      + `(${b.connections - b.idleSessions} past the pool): ${b.connected} CONNECTED after ${n(b.seconds, 2)} s, `
      + `**${n(b.sessionStartsPerSec)} session starts/s**. Floor on this machine in the same run: `
      + `\`node -e 0\` one at a time ${n(b.nodeFloorOneAtATimePerSec)}/s, ${b.connections - b.idleSessions} at a time `
      + `${n(b.nodeFloorParallelPerSec)}/s — the burst reached ${n(b.ofParallelFloor * 100, 0)} % of that floor.`, ''];
  });
}

/** The Markdown report of a connections result file. */
export function connectionsMarkdown(file: ConnectionsFile): string {
  const m = file.machine;
  const o = file.options;
  const churn = file.results.map(churnRow).filter((x): x is string => x !== null);
  return [
    `# Connections ${file.date}, commit ${file.commit}${file.dirty ? ' (with uncommitted changes)' : ''}`, '',
    `\`${file.command}\``, '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. `
      + `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '',
    `| target | ${o.sequential} one after another: conn/s | ${o.atOnce} at once: all CONNECTED within 10 s? | refused or timed out `
      + '| PSS MiB idle | PSS MiB, all connected | MiB per connection |',
    '|---|---:|---|---|---|---:|---:|',
    ...file.results.map(mainRow), '',
    ...burstLines(file),
    ...(churn.length ? [`${o.churn} connect/abort cycles (16 at a time) while the well-behaved load runs `
      + `(4 → 4 queues, 2,000 msgs/s, ${o.loadDurationS} s; a probe connects every 500 ms, CONNECTED wanted within 1 s):`, '',
    '| target | cycles | well-behaved p50 / p99 ms | lost / duplicated | probes served |', '|---|---|---:|---:|---|',
    ...churn, ''] : []),
  ].join('\n');
}
