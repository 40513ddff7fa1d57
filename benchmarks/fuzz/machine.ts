/** Where a benchmark ran: the commit of the work tree and the machine, for result files. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The commit (with a `-dirty` mark when the tree has changes) and the machine's size. */
export interface RunEnvironment {
  commit: string;
  machine: { cores: number; memoryGiB: number; node: string; os: string; cpu: string; loadAverage: number[] };
}

/** Describes the commit checked out in `repoRoot` and this machine. */
export function runEnvironment(repoRoot: string): RunEnvironment {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (dirty) commit += '-dirty';
  } catch {
    // not a git checkout
  }
  return {
    commit,
    machine: {
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
  };
}
