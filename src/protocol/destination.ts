/**
 * Destination names: `/topic/…` is publish-subscribe, anything else a queue (`/queue/…` by convention).
 * Topic patterns follow RabbitMQ: words separated by `.`, `*` matches one word, `#` zero or more;
 * ActiveMQ's `>` is accepted as `#`. Matching never backtracks, and costs time linear in the size of
 * the patterns it reaches and the name's words (TopicTrie), however the wildcards are mixed.
 */
import { fail } from './errors.js';

/** Prefix of publish-subscribe destinations. */
export const TOPIC_PREFIX = '/topic/';
/** A connection's private queue (RabbitMQ's and ActiveMQ's temporary queues), named as the client likes. */
export const TEMP_QUEUE_PREFIX = '/temp-queue/';
/** What a temporary queue is called for everyone else (a `reply-to` header is rewritten to it). */
export const REPLY_QUEUE_PREFIX = '/reply-queue/';
/** Prefix of a durable subscription's own queue: the broker's name, never a client's destination. */
export const DURABLE_QUEUE_PREFIX = 'durable:';
/** Longest destination accepted, in characters (RabbitMQ allows 255 bytes for a routing key). */
export const MAX_DESTINATION_LENGTH = 1024;
/** Most dot-separated words in a topic name or pattern. */
export const MAX_DESTINATION_WORDS = 128;

/** Whether `dest` names a topic (every subscriber gets a copy) rather than a queue. */
export function isTopic(dest: string): boolean {
  return dest.startsWith(TOPIC_PREFIX);
}

/** The words of a topic name or pattern, `>` read as `#`, runs of `#` merged (they match the same). */
function wordsOf(dest: string): string[] {
  const words: string[] = [];
  for (const raw of dest.slice(TOPIC_PREFIX.length).split('.')) {
    const word = raw === '>' ? '#' : raw;
    if (word === '#' && words[words.length - 1] === '#') continue;
    words.push(word);
  }
  return words;
}

/** Whether `dest` names one of this connection's temporary queues. */
export function isTempQueue(dest: string): boolean {
  return dest.startsWith(TEMP_QUEUE_PREFIX);
}

/** Whether `dest` is a temporary queue's public name: anyone may send to it, only its owner consume. */
export function isReplyQueue(dest: string): boolean {
  return dest.startsWith(REPLY_QUEUE_PREFIX);
}

/** Whether a topic destination is a pattern rather than a name. */
export function isPattern(dest: string): boolean {
  return isTopic(dest) && wordsOf(dest).some((w) => w === '*' || w === '#');
}

/** Throws BAD_DESTINATION unless `dest` is a destination the broker routes (bounded length and words). */
export function checkDestination(dest: string): void {
  if (dest.length > MAX_DESTINATION_LENGTH) {
    throw fail('BAD_DESTINATION', 'Invalid destination',
      `A destination may be at most ${MAX_DESTINATION_LENGTH} characters; this one has ${dest.length}.`);
  }
  if (isTopic(dest) && dest.split('.').length > MAX_DESTINATION_WORDS) {
    throw fail('BAD_DESTINATION', 'Invalid destination',
      `A topic may have at most ${MAX_DESTINATION_WORDS} dot-separated words.`);
  }
}

/** RabbitMQ's name for the exchange behind `/topic/`: `/exchange/amq.topic/KEY` is `/topic/KEY`. */
const TOPIC_EXCHANGE_PREFIX = '/exchange/amq.topic/';
/** RabbitMQ's name for an existing queue: `/amq/queue/NAME` is `/queue/NAME`. */
const AMQ_QUEUE_PREFIX = '/amq/queue/';

/**
 * The destination `named` stands for. RabbitMQ's names for what this broker has (`/exchange/amq.topic/KEY`,
 * `/amq/queue/NAME`) become their `/topic/` and `/queue/` names, so a client written for RabbitMQ
 * reaches the same subscribers; forms of other brokers that this one does not have (another exchange,
 * ActiveMQ's `/temp-topic/`) are refused rather than becoming a queue nobody reads.
 */
