/**
 * Command line of the load scenarios (scenarios.ts), for any STOMP broker (ours, RabbitMQ's STOMP
 * plugin, ActiveMQ).
 *
 *   node dist/benchmarks/run.js <queue|queue-ack|topic|latency|receipts|connect|persistent|all>
 *     [--host 127.0.0.1] [--port 61613] [--login guest] [--passcode guest] [--vhost /] [--messages N]
 *     [--size BYTES] [--producers P] [--consumers C] [--duration S] [--window W] [--prefetch N]
 *     [--ack-receipt N] [--rate R] [--prefix NAME] [--label NAME]
 *
 * Prints one human line per scenario and one JSON line (starting with `{`). Exits 1 when a scenario
 * timed out, failed, lost or duplicated a message.
 */
import { runScenario, SCENARIOS, type ScenarioName, type ScenarioOptions,
  type ScenarioResult, sleep } from './scenarios.js';

/** What `all` runs (persistent is left out: it writes to the brokers' disks and has its own suite). */
const ALL_SCENARIOS: ScenarioName[] = ['queue', 'queue-ack', 'topic', 'latency', 'receipts', 'connect'];
/** Body size of `persistent` unless --size is given (the others default to 100 bytes). */
const PERSISTENT_SIZE = 1024;

function formatLine(r: ScenarioResult): string {
  if (r.scenario === 'persistent') {
    const e2e = r.p50Ms !== undefined ? `end-to-end p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms!.toFixed(2)} ms` : '';
    const rcpt = r.receiptP50Ms !== undefined
      ? `receipt p50 ${r.receiptP50Ms.toFixed(2)} ms p99 ${r.receiptP99Ms!.toFixed(2)} ms` : '';
    return `${r.label ? r.label + ' ' : ''}persistent P=${r.producers} C=${r.consumers} n=${r.messages} ${r.size}B: `
      + `${(r.persistedPerSec ?? 0).toLocaleString('en-US')} persisted/s (${rcpt}), `
      + `${r.msgsPerSec.toLocaleString('en-US')} consumed msgs/s ${r.mbPerSec} MB/s, ${e2e}`
      + `  (${r.count} consumed in ${r.seconds.toFixed(2)} s, client CPU ${r.clientCpuPct}%`
      + `${r.timedOut ? ', TIMED OUT' : ''}${r.notes ? '; ' + r.notes : ''})`;
  }
  const lat = r.p50Ms !== undefined
    ? `  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms!.toFixed(2)} ms  max ${r.maxMs!.toFixed(1)} ms` : '';
  const what = r.scenario === 'topic' ? 'deliveries/s' : r.scenario === 'receipts' ? 'receipts/s'
    : r.scenario === 'connect' ? 'connections/s' : 'msgs/s';
  const shape = r.scenario === 'connect' ? `n=${r.messages}` : `P=${r.producers} C=${r.consumers} n=${r.messages} ${r.size}B`;
  const mb = r.scenario === 'connect' ? '' : `  ${r.mbPerSec} MB/s`;
  return `${r.label ? r.label + ' ' : ''}${r.scenario.padEnd(9)} ${shape}: `
    + `${r.msgsPerSec.toLocaleString('en-US')} ${what}${mb}${lat}`
    + `  (${r.count} in ${r.seconds.toFixed(2)} s, client CPU ${r.clientCpuPct}%`
    + `${r.timedOut ? ', TIMED OUT' : ''}${r.notes ? '; ' + r.notes : ''})`;
}

// ------------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------------

