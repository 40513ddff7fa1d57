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
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sessionDir = fileURLToPath(new URL('../dist/src/session/', import.meta.url));

/** How dist/src/ipc/transport.js loads node-ipc's CommonJS build (which esbuild cannot follow). */
const NODE_IPC_LOAD = "createRequire(import.meta.url)('node-ipc')";

/**
 * node-ipc in the bundle, and without the built-ins it loads for modes the bus never uses (TLS, UDP):
 * node:tls with node:crypto cost ~5 ms of every session start, and a session that serves TLS clients
 * loads node:tls itself (tls.ts). Each becomes a stand-in that loads the real module on first use.
 */
const nodeIpcInBundle = {
  name: 'node-ipc-in-bundle',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]ipc[\\/]transport\.js$/ }, async (args) => {
      const text = await fs.readFile(args.path, 'utf8');
      if (!text.includes(NODE_IPC_LOAD)) throw new Error(`${args.path} no longer loads node-ipc as ${NODE_IPC_LOAD}`);
      return { contents: text.replace(NODE_IPC_LOAD, "require('node-ipc')"), loader: 'js' };
    });
    b.onResolve({ filter: /^(node:)?(tls|dgram)$/ }, (args) => (
      args.importer.includes(`${path.sep}node-ipc${path.sep}`)
        ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      // __esModule is what node-ipc's import helper asks at load: answering it must not load the module.
      contents: `let real; module.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? undefined
        : (real ??= require('node:${args.path}'))[key]) });`,
      loader: 'js',
    }));
  },
};

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
  plugins: [nodeIpcInBundle],
  sourcemap: 'linked',
  logLevel: 'warning',
});
