/**
 * What the benchmarks read from Linux's /proc: a broker's processes (the one listening on a port and
 * its descendants), their memory (RSS, PSS, USS) and CPU time, and the machine's idle CPU.
 */
import fs from 'node:fs';

/** Direct children of a process (every thread's `children` list), [] once it is gone. */
export function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process went away
  }
  return pids;
}

/** A process and all its descendants, the process first. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]));
  return out;
}

/** Memory of one process, KiB. */
export interface Memory {
  rssKb: number;
  /** Proportional set size: shared pages divided among the processes sharing them. */
  pssKb: number;
  /** Unique set size: Private_Clean + Private_Dirty. */
  ussKb: number;
}

/** RSS (/proc/<pid>/status) and PSS/USS (/proc/<pid>/smaps_rollup); null once the process is gone. */
export function memoryOf(pid: number): Memory | null {
  try {
    const statusText = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(statusText)?.[1] ?? NaN);
    let pssKb = NaN;
    let ussKb = NaN;
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? NaN);
      pssKb = field('Pss');
      ussKb = field('Private_Clean') + field('Private_Dirty');
    } catch {
      // smaps_rollup needs Linux 4.14+ and permission
    }
    return { rssKb, pssKb, ussKb };
  } catch {
    return null;
  }
}

/** PSS summed over a process and its descendants, KiB, and how many processes that was. */
export function treePss(pid: number): { pssKb: number; processes: number } {
  let pssKb = 0;
  let processes = 0;
  for (const p of processTree(pid)) {
    const m = memoryOf(p);
    if (m && Number.isFinite(m.pssKb)) {
      pssKb += m.pssKb;
      processes++;
    }
  }
  return { pssKb, processes };
}

/** CPU time (user+system, ms) used so far by one process, 0 if it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime; USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** Socket inodes listening on `port` (IPv4 and IPv6 tables; state 0A = LISTEN). */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && f[1].endsWith(`:${hexPort}`)) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The process holding a socket listening on `port`, or null (not found, or not ours to see). */
export function listenerPid(port: number): number | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(entry);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return null;
}

/** The machine's jiffies: idle (idle + iowait) and total, from the first line of /proc/stat. */
function cpuJiffies(): { idle: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + (f[4] ?? 0), total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Idle CPU of the whole machine over the next `ms`, % of all cores. */
export async function idleCpuPct(ms = 1000): Promise<number> {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  const total = b.total - a.total;
  return total > 0 ? Math.round(((b.idle - a.idle) / total) * 1000) / 10 : NaN;
}

/** PSS of one process from smaps_rollup, KiB, read without blocking the event loop; NaN if gone. */
async function pssAsync(pid: number): Promise<number> {
  try {
    const rollup = await fs.promises.readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** treePss without blocking the event loop for long (one file read at a time, asynchronously). */
export async function treePssAsync(pid: number): Promise<{ pssKb: number; processes: number }> {
  let pssKb = 0;
  let processes = 0;
  for (const p of processTree(pid)) {
    const kb = await pssAsync(p);
    if (Number.isFinite(kb)) {
      pssKb += kb;
      processes++;
    }
  }
  return { pssKb, processes };
}
