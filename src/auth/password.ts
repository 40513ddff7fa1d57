/**
 * Password hashes: scrypt (node:crypto) with a random per-user salt, stored in the PHC string format
 * `$scrypt$ln=14,r=8,p=1$<salt>$<key>` (salt and key in unpadded base64), as passlib and others write
 * it. The parameters travel with each hash, so raising the default later leaves old hashes valid.
 *
 * Cost of the default (N = 2^14, r = 8, p = 1): 16 MiB of memory and about 65 ms of one core per
 * hash or verification on the 2-core development machine. The work runs on libuv's thread pool, so
 * verifying does not block the event loop.
 */
import crypto from 'node:crypto';

/** scrypt parameters: cost N = 2^ln, block size r, parallelism p. */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** Parameters new hashes get: 16 MiB and ~65 ms each (see the module comment). */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 14, r: 8, p: 1 };

/** A parsed hash: what verification needs. */
export interface PasswordHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse parameters needing more than this (a typo such as ln=40 must not exhaust memory). */
const MAX_MEMORY = 1024 * 1024 * 1024;
const B64 = /^[A-Za-z0-9+/]+$/;

/** Hashes a new password with a fresh random salt (formatHash gives its PHC string). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordHash> {
  const salt = crypto.randomBytes(SALT_BYTES);
  return { params, salt, key: await derive(password, salt, params, KEY_BYTES) };
}

/** Whether `password` is the one `hash` was made from; compares in constant time. */
export async function verifyPassword(password: string, hash: PasswordHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.params, hash.key.length);
  return crypto.timingSafeEqual(key, hash.key);
}

/** A hash no password matches (random key), costing as much to verify as a real one with `params`. */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT): PasswordHash {
  return { params, salt: crypto.randomBytes(SALT_BYTES), key: crypto.randomBytes(KEY_BYTES) };
}

/** The PHC string of a hash. */
export function formatHash(hash: PasswordHash): string {
  const { ln, r, p } = hash.params;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${unpadded(hash.salt)}$${unpadded(hash.key)}`;
}

/** Parses a PHC scrypt string; throws an Error saying what is wrong with it. */
export function parseHash(text: string): PasswordHash {
  const parts = text.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'scrypt') {
    throw new Error('password hash must look like $scrypt$ln=14,r=8,p=1$SALT$KEY');
  }
  const params = parseParams(parts[2]);
  const salt = decodeB64(parts[3], 'salt', 8, 64);
  const key = decodeB64(parts[4], 'key', 16, 64);
  return { params, salt, key };
}

function parseParams(text: string): ScryptParams {
  const m = /^ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,2})$/.exec(text);
  if (!m) throw new Error(`scrypt parameters "${text}" must look like ln=14,r=8,p=1`);
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 1 || params.r < 1 || params.p < 1 || params.p > 16) {
    throw new Error(`scrypt parameters ${text}: ln and r must be at least 1, p from 1 to 16`);
  }
  if (memoryOf(params) > MAX_MEMORY) {
    throw new Error(`scrypt parameters ${text} need more than 1 GiB of memory per verification`);
  }
  return params;
}

function decodeB64(text: string, what: string, min: number, max: number): Buffer {
  if (!B64.test(text)) throw new Error(`password hash ${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw new Error(`password hash ${what} is ${bytes.length} bytes (expected ${min} to ${max})`);
  }
  return bytes;
}

/** Bytes scrypt needs: 128 · N · r. */
function memoryOf(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const options = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 2 * memoryOf(params) };
  return new Promise((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
