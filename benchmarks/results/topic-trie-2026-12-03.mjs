// Topic matching, old trie (NFA through `#` nodes, src/protocol/destination.ts at 89cac57, compiled alone to
// /tmp/oldtrie/*.cjs) against the new one (dist/ of the commit after it). Run: node topic-trie-2026-12-03.mjs old|new
const [,, which] = process.argv;
const { TopicTrie } = await import(which === 'old' ? '/tmp/oldtrie/destination.cjs' : new URL('../../dist/src/protocol/destination.js', import.meta.url).href);
function time(label, fn) { const t = process.hrtime.bigint(); const r = fn(); console.log(which, label, Number(process.hrtime.bigint() - t) / 1e6, 'ms', r); }
// typical: 10k exact names, 200 patterns
{
  const trie = new TopicTrie();
  for (let i = 0; i < 10000; i++) trie.add(`/topic/user.${i}.notify`, i);
  for (let i = 0; i < 100; i++) { trie.add(`/topic/user.${i}.#`, 'h' + i); trie.add(`/topic/orders.*.region${i}`, 'o' + i); }
  trie.add('/topic/#', 'all'); trie.add('/topic/*.*.notify', 'n');
  time('typical 100k matches', () => { let n = 0; for (let k = 0; k < 100000; k++) n += trie.match(`/topic/user.${k % 20000}.notify`).size + trie.match(`/topic/orders.x${k}.region${k % 150}`).size; return n; });
}
// hostile: probe shape, 1023 patterns 127 words alternating * and #, distinct
{
  const trie = new TopicTrie();
  for (let i = 0; i < 1023; i++) { const w = Array.from({ length: 127 }, (_, k) => (((i >> (k % 10)) & 1) ? '#' : '*')); w[0] = '*'; w[1] = '#'; trie.add('/topic/' + w.join('.').replace(/#(\.#)+/g, '#'), i); }
  for (let i = 0; i < 1023; i++) { const w = Array.from({ length: 127 }, (_, k) => (k % 2 ? '#' : '*')); w[126] = `z${i}`; trie.add('/topic/' + w.join('.'), 'b' + i); }
  time('hostile 1 name', () => trie.match('/topic/' + Array(128).fill('x').join('.')).size);
}
