/**
 * A broker process for the fuzz and chaos drivers: `node bin/stomp-broker start` on a data directory,
 * its log read line by line (listening address, session exits, errors), its session processes found
 * from /proc, and stop, SIGKILL and restart on the same directory and port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: this file runs as dist/benchmarks/fuzz/broker-process.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What the broker's log said, counted. */
export interface BrokerLogStats {
  /** Session exits by status (`0`, `1`, `SIGKILL` …), from the hub's debug log. */
  sessionExits: Record<string, number>;
  /** Log lines at level `error`, and stack traces a session printed (first ones kept). */
  errorLines: string[];
  errorCount: number;
}

/** Options of a started broker. */
export interface BrokerStartOptions {
  bin?: string;
  dataDir: string;
  port?: number;
  extraArgs?: string[];
}

const KEEP_ERRORS = 20;

/** One broker: the hub process, restartable on the same data directory and port. */
export class BrokerProcess {
  proc: ChildProcess | null = null;
  port = 0;
  host = '127.0.0.1';
  readonly stats: BrokerLogStats = { sessionExits: {}, errorLines: [], errorCount: 0 };
  /** Exit status of the last hub that exited, or null while one runs. */
  lastExit: string | null = null;
  private tail = '';

  constructor(private readonly options: BrokerStartOptions) {}

  /** The hub's pid (0 when not running). */
  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  /** Whether the hub process is running. */
  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the hub and resolves once it logs "listening on"; reuses the port of an earlier start. */
  start(timeoutMs = 60_000): Promise<void> {
    const bin = this.options.bin ?? path.join(REPO_ROOT, 'bin', 'stomp-broker');
    const args = [bin, 'start', '--port', String(this.port || this.options.port || 0),
      '--data-dir', this.options.dataDir, '--log-level', 'debug', ...(this.options.extraArgs ?? [])];
    const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.lastExit = null;
    proc.once('exit', (code, signal) => { this.lastExit = String(signal ?? code); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker not listening after ${timeoutMs} ms`)), timeoutMs);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`broker exited (${signal ?? code}) before listening: ${this.stats.errorLines.join('\n')}`));
      });
      proc.stderr!.on('data', (d: Buffer) => this.readLog(d.toString('utf8'), () => {
        clearTimeout(timer);
        resolve();
      }));
    });
  }

  /** Session processes: the hub's children, from /proc. */
  sessionPids(): number[] {
    if (!this.alive) return [];
    const dir = `/proc/${this.pid}/task`;
    const pids: number[] = [];
    try {
      for (const task of fs.readdirSync(dir)) {
        const text = fs.readFileSync(`${dir}/${task}/children`, 'utf8').trim();
        if (text) pids.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      // the hub exited meanwhile
    }
    return pids;
  }

  /** Resident memory of the hub in KiB (0 when not running). */
  rssKb(): number {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** SIGKILLs the hub and waits for it to be gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.alive) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs = 15_000): Promise<string | null> {
    const proc = this.proc;
    if (!proc) return null;
    if (this.alive) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return this.lastExit;
  }

  private readLog(text: string, onListening: () => void): void {
    const lines = (this.tail + text).split('\n');
    this.tail = lines.pop() ?? '';
    if (process.env.BROKER_LOG_TEE) fs.appendFileSync(process.env.BROKER_LOG_TEE, lines.map((l) => l + '\n').join(''));
    for (const line of lines) {
      const listening = /listening on (\S+):(\d+)/.exec(line);
      if (listening) {
        this.host = listening[1];
        this.port = Number(listening[2]);
        onListening();
      }
      const exit = /\] session \d+ exited \((\w+)\)/.exec(line);
      if (exit) this.stats.sessionExits[exit[1]] = (this.stats.sessionExits[exit[1]] ?? 0) + 1;
      else if (/ error \[|^session |Error:|^\s+at /.test(line)) this.noteError(line);
    }
  }

  private noteError(line: string): void {
    // A stack trace's "at" lines belong to the line before: count the trace once.
    if (!/^\s+at /.test(line)) this.stats.errorCount++;
    if (this.stats.errorLines.length < KEEP_ERRORS * 8) this.stats.errorLines.push(line.slice(0, 500));
  }
}
