/**
 * Files that tie a running broker to its data directory: the proper-lockfile lock (one broker per
 * data directory), `broker.json` (how the CLI reaches the broker) and the pid file.
 */
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** What `stomp-broker status`/`stop` read to find a running broker. */
export interface BrokerInfo {
  pid: number;
  host: string;
  port: number;
  busPath: string;
  startedAt: number;
}

const INFO_FILE = 'broker.json';

/** Default pid file of a data directory. */
export function defaultPidfile(dataDir: string): string {
  return path.join(dataDir, 'stomp-broker.pid');
}

/** Thrown when another live broker holds the data directory. */
export class DataDirLockedError extends Error {}

/**
 * Locks `dataDir` for this process. A lock left by a broker that no longer runs (kill -9) is taken
 * over at once instead of waiting for proper-lockfile's staleness timeout.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  fs.mkdirSync(dataDir, { recursive: true });
  const options = { stale: 10_000, update: 2_000, retries: 0, realpath: false, onCompromised: () => {} };
  try {
    return await lockfile.lock(dataDir, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const owner = readBrokerInfo(dataDir);
    if (owner && owner.pid !== process.pid && await stillAlive(owner.pid, 3000)) {
      throw new DataDirLockedError(
        `data directory ${path.resolve(dataDir)} is in use by another broker (pid ${owner.pid})`);
    }
    if (!owner && lockfile.checkSync(dataDir, { stale: 10_000, realpath: false })) {
      throw new DataDirLockedError(`data directory ${path.resolve(dataDir)} is locked by another broker`);
    }
    fs.rmSync(`${dataDir}.lock`, { recursive: true, force: true });
    return await lockfile.lock(dataDir, options);
  }
}

/** Reads `broker.json` of a data directory, or null when there is none. */
export function readBrokerInfo(dataDir: string): BrokerInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, INFO_FILE), 'utf8')) as BrokerInfo;
  } catch {
    return null;
  }
}

export function writeBrokerInfo(dataDir: string, info: BrokerInfo): void {
  writeAtomically(path.join(dataDir, INFO_FILE), JSON.stringify(info) + '\n');
}

export function removeBrokerInfo(dataDir: string): void {
  fs.rmSync(path.join(dataDir, INFO_FILE), { force: true });
}

/** Prefix of a broker's run directory (its bus socket) under the system temp dir. */
export const RUN_DIR_PREFIX = 'stomp-broker-';

/** Removes the run directory a killed broker left behind (its bus socket), once the lock is ours. */
export function removeStaleRunDir(dataDir: string): void {
  const stale = readBrokerInfo(dataDir);
  if (!stale || stale.pid === process.pid) return;
  const dir = path.dirname(stale.busPath);
  if (path.basename(dir).startsWith(RUN_DIR_PREFIX)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes the pid file; refuses when it names a live process other than this one. */
export function writePidfile(file: string): void {
  const other = readPidfile(file);
  if (other && other !== process.pid && isAlive(other)) {
    throw new DataDirLockedError(`pid file ${file} names a running process (pid ${other})`);
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeAtomically(file, `${process.pid}\n`);
}

export function readPidfile(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function removePidfile(file: string): void {
  if (readPidfile(file) === process.pid) fs.rmSync(file, { force: true });
}

/** Whether `pid` is still there after up to `waitMs` (a just-killed broker takes a moment to go). */
async function stillAlive(pid: number, waitMs: number): Promise<boolean> {
  for (let waited = 0; waited < waitMs; waited += 100) {
    if (!isAlive(pid)) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return isAlive(pid);
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
