#!/usr/bin/env node
// Serves the chat page and @stomp/stompjs's browser bundle (from node_modules, installed by npm ci):
//
//   node examples/browser-chat/serve.js [--port 8080] [--host 127.0.0.1]
//
// then open http://127.0.0.1:8080/?broker=ws://127.0.0.1:15674/ws against a broker started with
// `node bin/stomp-broker start --ws-port 15674`. Prints "serving on http://HOST:PORT/".
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// The package's CommonJS entry is its UMD bundle; the minified one sits beside it.
const stompBundle = path.join(path.dirname(require.resolve('@stomp/stompjs')), 'stomp.umd.min.js');
const FILES = {
  '/': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/index.html': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/chat.js': [path.join(here, 'chat.js'), 'text/javascript; charset=utf-8'],
  '/chat.css': [path.join(here, 'chat.css'), 'text/css; charset=utf-8'],
  '/stomp.umd.min.js': [stompBundle, 'text/javascript; charset=utf-8'],
};

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8080'));

const server = http.createServer((req, res) => {
  const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
  if (req.method !== 'GET' || !file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
  fs.createReadStream(file[0]).pipe(res);
});
server.listen(port, host, () => {
  const { port: bound } = server.address();
  process.stdout.write(`serving on http://${host}:${bound}/\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
