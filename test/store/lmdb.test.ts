/** The lmdb store: the shared contract, plus what only a durable store can show (reopen, kill -9, bad disks). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { openStore } from '../../src/store/open.js';
import type { QueueStore, StoreOptions } from '../../src/store/store.js';
import { recoverAll, runStoreContract, sampleMessage, type StoreHarness } from './contract.js';

/** The compiled lmdb store next to this compiled test, whether built into dist/ or elsewhere. */
const LMDB_MODULE = new URL('../../src/store/lmdb.js', import.meta.url).href;
const NOBODY = 65534;
const CHILD_TIMEOUT_MS = 30_000;

async function makeLmdbHarness(): Promise<StoreHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'store-lmdb-'));
  const options: StoreOptions = { dataDir, kind: 'lmdb' };
  let store = await openStore(options);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore(options);
      return store;
    },
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

runStoreContract('lmdb', makeLmdbHarness);

interface ChildResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `script` as an ES module in a fresh node, argv = [LMDB_MODULE, ...args]; `wrap` prefixes the command. */
function runChild(script: string, args: string[], opts: { uid?: number; wrap?: string[] } = {}): Promise<ChildResult> {
  const command = [...(opts.wrap ?? []), process.execPath, '--input-type=module', '-e', script, LMDB_MODULE, ...args];
  const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid };
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...ids });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const guard = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS); // a hung child must not outlive the test
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(guard);
    resolve({ code, signal, stdout, stderr });
  }));
}

