/**
 * Permission patterns: `*` matches any run of characters (dots and slashes included), everything else
 * is literal, as in the `--config` destination policies. A plain destination is allowed when one of
 * the user's patterns matches it. A wildcard topic subscription (`/topic/a.*`, `/topic/#`) is allowed
 * only when the patterns match every topic it could receive from: `/topic/news.#` also receives
 * `/topic/news` itself, so `/topic/news.*` does not cover it but `/topic/news*` does.
 *
 * Matching never uses a regular expression: destinations come from clients (up to 64 KiB), and a
 * backtracking regex with several `.*` can take time exponential in the number of stars. Coverage
 * has a work budget: a subscription too intricate to decide within it (thousands of wildcards) is denied.
 */
import { globMatches, isPattern, TOPIC_PREFIX } from '../protocol/destination.js';
/**
 * Work (automaton states stepped) before coverage gives up and denies: a bound on the time a hostile
 * subscription can cost (tens of ms at worst, cold). Real subscriptions need a few hundred units.
 */
const MAX_WORK = 20_000;

/** Whether one of `patterns` allows `destination` (for a wildcard subscription: all it can match). */
export function patternsAllow(patterns: readonly string[], destination: string): boolean {
  if (isPattern(destination)) return patternsCover(patterns, destination);
  return patterns.some((p) => globMatches(p, destination));
}

/**
 * Whether every topic name the subscription pattern matches (RabbitMQ rules: `*` one word, `#`/`>` zero
 * or more, words separated by `.`) is matched by at least one of `patterns`. Decided exactly by running
 * both as automata, one step per character some state looks for plus one standing for all others,
 * looking for a name the subscription matches and no pattern does.
 */
export function patternsCover(patterns: readonly string[], subscription: string): boolean {
  if (patterns.some(coversAllTopics)) return true; // `*`, `/topic/*`: no need to spend the budget
  const words = subscription.slice(TOPIC_PREFIX.length).split('.');
  const sub = new SubscriptionAutomaton(words);
  const globs = new GlobAutomaton(patterns);
  let start = globs.start();
  for (const c of TOPIC_PREFIX) start = globs.step(start, c);
  const other = freshChar(patterns, words);
  const seen = new Set<string>();
  const todo: Array<[string[], number[]]> = [];
  const visit = (a: string[], b: number[]): void => {
    const key = a.join('|') + '#' + b.join('|');
    if (a.length > 0 && !seen.has(key)) todo.push([a, b]), seen.add(key);
  };
  visit(sub.start(), start);
  let work = 0;
  while (todo.length > 0) {
    const [a, b] = todo.pop()!;
    if (sub.accepts(a) && !globs.accepts(b)) return false;
    for (const c of new Set([...sub.nextChars(a), ...globs.nextChars(b), '.', other])) {
      work += a.length + b.length + 1;
      if (work > MAX_WORK) return false;
      const next = sub.step(a, c);
      if (next.length > 0) visit(next, globs.step(b, c));
    }
  }
  return true;
}

/** Whether a pattern is a prefix of `/topic/` followed by stars only, so it matches every topic. */
function coversAllTopics(pattern: string): boolean {
  const literal = pattern.replace(/\*+$/, '');
  return literal !== pattern && !literal.includes('*') && TOPIC_PREFIX.startsWith(literal);
}

/** A character no pattern or word mentions: it stands for every character no state looks for. */
function freshChar(patterns: readonly string[], words: string[]): string {
  const chars = new Set<string>(['.']);
  for (const text of [...patterns, ...words]) for (const c of text) chars.add(c);
  let code = 1;
  while (chars.has(String.fromCharCode(code))) code++;
  return String.fromCharCode(code);
}

/**
 * The subscription as a character automaton. States: `L,i,j` (in word i, a literal, j characters
 * matched), `S,i` (in the one word `*` at i takes), `H,i` (in a word `#` at i takes). A `.` ends a word.
 */
class SubscriptionAutomaton {
  constructor(private readonly words: string[]) {}

  start(): string[] {
    return this.enterWord(new Set([0]));
  }

  step(states: string[], c: string): string[] {
    if (c === '.') return this.enterWord(this.leaveWord(states));
    const next = new Set<string>();
    for (const s of states) {
      const [kind, i, j] = s.split(',');
      if (kind !== 'L') next.add(s);
      else if (this.words[Number(i)][Number(j)] === c) next.add(`L,${i},${Number(j) + 1}`);
    }
    return [...next].sort();
  }

  accepts(states: string[]): boolean {
    return this.closure(this.leaveWord(states)).has(this.words.length);
  }

  /** The characters these states look for; any other non-dot character acts alike. */
  nextChars(states: string[]): string[] {
    return states.flatMap((s) => {
      const [kind, i, j] = s.split(',');
      return kind === 'L' && Number(j) < this.words[Number(i)].length ? [this.words[Number(i)][Number(j)]] : [];
    });
  }

  /** Word positions reached when the current word ends. */
  private leaveWord(states: string[]): Set<number> {
    const positions = new Set<number>();
    for (const s of states) {
      const [kind, i, j] = s.split(',');
      if (kind === 'H') positions.add(Number(i));
      else if (kind === 'S' || this.words[Number(i)].length === Number(j)) positions.add(Number(i) + 1);
    }
    return positions;
  }

  /** In-word states when a word starts at any of `positions`. */
  private enterWord(positions: Set<number>): string[] {
    const states: string[] = [];
    for (const i of this.closure(positions)) {
      if (i >= this.words.length) continue;
      const w = this.words[i];
      states.push(isHash(w) ? `H,${i}` : w === '*' ? `S,${i}` : `L,${i},0`);
    }
    return states.sort();
  }

  /** `#` may take no word at all: a position before it also stands after it. */
  private closure(positions: Set<number>): Set<number> {
    const out = new Set<number>();
    for (let i of positions) {
      out.add(i);
      while (i < this.words.length && isHash(this.words[i])) out.add(++i);
    }
    return out;
  }
}

function isHash(word: string | undefined): boolean {
  return word === '#' || word === '>';
}

/** The union of the glob patterns as one character automaton; state g·stride + pos = pattern g at pos. */
class GlobAutomaton {
  private readonly stride: number;

  constructor(private readonly globs: readonly string[]) {
    this.stride = Math.max(0, ...globs.map((g) => g.length)) + 1;
  }

  start(): number[] {
    return this.closure(this.globs.map((_, g) => g * this.stride));
  }

  step(states: number[], c: string): number[] {
    const next: number[] = [];
    for (const s of states) {
      const ch = this.globs[Math.floor(s / this.stride)][s % this.stride];
      if (ch === '*') next.push(s);
      else if (ch === c) next.push(s + 1);
    }
    return this.closure(next);
  }

  /** The literal characters these states look for; any other character acts alike. */
  nextChars(states: number[]): string[] {
    return states.flatMap((s) => {
      const ch = this.globs[Math.floor(s / this.stride)][s % this.stride];
      return ch === undefined || ch === '*' ? [] : [ch];
    });
  }

  accepts(states: number[]): boolean {
    return states.some((s) => s % this.stride === this.globs[Math.floor(s / this.stride)].length);
  }

  /** A `*` may match nothing: a position before it also stands after it. */
  private closure(states: number[]): number[] {
    const out = new Set<number>();
    for (let s of states) {
      const glob = this.globs[Math.floor(s / this.stride)];
      out.add(s);
      while (glob[s % this.stride] === '*') out.add(++s);
    }
    return [...out].sort((x, y) => x - y);
  }
}
