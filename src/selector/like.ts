/**
 * LIKE patterns (`%` any run, `_` one character, ESCAPE) matched without backtracking. No RegExp is
 * built from client text: ActiveMQ's translation (`%` → `.*?`) backtracks polynomially on patterns
 * like '%a%a%a%b'. Here the pattern is split at `%` into runs; the first run must match at the start,
 * the last at the end, and each run between is found leftmost after the previous one, which is
 * correct for `%`-separated runs and never revisits text. A run of literals is found with KMP
 * (O(text + run)); a run with `_` with a bit-parallel Shift-And (O(text × ⌈run/32⌉), run ≤ 256).
 * `_` matches one code point, as `.` does in ActiveMQ's Java regex.
 */
import { MAX_LIKE_WILDCARD_RUN } from './limits.js';

/** A compiled LIKE pattern. */
export interface LikeMatcher {
  /** Whether the whole of `value` matches the pattern. */
  matches(value: string): boolean;
}

const ANY = -1;
const PERCENT = -2;
const PERCENT_CP = 0x25;
const UNDERSCORE_CP = 0x5f;

/**
 * Compiles `pattern`; `escape` (one character) makes the `%`, `_` or escape character after it
 * literal. As in ActiveMQ, an escape character before anything else stands for itself.
 * `fail` reports a pattern that breaks a bound; it must throw.
 */
export function compileLike(pattern: string, escape: string | undefined, fail: (detail: string) => never): LikeMatcher {
  const escapeCp = escape === undefined ? undefined : escape.codePointAt(0);
  const runs = splitRuns(patternItems(pattern, escapeCp));
  if (runs.length === 1) return new ExactLike(runs[0]);
  const middle = runs.slice(1, -1).filter((run) => run.length > 0).map((run) => findRun(run, fail));
  return new WildLike(runs[0], middle, runs[runs.length - 1]);
}

/** The pattern as code points, with ANY for `_` and PERCENT for `%` (unless escaped). */
function patternItems(pattern: string, escape: number | undefined): number[] {
  const { cps, n } = codePoints(pattern);
  const items: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = cps[i];
    const next = i + 1 < n ? cps[i + 1] : undefined;
    if (c === escape && (next === PERCENT_CP || next === UNDERSCORE_CP || next === escape)) {
      items.push(next);
      i++;
    } else {
      items.push(c === PERCENT_CP ? PERCENT : c === UNDERSCORE_CP ? ANY : c);
    }
  }
  return items;
}

function splitRuns(items: number[]): Int32Array[] {
  const runs: Int32Array[] = [];
  let start = 0;
  for (let i = 0; i <= items.length; i++) {
    if (i === items.length || items[i] === PERCENT) {
      runs.push(Int32Array.from(items.slice(start, i)));
      start = i + 1;
    }
  }
  return runs;
}

// Reused for values up to this many UTF-16 units: evaluation is synchronous and never re-entered, and
// most header values are short, so most matches allocate nothing.
const SCRATCH_UNITS = 4096;
const scratch = new Uint32Array(SCRATCH_UNITS);

/** Code points of `s` (a lone surrogate stays one unit), and how many; valid until the next call. */
function codePoints(s: string): { cps: Uint32Array; n: number } {
  const cps = s.length <= SCRATCH_UNITS ? scratch : new Uint32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    cps[n++] = c;
  }
  return { cps, n };
}

/** Whether `run` matches `text` at `pos` (the caller checked it fits). */
function matchAt(run: Int32Array, text: Uint32Array, pos: number): boolean {
  for (let j = 0; j < run.length; j++) {
    if (run[j] !== ANY && run[j] !== text[pos + j]) return false;
  }
  return true;
}

/** A pattern without `%`: the value must have the run's length and match it. */
class ExactLike implements LikeMatcher {
  constructor(private readonly run: Int32Array) {}

  matches(value: string): boolean {
    const { cps, n } = codePoints(value);
    return n === this.run.length && matchAt(this.run, cps, 0);
  }
}

