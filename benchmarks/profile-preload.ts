/**
 * CPU-profiles every Node process that loads it, hub and session processes alike (`--cpu-prof` is not
 * allowed in NODE_OPTIONS, and the session pool sets its children's execArgv itself):
 *
 *   PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import=$PWD/dist/benchmarks/profile-preload.js" \
 *     node bin/stomp-broker start ...
 *
 * Session processes that run under Node's permission model (src/hub/session-pool.ts: read-only file
 * system) cannot write a file: they are not profiled (a line on stderr says so); the hub is.
 * Each process writes PROFILE_DIR/<pid>.cpuprofile when it exits normally (process.exit, end of
 * work, SIGTERM/SIGINT handled by the program); a SIGKILLed process writes nothing. Summarise with
 * profile-summary.js.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.PROFILE_DIR;
/** Under Node's permission model (our session processes) nothing may be written: those are skipped. */
const permission = (process as { permission?: { has(scope: string, reference?: string): boolean } }).permission;
const mayWrite = !dir || !permission || permission.has('fs.write', path.resolve(dir));
if (dir && !mayWrite) {
  process.stderr.write(`profile-preload: pid ${process.pid} runs under the permission model without write access `
    + `to ${dir}: not profiled\n`);
}
if (dir && mayWrite) {
  fs.mkdirSync(dir, { recursive: true });
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.PROFILE_INTERVAL_US ?? 1000) });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // The in-process inspector answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const name = `${path.basename(process.argv[1] ?? 'node')}.${process.pid}.cpuprofile`;
      fs.writeFileSync(path.join(dir, name), JSON.stringify(result.profile));
    });
  });
}
