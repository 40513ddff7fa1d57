/**
 * Message selectors for STOMP SUBSCRIBE's `selector` header, as ActiveMQ supports them: the SQL-92
 * conditional-expression subset of JMS message selectors, evaluated over a message's headers.
 * See README.md in this folder for the language, the header mapping and the bounds.
 */
import type { Headers } from '../protocol/frame.js';
import { compileCondition } from './evaluate.js';
import { MAX_SELECTOR_LENGTH } from './limits.js';
import { parseSelector } from './parser.js';
import { errorAt } from './selector-error.js';

export { SelectorError } from './selector-error.js';

/** A compiled selector; compile once per SUBSCRIBE, call `matches` per message. */
export interface Selector {
  /** The selector text as the client sent it. */
  readonly text: string;
  /** Whether a message with these headers is selected (true only when the selector is true, not unknown). */
  matches(headers: Headers): boolean;
}

/**
 * Compiles `text`, or throws a SelectorError naming the column and what was expected there.
 * An empty (or all-blank) selector selects every message, as JMS says of an empty selector.
 */
export function compileSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw errorAt(text, MAX_SELECTOR_LENGTH, `expected at most ${MAX_SELECTOR_LENGTH} characters in a selector`);
  }
  const tree = parseSelector(text);
  if (tree === null) return { text, matches: () => true };
  const condition = compileCondition(tree);
  return { text, matches: (headers) => condition(headers) === true };
}