export function resolveDestination(named: string): string {
  checkDestination(named);
  const resolved = aliasOf(named);
  if (resolved !== named) checkDestination(resolved); // the /topic/ limits hold however a topic is named
  return resolved;
}

/** `named` with RabbitMQ's aliases resolved; throws for the forms this broker does not have. */
function aliasOf(named: string): string {
  const unknown = (what: string): never => {
    throw fail('BAD_DESTINATION', 'Unknown destination', `${what} Destinations here are /queue/NAME (or any name `
      + 'not starting with /topic/), /topic/NAME, /temp-queue/NAME, /exchange/amq.topic/KEY and /amq/queue/NAME.');
  };
  if (named.startsWith(TOPIC_EXCHANGE_PREFIX) && named.length > TOPIC_EXCHANGE_PREFIX.length) {
    return TOPIC_PREFIX + named.slice(TOPIC_EXCHANGE_PREFIX.length);
  }
  if (named.startsWith(AMQ_QUEUE_PREFIX) && named.length > AMQ_QUEUE_PREFIX.length) {
    return '/queue/' + named.slice(AMQ_QUEUE_PREFIX.length);
  }
  if (named.startsWith('/exchange/') || named.startsWith(AMQ_QUEUE_PREFIX)) {
    unknown(`'${named}': this broker has one exchange, amq.topic (its /topic/ destinations).`);
  }
  if (named.startsWith('/temp-topic/')) unknown(`'${named}': temporary topics are not supported.`);
  // A durable subscription's queue is reached through its SUBSCRIBE, whose rights (admin) it checks.
  if (named.startsWith(DURABLE_QUEUE_PREFIX)) unknown(`'${named}': names starting with ${DURABLE_QUEUE_PREFIX} are the broker's own.`);
  return named;
}

/** Whether `name` matches `pattern`, `*` standing for any run of characters; O(|pattern|·|name|) at worst. */
export function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether topic `name` matches subscription destination `pattern` (exact or wildcard). */
export function topicMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!isTopic(pattern) || !isTopic(name) || !isPattern(pattern)) return false;
  const trie = new TopicTrie<true>();
  trie.add(pattern, true);
  return trie.match(name).size > 0;
}

/**
 * The part of a pattern from its first `#` on, as a bit-parallel automaton: bit i of a state means
 * "the first i words of the suffix are matched". A step costs a few BigInt operations whatever the
 * suffix holds, so matching it against the rest of a name is O(words of the name).
 */
class HashSuffix<V> {
  readonly values = new Set<V>();
  private readonly hashes: bigint;
  private readonly stars: bigint;
  private readonly literals = new Map<string, bigint>();
  private readonly accept: bigint;

  /** `words` starts with `#`; runs of `#` are merged (wordsOf), so a `#` is never followed by another. */
  constructor(words: readonly string[]) {
    let hashes = 0n;
    let stars = 0n;
    words.forEach((w, i) => {
      const bit = 1n << BigInt(i);
      if (w === '#') hashes |= bit;
      else if (w === '*') stars |= bit;
      else this.literals.set(w, (this.literals.get(w) ?? 0n) | bit);
    });
    this.hashes = hashes;
    this.stars = stars;
    this.accept = 1n << BigInt(words.length);
  }

  /** Whether the suffix matches `words` from index `from` to the end. */
  matches(words: readonly string[], from: number): boolean {
    let state = this.closure(1n);
    for (let j = from; j < words.length && state !== 0n; j++) {
      const advance = state & (this.stars | (this.literals.get(words[j]) ?? 0n));
      state = this.closure((advance << 1n) | (state & this.hashes)); // a `#` also takes the word and stays
    }
    return (state & this.accept) !== 0n;
  }

  /** A `#` matches zero words too: the position after it is reached as well. */
  private closure(state: bigint): bigint {
    return state | ((state & this.hashes) << 1n);
  }
}

