/** Third-party client scripts (Python stomp.py, Perl Net::Stomp) run by the integration tests. */
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './broker.js';

/** A Python interpreter that can `import stomp`: python3 on PATH, else the system one (where apt installs it). */
function findPython(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(candidate, ['-c', 'import stomp'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return candidate;
  }
  return null;
}

/** The Python with stomp.py, or null (its tests are skipped). */
export const PYTHON = findPython();
/** Whether Perl's Net::Stomp is installed (else its tests are skipped). */
export const PERL_STOMP = spawnSync('perl', ['-MNet::Stomp', '-e', '1'], { stdio: 'ignore', timeout: 30_000 }).status === 0;

/** Path of a script under test/integration/. */
export function scriptPath(...parts: string[]): string {
  return path.join(REPO_ROOT, 'test', 'integration', ...parts);
}

/** Runs `command args`; resolves with the last line it printed; rejects (with its output) if it fails. */
export function runScript(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${args[0]} failed: ${err.message}\n${stderr}\n${stdout}`));
      resolve(stdout.trim().split('\n').at(-1) ?? '');
    });
  });
}

/**
 * Starts a server script that prints "serving on URL" (the examples' web servers); resolves with that
 * URL and a function that stops it (SIGTERM). Rejects with its output if it exits first.
 */
export async function startServing(command: string, args: string[]): Promise<{ url: string; stop(): void }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${out}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * Runs one of the robustness drivers (`dist/benchmarks/<name>.js`, fuzz or chaos) to its end with
 * `--out FILE --quiet`; resolves with its exit code, the JSON summary it wrote and its stderr.
 */
export function runDriver(name: 'fuzz' | 'chaos', args: string[]): Promise<{ code: number | null; summary: Record<string, any>; stderr: string }> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${name}-test-`)), 'summary.json');
  const driver = path.join(REPO_ROOT, 'dist', 'benchmarks', `${name}.js`);
  const child = spawn(process.execPath, [driver, ...args, '--out', out, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      const summary = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      resolve({ code, summary, stderr });
    });
  });
}