/** Last line of stdout parsed as JSON, with the child's stderr in the failure message if that is impossible. */
function lastJson(r: ChildResult): Record<string, unknown> {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    assert.fail(`child printed no result (code ${r.code}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

// Writes with 64 writers in flight and prints each id once its write() resolved, until killed.
const KILL_SCRIPT = `
const [moduleUrl, dataDir] = process.argv.slice(1);
const { LmdbStore } = await import(moduleUrl);
const store = await LmdbStore.open({ dataDir, kind: 'lmdb' });
let next = 0;
const message = (id) => ({ id, dest: '/queue/k', headers: { n: String(id) },
  body: Buffer.from('payload ' + id + '\\0' + 'x'.repeat(1000)), redeliveries: 0, priority: 4, deliverAt: 0, expiresAt: 0 });
async function writer() {
  for (;;) {
    const id = ++next;
    await store.write({ put: [message(id)] });
    process.stdout.write(id + '\\n');
  }
}
for (let i = 0; i < 64; i++) writer();
`;

// Tries to open the store and write one message; reports which step failed and how.
const OPEN_SCRIPT = `
const [moduleUrl, dataDir] = process.argv.slice(1);
const report = (outcome, error) => console.log(JSON.stringify({ outcome, message: error?.message }));
let LmdbStore, store;
try { ({ LmdbStore } = await import(moduleUrl)); } catch (e) { report('cannot load', e); process.exit(0); }
try { store = await LmdbStore.open({ dataDir, kind: 'lmdb' }); } catch (e) { report('open rejected', e); process.exit(0); }
const m = { id: 1, dest: '/queue/a', headers: {}, body: Buffer.from('x'), redeliveries: 0, priority: 4, deliverAt: 0, expiresAt: 0 };
try { await store.write({ put: [m] }); report('written'); } catch (e) { report('write rejected', e); }
`;

// Writes batches of two 64 KiB messages (each removing one of the previous batch) until three writes were
// refused, also calling markDelivered and putMeta while the disk is full; reports what should be stored.
const FULL_SCRIPT = `
const [moduleUrl, dataDir] = process.argv.slice(1);
const { LmdbStore } = await import(moduleUrl);
const store = await LmdbStore.open({ dataDir, kind: 'lmdb' });
const message = (id) => ({ id, dest: '/queue/full', headers: {}, body: Buffer.alloc(64 * 1024, id % 256),
  redeliveries: 0, priority: 4, deliverAt: 0, expiresAt: 0 });
const committed = new Set();
const errors = [];
let remove = [];
let failures = 0;
for (let id = 1; id < 2000 && failures < 3; id += 2) {
  try {
    await store.write({ put: [message(id), message(id + 1)], remove });
    remove.forEach((r) => committed.delete(r));
    committed.add(id).add(id + 1);
    remove = [id];
  } catch (e) {
    failures++;
    errors.push(e.message);
    remove = []; // never retried, so a remove applied by a failed batch would show
    store.markDelivered(id - 1, 0);
    await store.putMeta('big', Buffer.alloc(256 * 1024)).catch((m) => errors.push('meta: ' + m.message));
  }
}
console.log(JSON.stringify({ errors, committed: [...committed] }));
await store.close().catch(() => {});
`;

describe('lmdb: durable store', () => {
  it('recovers messages, marks, meta and maxId after close and reopen', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'store-lmdb-'));
    try {
      let store: QueueStore = await openStore({ dataDir, kind: 'lmdb' });
      await store.write({ put: Array.from({ length: 100 }, (_, i) => sampleMessage(i + 1)) });
      await store.write({ remove: [100, 50] });
      await store.markDelivered(10, 6);
      await store.putMeta('durable:c:s', { dest: '/topic/t' });
      await store.close();
      await stat(join(dataDir, 'store', 'data.mdb')); // the environment lives where the brief says
      store = await openStore({ dataDir, kind: 'lmdb' });
      const expected = Array.from({ length: 100 }, (_, i) => sampleMessage(i + 1)).filter((m) => m.id % 50 !== 0);
      expected[9]!.redeliveries = 7;
      assert.deepEqual(await recoverAll(store), expected);
      assert.equal(store.count(), 98);
      assert.equal(store.maxId(), 100);
      assert.deepEqual(store.getMeta('durable:c:s'), { dest: '/topic/t' });
      await store.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every write whose promise resolved when the process is killed with SIGKILL', { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'store-kill-'));
    try {
      const printed = await writeUntilKilled(dataDir, 5000);
      const store = await openStore({ dataDir, kind: 'lmdb' });
      const bodies = new Map((await recoverAll(store)).map((m) => [m.id, m.body.toString('latin1')]));
      await store.close();
      const lost = printed.filter((id) => bodies.get(id) !== `payload ${id}\0${'x'.repeat(1000)}`);
      assert.deepEqual(lost, [], `${lost.length} of ${printed.length} acknowledged writes lost or damaged`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('fails to open with a clear error when the data dir is under a regular file', async () => {
    const base = await mkdtemp(join(tmpdir(), 'store-bad-'));
    try {
      await writeFile(join(base, 'file'), 'not a directory');
      const dataDir = join(base, 'file', 'data');
      const prefix = `store: cannot open lmdb store at ${join(dataDir, 'store')}: `;
      await assert.rejects(openStore({ dataDir, kind: 'lmdb' }),
        (err: Error) => err.message.startsWith(prefix) && /ENOTDIR|not a directory/i.test(err.message));
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('refuses a read-only data dir with a clear error instead of crashing', { timeout: 60_000 }, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'store-ro-'));
    try {
      await chmod(dataDir, 0o555);
      // root ignores file modes, so as root the attempt runs as "nobody", for whom the dir is read-only too.
      const r = await runChild(OPEN_SCRIPT, [dataDir], process.getuid?.() === 0 ? { uid: NOBODY } : {});
      const result = lastJson(r);
      if (result.outcome === 'cannot load') return t.skip(`"nobody" cannot load the store module: ${String(result.message)}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(String(result.outcome), /^(open|write) rejected$/);
      assert.match(String(result.message), /^store: .*(cannot open lmdb store at|failed).*(EACCES|permission denied)/i);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  const posixOnly = { timeout: 60_000, skip: process.platform === 'win32' };
  it('rejects writes while the disk is full, leaving no part of those batches and not crashing', posixOnly, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'store-full-'));
    try {
      // A file size limit stands in for a full disk: writes past it fail (SIGXFSZ ignored, so they get an error).
      const wrap = ['/bin/sh', '-c', 'ulimit -f 2048 && trap "" XFSZ && exec "$@"', 'sh'];
      const r = await runChild(FULL_SCRIPT, [dataDir], { wrap });
      const result = lastJson(r) as { errors: string[]; committed: number[] };
      assert.equal(r.code, 0, r.stderr);
      assert.equal(result.errors.filter((e) => !e.startsWith('meta: ')).length, 3, 'the disk filled up');
      for (const e of result.errors) assert.match(e, /^(meta: )?store: (write|putMeta) to .* failed: \S/);
      const store = await openStore({ dataDir, kind: 'lmdb' });
      const recovered = (await recoverAll(store)).map((m) => m.id);
      await store.close();
      assert.ok(result.committed.length > 2, 'some writes succeeded before the disk filled');
      // Failed puts used fresh ids and failed removes were never retried: any partial effect shows here.
      assert.deepEqual(recovered, [...result.committed].sort((a, b) => a - b));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** Starts KILL_SCRIPT, SIGKILLs it once `atLeast` ids are printed, and returns every completely printed id. */
async function writeUntilKilled(dataDir: string, atLeast: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', KILL_SCRIPT, LMDB_MODULE, dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let lineCount = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => {
    const chunk = d.toString();
    out += chunk;
    lineCount += chunk.split('\n').length - 1;
    if (lineCount >= atLeast) child.kill('SIGKILL');
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS); // too slow: the count check below fails
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  clearTimeout(guard);
  assert.equal(signal, 'SIGKILL', `writer ended on its own before the kill:\n${stderr}`);
  const lines = out.split('\n');
  lines.pop(); // a line without its newline may be cut short
  const printed = lines.map(Number);
  assert.ok(printed.length >= atLeast, `only ${printed.length} writes acknowledged`);
  return printed;
}

describe('lmdb store: transient messages and the order index', () => {
  // A non-persistent message kept on disk only for a paged-out queue does not survive a restart.
  it('drops transient messages when reopened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stomp-lmdb-transient-'));
    try {
      let store = await openStore({ kind: 'lmdb', dataDir: dir });
      await store.write({ put: [{ ...sampleMessage(1), transient: true }, sampleMessage(2)] });
      assert.equal(store.count(), 2);
      await store.close();
      store = await openStore({ kind: 'lmdb', dataDir: dir });
      assert.deepEqual((await recoverAll(store)).map((m) => m.id), [2]);
      assert.deepEqual([...store.shares()].map((s) => s.count), [1]);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Open finds transients through their index (reading no other message); a store written before the
  // index existed is scanned once, and a transient removed before the restart leaves nothing behind.
  it('finds transients through their index, or by one scan of a store written without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stomp-lmdb-transient-'));
    try {
      let store = await openStore({ kind: 'lmdb', dataDir: dir });
      await store.write({ put: [{ ...sampleMessage(1), transient: true }, sampleMessage(2), { ...sampleMessage(3), transient: true }] });
      await store.write({ remove: [3] });
      await store.close();
      // As a store of the version before the index: no index entries, no marker.
      const root = openLmdb({ path: join(dir, 'store') });
      const transients = root.openDB<boolean, number>({ name: 'transient' });
      assert.deepEqual([...transients.getKeys()], [1]);
      await root.batch(() => {
        transients.remove(1);
        root.openDB<number, string>({ name: 'state' }).remove('transientIndex');
      });
      await root.close();
      store = await openStore({ kind: 'lmdb', dataDir: dir });
      assert.deepEqual((await recoverAll(store)).map((m) => m.id), [2]);
      await store.write({ put: [{ ...sampleMessage(4), transient: true }] });
      await store.close();
      store = await openStore({ kind: 'lmdb', dataDir: dir });
      assert.deepEqual((await recoverAll(store)).map((m) => m.id), [2]);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
