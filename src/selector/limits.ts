/**
 * Bounds on what a client's selector may cost its own session. Every selector that compiles is
 * evaluated in time linear in the headers it reads, with small constants (see README.md here).
 */

/** Longest selector text, in UTF-16 code units (what a JS string's length counts). */
export const MAX_SELECTOR_LENGTH = 4096;
/** Deepest nesting of parentheses, NOT, signs and operators: bounds the parser's and matcher's recursion. */
export const MAX_DEPTH = 64;
/** Most string literals in one IN list. */
export const MAX_IN_LIST = 1024;
/**
 * Longest run of a LIKE pattern between `%` signs that contains `_`, in characters. Such a run is
 * found with a bit-parallel matcher whose cost per header character grows with its length / 32;
 * runs without `_` are found with KMP, linear whatever their length.
 */
export const MAX_LIKE_WILDCARD_RUN = 256;
