/**
 * Destination names: `/topic/…` is publish-subscribe, anything else a queue (`/queue/…` by convention).
 * Topic patterns follow RabbitMQ: words separated by `.`, `*` matches one word, `#` zero or more;
 * ActiveMQ's `>` is accepted as `#`.
 */

const TOPIC_PREFIX = '/topic/';

/** Whether a topic destination is a pattern rather than a name. */
export function isPattern(dest: string): boolean {
  if (!dest.startsWith(TOPIC_PREFIX)) return false;
  return dest.split('.').some((w, i) => {
    const word = i === 0 ? w.slice(TOPIC_PREFIX.length) : w;
    return word === '*' || word === '#' || word === '>';
  });
}

/** Whether topic `name` matches subscription destination `pattern` (exact or wildcard). */
export function topicMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith(TOPIC_PREFIX) || !name.startsWith(TOPIC_PREFIX)) return false;
  const p = pattern.slice(TOPIC_PREFIX.length).split('.');
  const n = name.slice(TOPIC_PREFIX.length).split('.');
  return matchWords(p, 0, n, 0);
}

function matchWords(p: string[], i: number, n: string[], j: number): boolean {
  if (i === p.length) return j === n.length;
  const word = p[i];
  if (word === '#' || word === '>') {
    for (let k = j; k <= n.length; k++) if (matchWords(p, i + 1, n, k)) return true;
    return false;
  }
  if (j === n.length) return false;
  return (word === '*' || word === n[j]) && matchWords(p, i + 1, n, j + 1);
}