/** A pattern with `%`: anchored head and tail, runs between found leftmost in order. */
class WildLike implements LikeMatcher {
  constructor(
    private readonly head: Int32Array,
    private readonly middle: RunFinder[],
    private readonly tail: Int32Array,
  ) {}

  matches(value: string): boolean {
    const { cps, n } = codePoints(value);
    let from = this.head.length;
    const to = n - this.tail.length;
    if (to < from || !matchAt(this.head, cps, 0) || !matchAt(this.tail, cps, to)) return false;
    for (const finder of this.middle) {
      const at = finder.find(cps, from, to);
      if (at < 0) return false;
      from = at + finder.length;
    }
    return true;
  }
}

/** Finds the leftmost occurrence of one run inside text[from, to). */
interface RunFinder {
  readonly length: number;
  /** Start of the leftmost match lying wholly inside [from, to), or -1. */
  find(text: Uint32Array, from: number, to: number): number;
}

function findRun(run: Int32Array, fail: (detail: string) => never): RunFinder {
  if (!run.includes(ANY)) return new LiteralRun(run);
  if (run.length > MAX_LIKE_WILDCARD_RUN) {
    fail(`expected at most ${MAX_LIKE_WILDCARD_RUN} characters between two % of a LIKE pattern where they contain _`);
  }
  return new WildcardRun(run);
}

/** Knuth–Morris–Pratt: each text character is looked at a constant number of times (amortized). */
class LiteralRun implements RunFinder {
  readonly length: number;
  private readonly fallback: Int32Array;

  constructor(private readonly run: Int32Array) {
    this.length = run.length;
    this.fallback = new Int32Array(run.length);
    for (let i = 1, q = 0; i < run.length; i++) {
      while (q > 0 && run[q] !== run[i]) q = this.fallback[q - 1];
      if (run[q] === run[i]) q++;
      this.fallback[i] = q;
    }
  }

  find(text: Uint32Array, from: number, to: number): number {
    const { run, fallback } = this;
    for (let i = from, q = 0; i < to; i++) {
      const c = text[i];
      while (q > 0 && run[q] !== c) q = fallback[q - 1];
      if (run[q] === c) q++;
      if (q === run.length) return i - run.length + 1;
    }
    return -1;
  }
}

/**
 * Shift-And: bit j of the state is set when the run's first j+1 items match the text ending here.
 * One row of masks per distinct literal in the run (row 0: characters not in it, only `_` matches).
 */
class WildcardRun implements RunFinder {
  readonly length: number;
  private readonly words: number;
  private readonly masks: Uint32Array;
  private readonly rows = new Map<number, number>();
  // The same rows for ASCII, which most headers are, without a Map lookup per character.
  private readonly asciiRows = new Int32Array(128);

  constructor(run: Int32Array) {
    this.length = run.length;
    this.words = Math.ceil(run.length / 32);
    for (const c of run) if (c !== ANY && !this.rows.has(c)) this.rows.set(c, this.rows.size + 1);
    for (const [c, row] of this.rows) if (c < 128) this.asciiRows[c] = row;
    this.masks = new Uint32Array((this.rows.size + 1) * this.words);
    for (let j = 0; j < run.length; j++) {
      const bit = 1 << (j & 31);
      const word = j >>> 5;
      if (run[j] !== ANY) {
        this.masks[(this.rows.get(run[j]) ?? 0) * this.words + word] |= bit;
        continue;
      }
      for (let row = 0; row <= this.rows.size; row++) this.masks[row * this.words + word] |= bit;
    }
  }

  find(text: Uint32Array, from: number, to: number): number {
    const { words, masks, rows, asciiRows, length } = this;
    const state = new Uint32Array(words);
    const lastWord = (length - 1) >>> 5;
    const lastBit = 1 << ((length - 1) & 31);
    for (let i = from; i < to; i++) {
      const c = text[i];
      const base = (c < 128 ? asciiRows[c] : rows.get(c) ?? 0) * words;
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const d = state[w];
        state[w] = ((d << 1) | carry) & masks[base + w];
        carry = d >>> 31;
      }
      if ((state[lastWord] & lastBit) !== 0) return i - length + 1;
    }
    return -1;
  }
}
