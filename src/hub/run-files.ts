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

/** The lock (a proper-lockfile directory) inside the data directory, and the file naming its owner. */
const LOCK_NAME = 'broker.lock';
const OWNER_FILE = 'owner';
/** A lock whose owner never wrote its pid is someone's, until proper-lockfile's timestamp goes stale. */
const STALE_MS = 10_000;

/** Where the lock of `dataDir` lives. */
export function lockPath(dataDir: string): string {
  return path.join(dataDir, LOCK_NAME);
}

/**
 * Locks `dataDir` for this process: the lock is taken, then its owner's pid is written into it at once,
 * before anything else, so a broker that is still starting owns it as much as a running one. A lock
 * whose recorded owner no longer runs (kill -9) is taken over at once; a lock without an owner yet is
 * left alone until its timestamp goes stale. Throws DataDirLockedError ("already running") otherwise.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockfilePath = lockPath(dataDir);
  const options = { lockfilePath, stale: STALE_MS, update: 2_000, retries: 0, realpath: false, onCompromised: () => {} };
  try {
    return await ownLock(await lockfile.lock(dataDir, options), lockfilePath);
  } catch (err) {
    // ENOTEMPTY: proper-lockfile found the lock stale (its owner died over STALE_MS ago) and could
    // not remove it, since our owner file lies inside. Who holds it is decided below either way.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOCKED' && code !== 'ENOTEMPTY') throw err;
  }
  const owner = readOwner(lockfilePath);
  const running = owner === null ? !isStale(lockfilePath) : owner !== process.pid && await stillAlive(owner, 3000);
  // Re-read just before taking over: another starter may have replaced the dead owner's lock meanwhile.
  if (running || readOwner(lockfilePath) !== owner) {
    throw new DataDirLockedError(`stomp-broker is already running on data directory ${path.resolve(dataDir)}`
      + (owner ? ` (pid ${owner})` : ' (starting)'));
  }
  fs.rmSync(lockfilePath, { recursive: true, force: true });
  try {
    return await ownLock(await lockfile.lock(dataDir, options), lockfilePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    throw new DataDirLockedError(`stomp-broker is already running on data directory ${path.resolve(dataDir)} (starting)`);
  }
}

/** Records this process as the lock's owner; the release removes that record, then the lock. */
async function ownLock(release: () => Promise<void>, lockfilePath: string): Promise<() => Promise<void>> {
  const owner = path.join(lockfilePath, OWNER_FILE);
  fs.writeFileSync(owner, `${process.pid}\n`);
  return async () => {
    fs.rmSync(owner, { force: true });
    // proper-lockfile's own exit hook may have run first (and failed on the owner file): the lock
    // directory is ours either way.
    await release().catch(() => {});
    fs.rmSync(lockfilePath, { recursive: true, force: true });
  };
}

function readOwner(lockfilePath: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(lockfilePath, OWNER_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isStale(lockfilePath: string): boolean {
  try {
    return Date.now() - fs.statSync(lockfilePath).mtimeMs > STALE_MS;
  } catch {
    return true;
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
