/**
 * The web console's files: the page at /, its style sheet, and the compiled browser modules of
 * src/http/console/ (read once at start; tsc put them beside this file's compiled form).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_CSS, CONSOLE_HTML } from './console-page.js';

/** Where tsc wrote the console's modules. */
const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

/** Scripts and styles only from the broker itself; no framing (the page has buttons that act). */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/** The console's modules by file name. */
function loadModules(): Map<string, Buffer> {
  const modules = new Map<string, Buffer>();
  for (const name of fs.readdirSync(CONSOLE_DIR)) {
    if (name.endsWith('.js')) modules.set(name, fs.readFileSync(CONSOLE_DIR + name));
  }
  return modules;
}

/** Registers /, /console/console.css and /console/<module>.js. */
export function consoleRoutes(app: FastifyInstance): void {
  const modules = loadModules();
  app.get('/', async (_req, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(CONSOLE_HTML));
  app.get('/console/console.css', async (_req, reply) => reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(CONSOLE_CSS));
  app.get<{ Params: { file: string } }>('/console/:file', async (req, reply) => {
    const body = modules.get(req.params.file);
    if (!body) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no console file ${req.params.file}` });
    return reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(body);
  });
}
