/**
 * Memory and CPU of session processes, read from Linux's /proc: RSS and PSS from
 * /proc/<pid>/smaps_rollup (PSS shares the pages sessions have in common fairly among them, so it
 * adds up across sessions), user plus system CPU time from /proc/<pid>/stat. The files are read
 * asynchronously (libuv's thread pool), a few at a time, and each reading is kept for a second, so
 * neither a large broker nor frequent scrapes stall the hub's event loop.
 */
import fs from 'node:fs/promises';
import { ConcurrencyLimit } from './concurrency.js';

/** One process's resource use. */
export interface ProcStats {
  rssBytes: number;
  /** Proportional set size: private pages plus its share of shared ones. */
  pssBytes: number;
  /** CPU time used so far, user plus system. */
  cpuSeconds: number;
  /** CPU used since the previous reading of this process, in percent of one core; null on the first. */
  cpuPercent: number | null;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux architecture Node runs on). */
const CLOCK_TICKS = 100;
/** A reading younger than this is served again rather than read anew, ms. */
const FRESH_MS = 1000;
/** Readings of processes not asked about for this long are forgotten, ms. */
const FORGET_MS = 60_000;
/** Files read at once (the thread pool has four threads and the store and logins use it too). */
const CONCURRENCY = 2;

interface Reading {
  at: number;
  stats: ProcStats;
}

/** Parses smaps_rollup's `Rss:` and `Pss:` lines (kB). */
export function parseSmapsRollup(text: string): { rssBytes: number; pssBytes: number } | null {
  const rss = /^Rss:\s+(\d+) kB/m.exec(text);
  const pss = /^Pss:\s+(\d+) kB/m.exec(text);
  if (!rss || !pss) return null;
  return { rssBytes: Number(rss[1]) * 1024, pssBytes: Number(pss[1]) * 1024 };
}

/** Parses utime + stime (fields 14 and 15) of /proc/<pid>/stat, in seconds. */
export function parseStatCpu(text: string): number | null {
  // The command name (field 2) is in parentheses and may hold spaces and ')': fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : null;
}

/** Reads and caches process statistics. */
export class ProcSampler {
  private readonly readings = new Map<number, Reading>();
  private readonly limit = new ConcurrencyLimit(CONCURRENCY);

  constructor(private readonly procRoot = '/proc') {}

  /** Statistics of each pid (null: the process is gone or /proc is not there). */
  async statsOf(pids: readonly number[]): Promise<Map<number, ProcStats | null>> {
    this.forgetOld();
    const out = new Map<number, ProcStats | null>();
    await Promise.all(pids.map(async (pid) => out.set(pid, await this.statsOfOne(pid))));
    return out;
  }

  private async statsOfOne(pid: number): Promise<ProcStats | null> {
    const now = Date.now();
    const last = this.readings.get(pid);
    if (last && now - last.at < FRESH_MS) return last.stats;
    const read = await this.limit.run(() => this.read(pid));
    if (!read) {
      this.readings.delete(pid);
      return null;
    }
    const at = Date.now();
    const cpuPercent = last ? Math.max(0, ((read.cpuSeconds - last.stats.cpuSeconds) * 100_000) / (at - last.at)) : null;
    const stats = { ...read, cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10 };
    this.readings.set(pid, { at, stats });
    return stats;
  }

  private async read(pid: number): Promise<Omit<ProcStats, 'cpuPercent'> | null> {
    try {
      const [smaps, stat] = await Promise.all([
        fs.readFile(`${this.procRoot}/${pid}/smaps_rollup`, 'latin1'),
        fs.readFile(`${this.procRoot}/${pid}/stat`, 'latin1'),
      ]);
      const memory = parseSmapsRollup(smaps);
      const cpuSeconds = parseStatCpu(stat);
      return memory && cpuSeconds !== null ? { ...memory, cpuSeconds } : null;
    } catch {
      return null; // exited meanwhile, or no /proc
    }
  }

  private forgetOld(): void {
    const before = Date.now() - FORGET_MS;
    for (const [pid, r] of this.readings) if (r.at < before) this.readings.delete(pid);
  }
}
