/**
 * Bundles the compiled session entry (dist/src/session/main.js) and everything it imports into one
 * CommonJS file, dist/src/session/main.bundle.cjs, which the hub forks when it exists.
 *
 * Why: a session process is started for every client past the idle pool, so its start-up is the price
 * of a connection. Node 20 loads the ES module graph of ~40 files through its ESM loader in ~45 ms;
 * the same code as one CommonJS file loads in ~20 ms (benchmarks/README.md, "Session start-up").
 * The bundle sits beside main.js so that paths computed from import.meta.url stay the same.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const sessionDir = fileURLToPath(new URL('../dist/src/session/', import.meta.url));

await build({
  entryPoints: [`${sessionDir}main.js`],
  outfile: `${sessionDir}main.bundle.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // import.meta does not exist in CommonJS: give the bundle its own file URL in its place.
  banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundle_url' },
  // A native addon msgpackr may try: sessions load no addon (permission model), and it is disabled in their env.
  external: ['msgpackr-extract'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