const USAGE = `usage: node dist/benchmarks/run.js <${[...SCENARIOS, 'all'].join('|')}> [options]
  (all = ${ALL_SCENARIOS.join(', ')})
  --host H          broker host (127.0.0.1)      --port P        STOMP port (61613)
  --login L         CONNECT login (none)         --passcode X    CONNECT passcode (none)
  --vhost V         CONNECT host header (/)
  --messages N      messages (queue 100000, queue-ack 20000, topic 20000, latency 5000, receipts 50000,
                    persistent 20000; connect: connections, 200)
  --size BYTES      body size (100; persistent 1024)             --duration S    time limit per scenario (60)
  --producers P     queue/persistent producers (1)               --consumers C   consumers (queue 1, topic 4)
  --window W        receipts in flight (100; persistent: per producer)
  --prefetch N      queue-ack/persistent prefetch (100)
  --ack-receipt N   persistent: receipt on every Nth ACK per consumer (0 = none, the default)
  --rate R          latency: send R msgs/s whatever the replies (0 = one round trip at a time, the default)
  --prefix NAME     destination name prefix (bench)
  --label NAME      tag for the output lines`;

/** The scenarios to run and their options, from the command line (exits on a bad one). */
function parseArgs(argv: string[]): { scenarios: ScenarioName[]; opts: ScenarioOptions & { sizeGiven: boolean } } {
  const [scenarioArg, ...rest] = argv;
  if (!scenarioArg || scenarioArg === '-h' || scenarioArg === '--help') {
    process.stdout.write(USAGE + '\n');
    process.exit(scenarioArg ? 0 : 2);
  }
  const scenarios = scenarioArg === 'all' ? ALL_SCENARIOS : [scenarioArg as ScenarioName];
  if (!scenarios.every((s) => SCENARIOS.includes(s))) {
    process.stderr.write(`unknown scenario '${scenarioArg}'\n${USAGE}\n`);
    process.exit(2);
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!m) {
      process.stderr.write(`unexpected argument '${rest[i]}'\n${USAGE}\n`);
      process.exit(2);
    }
    flags.set(m[1], m[2] ?? rest[++i] ?? '');
  }
  const num = (name: string, fallback: number): number => {
    const v = flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`--${name} must be a non-negative number\n`);
      process.exit(2);
    }
    return n;
  };
  const known = ['host', 'port', 'login', 'passcode', 'vhost', 'messages', 'size', 'producers', 'consumers',
    'duration', 'window', 'prefetch', 'ack-receipt', 'rate', 'prefix', 'label'];
  for (const name of flags.keys()) {
    if (!known.includes(name)) {
      process.stderr.write(`unknown option --${name}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return {
    scenarios,
    opts: {
      conn: {
        host: flags.get('host') ?? '127.0.0.1', port: num('port', 61613), login: flags.get('login'),
        passcode: flags.get('passcode'), vhost: flags.get('vhost') ?? '/',
      },
      messages: flags.has('messages') ? num('messages', 0) : undefined,
      size: num('size', 100),
      sizeGiven: flags.has('size'),
      producers: Math.max(1, num('producers', 1)),
      consumers: flags.has('consumers') ? Math.max(1, num('consumers', 1)) : undefined,
      durationS: num('duration', 60),
      window: Math.max(1, num('window', 100)),
      prefetch: num('prefetch', 100),
      ackReceipt: Math.floor(num('ack-receipt', 0)),
      rate: num('rate', 0),
      prefix: flags.get('prefix') ?? 'bench',
      label: flags.get('label') ?? '',
    },
  };
}

async function main(): Promise<void> {
  const { scenarios, opts } = parseArgs(process.argv.slice(2));
  let failed = false;
  for (const scenario of scenarios) {
    try {
      const sized = scenario === 'persistent' && !opts.sizeGiven ? { ...opts, size: PERSISTENT_SIZE } : opts;
      const r = await runScenario(scenario, sized);
      process.stdout.write(formatLine(r) + '\n' + JSON.stringify(r) + '\n');
      if (!r.valid) failed = true;
    } catch (err) {
      failed = true;
      process.stdout.write(`${opts.label ? opts.label + ' ' : ''}${scenario}: FAILED: ${(err as Error).message}\n`);
      process.stdout.write(JSON.stringify({ label: opts.label, scenario, error: (err as Error).message }) + '\n');
    }
    if (scenarios.length > 1) await sleep(1000);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
