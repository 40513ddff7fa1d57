/**
 * The parsed selector: a tree the parser has already type-checked, so the evaluator never meets a
 * string where it needs a number literal. `at` is the node's source offset (for error messages).
 */
import type { LikeMatcher } from './like.js';

/** Comparison operators. */
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
/** Arithmetic operators (`%` is ActiveMQ's extension to JMS). */
export type ArithOp = '+' | '-' | '*' | '/' | '%';

/** One node of the selector tree. */
export type Node = { at: number; height: number } & (
  | { op: 'const'; value: string | number | boolean }
  | { op: 'header'; name: string }
  | { op: 'neg'; arg: Node }
  | { op: 'arith'; operator: ArithOp; left: Node; right: Node }
  | { op: 'compare'; operator: CompareOp; left: Node; right: Node }
  | { op: 'between'; not: boolean; value: Node; low: Node; high: Node }
  | { op: 'like'; not: boolean; value: Node; matcher: LikeMatcher }
  | { op: 'in'; not: boolean; value: Node; list: ReadonlySet<string> }
  | { op: 'isNull'; not: boolean; value: Node }
  | { op: 'not'; arg: Node }
  | { op: 'and' | 'or'; args: Node[] }
);

/** What a node yields, as far as the parser can tell: a header's type is only known per message. */
export type Kind = 'number' | 'string' | 'boolean' | 'header' | 'condition';

/** The static kind of `node`. */
export function kindOf(node: Node): Kind {
  switch (node.op) {
    case 'const':
      return typeof node.value === 'number' ? 'number' : typeof node.value === 'string' ? 'string' : 'boolean';
    case 'header':
      return 'header';
    case 'neg':
    case 'arith':
      return 'number';
    default:
      return 'condition';
  }
}

/** How an error message names a kind ("found a string"). */
export function kindName(kind: Kind): string {
  switch (kind) {
    case 'number': return 'a number';
    case 'string': return 'a string';
    case 'boolean': return 'TRUE or FALSE';
    case 'header': return 'a header name';
    case 'condition': return 'a condition';
  }
}

/** The direct children of `node`, to compute its height. */
export function childrenOf(node: Node): Node[] {
  switch (node.op) {
    case 'const':
    case 'header':
      return [];
    case 'neg':
    case 'not':
      return [node.arg];
    case 'arith':
    case 'compare':
      return [node.left, node.right];
    case 'between':
      return [node.value, node.low, node.high];
    case 'like':
    case 'in':
    case 'isNull':
      return [node.value];
    case 'and':
    case 'or':
      return node.args;
  }
}
