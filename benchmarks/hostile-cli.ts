/**
 * Runs one hostile client (hostile.ts) in this process for `--duration-ms`, then prints one JSON
 * report (HostileReport). The isolation benchmark starts it as a child, so that the hostile client's
 * work does not slow the event loop of the well-behaved clients it measures.
 *
 *   node dist/benchmarks/hostile-cli.js --kind KIND --host H --port P [--login L --passcode X --vhost V]
 *     --duration-ms 10000 [--ours] [--count N]
 */
import { HOSTILE_KINDS, type HostileKind, type HostileOptions, runHostile } from './hostile.js';

function parseArgs(argv: string[]): { kind: HostileKind; o: HostileOptions } {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument '${argv[i]}'`);
    flags.set(m[1], m[1] === 'ours' ? 'true' : m[2] ?? argv[++i] ?? '');
  }
  const kind = flags.get('kind') as HostileKind;
  if (!HOSTILE_KINDS.includes(kind)) throw new Error(`--kind must be one of ${HOSTILE_KINDS.join(', ')}`);
  return { kind, o: {
    conn: { host: flags.get('host') ?? '127.0.0.1', port: Number(flags.get('port') ?? 61613),
      login: flags.get('login'), passcode: flags.get('passcode'), vhost: flags.get('vhost') ?? '/' },
    durationMs: Number(flags.get('duration-ms') ?? 10_000), ours: flags.has('ours'),
    count: flags.has('count') ? Number(flags.get('count')) : undefined,
  } };
}

const { kind, o } = parseArgs(process.argv.slice(2));
runHostile(kind, o).then((report) => {
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(0);
}, (err: Error) => {
  process.stdout.write(JSON.stringify({ kind, actions: 0, detail: {}, errors: [`failed: ${err.message}`] }) + '\n');
  process.exit(1);
});
