/** The command line: status, stop, the data-directory lock, SIGTERM shutdown, --daemonize. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BROKER_BIN, connectStomp, encodeFrame, eventually, freshDir, isAlive, REPO_ROOT, sendConfirmed, startBroker, subscribe,
  uniqueDest, useBroker,
} from '../helpers/broker.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/stomp-broker ...args` to completion (60 s guard). */
function cli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BROKER_BIN, ...args], { cwd: REPO_ROOT, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
  });
}

describe('cli', () => {
  const ctx = useBroker();

  // `status` prints uptime, connections and each destination with its numbers.
  test('status prints uptime, connections and a destination after a SEND', async () => {
    const dest = uniqueDest('queue', 'status');
    const c = await connectStomp(ctx.broker.port);
    await sendConfirmed(c, dest, 'counted');
    const r = await cli(['status', '--data-dir', ctx.broker.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /uptime/i);
    assert.match(r.stdout, /connections/i);
    assert.ok(r.stdout.includes(dest), `status lists ${dest}:\n${r.stdout}`);
    c.close();
  });

  // `status --json` prints a JSON snapshot: pid, port, connections, destinations with depth.
  test('status --json parses and describes the broker', async () => {
    const dest = uniqueDest('queue', 'json');
    const c = await connectStomp(ctx.broker.port);
    await sendConfirmed(c, dest, 'one');
    await sendConfirmed(c, dest, 'two');
    const r = await cli(['status', '--data-dir', ctx.broker.dataDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as {
      pid: number; port: number; uptimeMs: number; connections: number;
      destinations: { name: string; kind: string; depth: number }[];
    };
    assert.equal(status.pid, ctx.broker.pid);
    assert.equal(status.port, ctx.broker.port);
    assert.equal(typeof status.uptimeMs, 'number');
    assert.ok(status.connections >= 1, `connections ${status.connections}`);
    const row = status.destinations.find((d) => d.name === dest);
    assert.ok(row, `${dest} listed`);
    assert.equal(row.kind, 'queue');
    assert.equal(row.depth, 2);
    c.close();
  });

  // Through a pipe the output leaves in 64 KiB chunks: all of it arrives before the command exits.
  test('status --json through a pipe is whole past 64 KiB', async () => {
    const c = await connectStomp(ctx.broker.port);
    const dests = Array.from({ length: 400 }, (_, i) => `${uniqueDest('queue', 'pipe')}-${i}-${'x'.repeat(100)}`);
    await c.send(Buffer.concat(dests.map((d) => encodeFrame('SEND', { destination: d }, 'x'))));
    await sendConfirmed(c, dests[0], 'last');
    // A reader that starts late, as a pipeline's next command may: the pipe fills and the rest waits.
    const r = await new Promise<CliResult>((resolve) => {
      execFile('sh', ['-c', `"${process.execPath}" "${BROKER_BIN}" status --json --data-dir "${ctx.broker.dataDir}" | (sleep 1; cat)`],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 65_536, `${r.stdout.length} bytes`);
    const names = new Set((JSON.parse(r.stdout) as { destinations: { name: string }[] }).destinations.map((d) => d.name));
    for (const d of dests) assert.ok(names.has(d), `${d} listed`);
    c.close();
  });

  // `status` on a data directory with no broker fails with a message.
  test('status without a running broker exits non-zero', async () => {
    const dir = freshDir();
    try {
      const r = await cli(['status', '--data-dir', dir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no broker/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // `stop` without a running broker fails with a message.
  test('stop without a running broker exits non-zero', async () => {
    const dir = freshDir();
    try {
      const r = await cli(['stop', '--data-dir', dir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no broker/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // One broker per data directory: a second one exits non-zero naming the data directory.
  test('a second broker on the same data dir exits non-zero with a clear error', async () => {
    const second = spawn(process.execPath, [BROKER_BIN, 'start', '--port', '0', '--data-dir', ctx.broker.dataDir,
      '--prefork', '1'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    second.stdout.on('data', (d: Buffer) => { output += d; });
    second.stderr.on('data', (d: Buffer) => { output += d; });
    const guard = setTimeout(() => second.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    clearTimeout(guard);
    assert.notEqual(code, 0, `second broker exited ${code}: ${output}`);
    assert.ok(code !== null, 'it exited by itself, not by the guard');
    assert.match(output, /already running on data dir/i);
    assert.doesNotMatch(output, /listening on/);
    // The first broker is untouched and still owns its files.
    const pidfile = path.join(ctx.broker.dataDir, 'stomp-broker.pid');
    assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(ctx.broker.pid));
    const c = await connectStomp(ctx.broker.port);
    await c.disconnect();
  });

  // `--version` prints the package version.
  test('--version prints the version', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
  });
});

describe('cli: stopping', () => {
  const ctx = useBroker({ perTest: true });

  // `stop` signals the broker, which exits 0 and removes its pid file.
  test('stop --data-dir stops the broker (exit 0) and removes the pid file', { timeout: 60_000 }, async () => {
    const { broker } = ctx;
    const pidfile = path.join(broker.dataDir, 'stomp-broker.pid');
    assert.ok(fs.existsSync(pidfile), 'pid file written');
    assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(broker.pid));
    const r = await cli(['stop', '--data-dir', broker.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await broker.exited, 0);
    assert.equal(fs.existsSync(pidfile), false, 'pid file removed');
    assert.equal(fs.existsSync(path.join(broker.dataDir, 'broker.json')), false, 'broker.json removed');
  });

  // SIGTERM: connected clients see a plain close (no ERROR, as RabbitMQ and ActiveMQ), and the broker exits 0.
  test('SIGTERM: clients are closed without an ERROR, broker exits 0', { timeout: 60_000 }, async () => {
    const { broker } = ctx;
    const a = await connectStomp(broker.port);
    const b = await connectStomp(broker.port, { 'accept-version': '1.0' });
    await subscribe(a, uniqueDest('queue', 'bye'), 's', { ack: 'client' });
    broker.proc.kill('SIGTERM');
    for (const c of [a, b]) {
      await c.expectClosed(15_000);
      await c.expectNoFrame(0); // closed: any frame it sent is already here
    }
    assert.equal(await broker.exited, 0);
    assert.equal(fs.existsSync(path.join(broker.dataDir, 'stomp-broker.pid')), false, 'pid file removed');
  });

  // After a stop the data directory is free: a new broker can take it.
  test('a stopped broker releases its data directory', { timeout: 60_000 }, async () => {
    const second = await ctx.restart();
    const c = await connectStomp(second.port);
    await c.disconnect();
    await second.stop();
  });
});

describe('cli: --daemonize', () => {
  // --daemonize returns once the broker listens in the background; `stop` stops it.
  test('--daemonize starts in the background and stop stops it', { timeout: 90_000 }, async () => {
    const dir = freshDir();
    let pid = 0;
    try {
      const r = await cli(['start', '--daemonize', '--port', '0', '--data-dir', dir, '--prefork', '1']);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      const m = /started \(pid (\d+)\) on (\S+):(\d+)/.exec(r.stdout);
      assert.ok(m, `start prints pid and address: ${r.stdout}`);
      pid = Number(m[1]);
      const port = Number(m[3]);
      assert.ok(isAlive(pid), 'the daemon runs after start returned');
      assert.equal(fs.readFileSync(path.join(dir, 'stomp-broker.pid'), 'utf8').trim(), String(pid));
      const c = await connectStomp(port);
      await c.disconnect();
      const status = await cli(['status', '--data-dir', dir, '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { pid: number }).pid, pid);

      const stop = await cli(['stop', '--data-dir', dir]);
      assert.equal(stop.code, 0, stop.stderr);
      await eventually(() => !isAlive(pid), 15_000);
      assert.equal(fs.existsSync(path.join(dir, 'stomp-broker.pid')), false, 'pid file removed');
      assert.ok(fs.existsSync(path.join(dir, 'stomp-broker.log')), 'the daemon logs to <data-dir>/stomp-broker.log');
    } finally {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli: what a newcomer trips over', () => {
  // A daemon that could not start says why on the terminal, not only in its log.
  test('--daemonize on a data directory in use prints the reason', { timeout: 90_000 }, async () => {
    const broker = await startBroker();
    try {
      const r = await cli(['start', '--daemonize', '--port', '0', '--data-dir', broker.dataDir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /the daemon did not start/);
      assert.match(r.stderr, /already running/);
    } finally {
      await broker.stop();
    }
  });

  // A port out of range is named as the option's mistake, not as Node's listen error.
  test('--port 99999 is refused as no port number', async () => {
    const dir = freshDir();
    const r = await cli(['start', '--port', '99999', '--data-dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--port <port>' argument '99999' is invalid\. must be a port number, 0-65535/);
  });

  // `stop --data-dir` finds a broker started with a --pidfile of its own.
  test('stop --data-dir stops a broker started with its own --pidfile', { timeout: 90_000 }, async () => {
    const dir = freshDir();
    const pidfile = path.join(freshDir(), 'custom.pid');
    let pid = 0;
    try {
      const r = await cli(['start', '--daemonize', '--port', '0', '--data-dir', dir, '--prefork', '1', '--pidfile', pidfile]);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      pid = Number(/started \(pid (\d+)\)/.exec(r.stdout)![1]);
      const stop = await cli(['stop', '--data-dir', dir]);
      assert.equal(stop.code, 0, stop.stderr);
      await eventually(() => !isAlive(pid), 15_000);
      const again = await cli(['stop', '--data-dir', dir]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, new RegExp(`no broker is running on data directory ${path.resolve(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } finally {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.dirname(pidfile), { recursive: true, force: true });
    }
  });
});

describe('cli: the data-directory lock cannot be stolen', () => {
  // A broker that is still starting (its lock taken, its broker.json not yet written) owns the directory
  // as much as a running one, even when a stale broker.json of a dead broker lies there: a third start
  // fails with "already running" and leaves the starting broker's lock alone.
  test('a start while another broker is starting fails and never removes the lock', { timeout: 60_000 }, async () => {
    const dataDir = freshDir();
    try {
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => dead.once('exit', resolve));
      fs.writeFileSync(path.join(dataDir, 'broker.json'),
        JSON.stringify({ pid: dead.pid, host: '127.0.0.1', port: 1, busPath: '/nonexistent/bus.sock', startedAt: 0 }));
      // The "starting broker": takes the lock as the hub does, then waits.
      const runFiles = new URL('../../src/hub/run-files.js', import.meta.url).href;
      const holder = spawn(process.execPath, ['--input-type=module', '-e',
        `const { lockDataDir } = await import(${JSON.stringify(runFiles)});
         await lockDataDir(${JSON.stringify(dataDir)}); console.log('locked'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      try {
        const third = await cli(['start', '--port', '0', '--data-dir', dataDir, '--prefork', '1']);
        assert.equal(third.code, 1, third.stderr);
        assert.match(third.stderr, /already running/);
        assert.equal(fs.readFileSync(path.join(dataDir, 'broker.lock', 'owner'), 'utf8').trim(), String(holder.pid));
      } finally {
        holder.kill('SIGKILL');
        await new Promise((resolve) => holder.once('exit', resolve));
      }
      // Its owner dead, the lock is taken over at once.
      const next = await startBroker(['--prefork', '1'], { dataDir });
      await next.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
