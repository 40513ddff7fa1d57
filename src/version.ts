/** The broker's version, from package.json (CONNECTED `server` header, `status`). */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const BROKER_VERSION: string = pkg.version;
