/**
 * What a result file says about where and when it was measured: the machine, the software versions,
 * the commit, and how busy the machine was just before a run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idleCpuPct } from './proc.js';

/** Repository root (this file runs as dist/benchmarks/machine.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where result files go. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'benchmarks', 'results');
/** The broker control script. */
export const BROKERS_SH = path.join(REPO_ROOT, 'benchmarks', 'brokers.sh');

/** The machine and software a result was measured on. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  /** Versions of ours (package version + commit), RabbitMQ, ActiveMQ, Java, Erlang (Debian packages). */
  versions: Record<string, string>;
}

/** The commit of this checkout: short hash, and whether the work tree has uncommitted changes. */
export function commitOf(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no'],
      { encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1];
    return `${pretty ?? os.type()} (Linux ${os.release()})`;
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

/** Versions as `brokers.sh versions` reports them (empty when a broker is not installed). */
function versions(): Record<string, string> {
  try {
    return JSON.parse(execFileSync('bash', [BROKERS_SH, 'versions'], { encoding: 'utf8' })) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  return {
    cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10, node: process.version, os: osName(),
    versions: versions(),
  };
}

/** How busy the machine is: 1-minute load average now, and idle CPU % over the next second. */
export async function busyness(): Promise<{ loadAvg1: number; idleCpuPct: number }> {
  const idle = await idleCpuPct(1000);
  return { loadAvg1: Math.round(os.loadavg()[0] * 100) / 100, idleCpuPct: idle };
}

/** Today as yyyy-mm-dd (local time). */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Writes a result file set, `dir/<base>.<ext>` for each entry of `files` (extension → contents), under
 * a fresh base (see freshBase); returns the base path used.
 */
export function writeResults(dir: string, base: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  const fresh = freshBase(dir, base, Object.keys(files));
  for (const [ext, text] of Object.entries(files)) fs.writeFileSync(`${fresh}.${ext}`, text);
  return fresh;
}

/** `dir/<base>.<ext>` for every ext, with `-2`, `-3` … appended to base until none of them exists. */
export function freshBase(dir: string, base: string, exts: string[]): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (exts.every((ext) => !fs.existsSync(path.join(dir, `${name}.${ext}`)))) return path.join(dir, name);
  }
}
