/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time by function and by file or
 * package, and inclusive ("total") time of the heaviest functions, so one can see where a broker
 * process spends its CPU without opening DevTools.
 *
 *   node dist/benchmarks/profile-summary.js FILE.cpuprofile [--top 25]
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  if (url.startsWith('node:')) return url;
  const src = /\/(src|benchmarks|test)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
}

function label(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  if (!file) {
    process.stderr.write('usage: node dist/benchmarks/profile-summary.js FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time per node, from sample deltas (µs).
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  let idle = 0;
  const selfByFn = new Map<string, number>();
  const selfByWhere = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = label(node.callFrame);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
    const w = node.callFrame.functionName === '(garbage collector)' ? '(gc)' : where(node.callFrame.url);
    selfByWhere.set(w, (selfByWhere.get(w) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets this sample's time once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7) + ' ms';
  const share = (us: number) => ((us / Math.max(1, busy)) * 100).toFixed(1).padStart(5) + ' %';
  const print = (title: string, m: Map<string, number>, n: number) => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      process.stdout.write(`${ms(us)} ${share(us)}  ${k}\n`);
    }
  };
  process.stdout.write(`${file}\nwall ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s, `
    + `busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (shares below are of busy time)\n`);
  print('self time by file / package', selfByWhere, 15);
  print('self time by function', selfByFn, top);
  print('inclusive time by function', inclusive, top);
}

process.stdout.on('error', () => process.exit(0));
main();