/**
 * One trie node: children by word (literal or `*`), the values whose pattern ends here, and the
 * patterns that go on with a `#` from here, keyed by that suffix.
 */
interface TrieNode<V> {
  children: Map<string, TrieNode<V>>;
  values: Set<V>;
  suffixes: Map<string, HashSuffix<V>>;
}

function node<V>(): TrieNode<V> {
  return { children: new Map(), values: new Set(), suffixes: new Map() };
}

/**
 * Topic patterns (and plain names) mapped to values; `match` finds every value whose pattern matches.
 * Each pattern's words up to its first `#` are a path in a trie; from the `#` on it is a HashSuffix at
 * the end of that path. Without `#` a trie node is only ever live at the name's word of its depth, so
 * a match visits each node at most once; each suffix reached costs O(words of the name). Matching is
 * thus linear in the patterns' size, never their product with the name's length, however the
 * wildcards are mixed (a trie walked as an NFA through `#` nodes took 18 s for 1,023 long patterns).
 */
export class TopicTrie<V> {
  private readonly root: TrieNode<V> = node();
  private count = 0;

  /** Number of (pattern, value) pairs held. */
  get size(): number {
    return this.count;
  }

  /** Adds the pair; false when it was there already. */
  add(pattern: string, value: V): boolean {
    const words = wordsOf(pattern);
    const hash = words.indexOf('#');
    let at = this.root;
    for (const word of hash < 0 ? words : words.slice(0, hash)) {
      let next = at.children.get(word);
      if (!next) at.children.set(word, (next = node()));
      at = next;
    }
    let values = at.values;
    if (hash >= 0) {
      const key = words.slice(hash).join('.');
      let suffix = at.suffixes.get(key);
      if (!suffix) at.suffixes.set(key, (suffix = new HashSuffix(words.slice(hash))));
      values = suffix.values;
    }
    if (values.has(value)) return false;
    values.add(value);
    this.count++;
    return true;
  }

  /** Removes the pair (false when it was not there); prunes what is left empty, so the trie never outgrows what it holds. */
  remove(pattern: string, value: V): boolean {
    const words = wordsOf(pattern);
    const hash = words.indexOf('#');
    const path: Array<[TrieNode<V>, string]> = [];
    let at = this.root;
    for (const word of hash < 0 ? words : words.slice(0, hash)) {
      const next = at.children.get(word);
      if (!next) return false;
      path.push([at, word]);
      at = next;
    }
    if (hash >= 0) {
      const key = words.slice(hash).join('.');
      const suffix = at.suffixes.get(key);
      if (!suffix?.values.delete(value)) return false;
      if (suffix.values.size === 0) at.suffixes.delete(key);
    } else if (!at.values.delete(value)) {
      return false;
    }
    this.count--;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, word] = path[i];
      const child = parent.children.get(word)!;
      if (child.values.size > 0 || child.children.size > 0 || child.suffixes.size > 0) break;
      parent.children.delete(word);
    }
    return true;
  }

  /** Every value whose pattern matches topic `name`. */
  match(name: string): Set<V> {
    const words = wordsOf(name);
    const out = new Set<V>();
    let states: Array<TrieNode<V>> = [this.root];
    for (let j = 0; ; j++) {
      for (const s of states) {
        if (s.suffixes.size === 0) continue;
        for (const suffix of s.suffixes.values()) {
          if (suffix.matches(words, j)) for (const v of suffix.values) out.add(v);
        }
      }
      if (j === words.length) break;
      const next: Array<TrieNode<V>> = [];
      for (const s of states) {
        const exact = s.children.get(words[j]);
        if (exact) next.push(exact);
        const star = s.children.get('*');
        if (star && star !== exact) next.push(star);
      }
      if (next.length === 0) return out;
      states = next;
    }
    for (const s of states) for (const v of s.values) out.add(v);
    return out;
  }
}
