// Cumulative ack:client with the fast benchmark client: warm-up consumer (2000) then a second (20000); count extras.
// Run from the repository root after npm run build: node benchmarks/results/ack-fold-2026-12-03-cumulative.mjs PORT
import { StompClient } from '../../dist/benchmarks/client.js';
const port = Number(process.argv[2] ?? 61700);
const Q = '/queue/cum.fast';
async function round(n, tag) {
  const p = await StompClient.connect({ host: '127.0.0.1', port });
  const c = await StompClient.connect({ host: '127.0.0.1', port });
  const seen = new Map(); let count = 0; let resolveDone; const done = new Promise((r) => (resolveDone = r));
  c.onMessage = (f) => {
    const body = f.body.toString();
    seen.set(body, (seen.get(body) ?? 0) + 1); count++;
    if (count % 100 === 0 || (body.startsWith(tag) && Number(body.slice(tag.length)) === n - 1)) c.ack(f);
    let mine = 0; for (const k of seen.keys()) if (k.startsWith(tag)) mine++;
    if (mine >= n) resolveDone();
  };
  await c.subscribe(Q, { ack: 'client', prefetch: 100 });
  let inflight = 0; let i = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (inflight < 100 && i < n) { inflight++; p.send(Q, Buffer.from(`${tag}${i++}`), { persistent: 'true' }, () => { inflight--; if (i < n) pump(); else if (inflight === 0) resolve(); }); }
    };
    pump();
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 30000))]);
  await c.disconnect(); await p.disconnect();
  const other = [...seen.keys()].filter((k) => !k.startsWith(tag)).length;
  const dups = [...seen.values()].reduce((a, v) => a + (v - 1), 0);
  return { tag, n, got: count, fromEarlierRounds: other, dupsWithin: dups };
}
console.log(JSON.stringify(await round(2000, 'w')));
console.log(JSON.stringify(await round(20000, 'm')));
