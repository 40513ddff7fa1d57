/** The one error type of selector compilation: what was expected, and where (1-based column). */

/** A selector that does not compile; `column` counts characters (code points) from 1. */
export class SelectorError extends Error {
  /** Where the problem is, 1-based, in characters of the selector text. */
  readonly column: number;

  constructor(column: number, detail: string) {
    super(`selector error at column ${column}: ${detail}`);
    this.name = 'SelectorError';
    this.column = column;
  }
}

/**
 * A SelectorError for UTF-16 offset `offset` of `source`. The column counts code points, not UTF-16
 * units, so that an emoji before the problem counts as the one character its author sees.
 */
export function errorAt(source: string, offset: number, detail: string): SelectorError {
  return new SelectorError(columnOf(source, offset), detail);
}

/** The 1-based column, in code points, of UTF-16 offset `offset` of `source`. */
export function columnOf(source: string, offset: number): number {
  let column = 1;
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source.charCodeAt(i);
    // The low half of a surrogate pair is part of the character its high half started.
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && isHigh(source.charCodeAt(i - 1)))) column++;
  }
  if (offset > source.length) column += offset - source.length;
  return column;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** A piece of selector text quoted for an error message. */
export function quoteText(text: string): string {
  return `'${clipText(text)}'`;
}

/** Selector text shortened so an error message stays short, with control characters made visible. */
export function clipText(text: string): string {
  const shown = [...text];
  const clipped = shown.length > 24 ? shown.slice(0, 24).join('') + '…' : text;
  return clipped.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
