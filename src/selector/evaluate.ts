/**
 * Turns a checked selector tree into closures over a message's headers, with SQL's three-valued
 * logic: null is unknown (an absent header, or arithmetic on one), AND/OR/NOT follow the SQL truth
 * tables, and a message matches only when the whole selector is true.
 */
import type { Headers } from '../protocol/frame.js';
import type { CompareOp, Node } from './ast.js';
import { headerReader } from './headers.js';
import { compareValues, toCondition, toNumber, type Value } from './values.js';

/** Evaluates a value for one message. */
type ValueFn = (headers: Headers) => Value;
/** Evaluates a condition for one message: true, false or null (unknown). */
export type ConditionFn = (headers: Headers) => boolean | null;

/** `node`, used as a condition (a header or TRUE/FALSE alone counts as one). */
export function compileCondition(node: Node): ConditionFn {
  switch (node.op) {
    case 'not': {
      const arg = compileCondition(node.arg);
      return (h) => negate(arg(h));
    }
    case 'and':
      return all(node.args.map(compileCondition));
    case 'or':
      return any(node.args.map(compileCondition));
    case 'compare':
      return compileCompare(node.operator, compileValue(node.left), compileValue(node.right));
    case 'between':
      return compileBetween(node.not, compileValue(node.value), compileValue(node.low), compileValue(node.high));
    case 'like': {
      const { not, matcher } = node;
      const value = compileValue(node.value);
      return (h) => {
        const v = value(h);
        // ActiveMQ: a non-string (a JMS header typed as a number) is simply not LIKE anything.
        const like = v === null ? null : typeof v === 'string' && matcher.matches(v);
        return not ? negate(like) : like;
      };
    }
    default:
      return compileTest(node);
  }
}

/** IN, IS NULL, and values used as conditions. */
function compileTest(node: Node): ConditionFn {
  switch (node.op) {
    case 'in': {
      const { not, list } = node;
      const value = compileValue(node.value);
      return (h) => {
        const v = value(h);
        // ActiveMQ: IN on a non-string is unknown.
        return typeof v === 'string' ? list.has(v) !== not : null;
      };
    }
    case 'isNull': {
      const { not } = node;
      const value = compileValue(node.value);
      return (h) => (value(h) === null) !== not;
    }
    default: {
      const value = compileValue(node);
      return (h) => toCondition(value(h));
    }
  }
}

function compileValue(node: Node): ValueFn {
  switch (node.op) {
    case 'const': {
      const { value } = node;
      return () => value;
    }
    case 'header':
      return headerReader(node.name);
    case 'neg': {
      const arg = compileValue(node.arg);
      return (h) => {
        const n = toNumber(arg(h));
        return n === null ? null : -n;
      };
    }
    case 'arith':
      return compileArith(node.operator, compileValue(node.left), compileValue(node.right));
    default:
      return compileCondition(node);
  }
}

function compileArith(operator: string, left: ValueFn, right: ValueFn): ValueFn {
  const apply = ARITH[operator];
  return (h) => {
    const a = toNumber(left(h));
    if (a === null) return null;
    const b = toNumber(right(h));
    return b === null ? null : apply(a, b);
  };
}

/** Double arithmetic, as ActiveMQ's for doubles (its `/` always divides as doubles). */
const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

const ORDER: Record<CompareOp, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/** One comparison: unknown when either side is null; values that cannot be compared are unequal. */
function compare(operator: CompareOp, a: Value, b: Value): boolean | null {
  if (a === null || b === null) return null;
  const c = compareValues(a, b);
  // ActiveMQ builds <> as NOT(=), so incomparable values are "not equal" and every other test false.
  if (c === undefined) return operator === '<>';
  return ORDER[operator](c);
}

function compileCompare(operator: CompareOp, left: ValueFn, right: ValueFn): ConditionFn {
  return (h) => compare(operator, left(h), right(h));
}

/** ActiveMQ's BETWEEN: v >= low AND v <= high; NOT BETWEEN: v < low OR v > high. */
function compileBetween(not: boolean, value: ValueFn, low: ValueFn, high: ValueFn): ConditionFn {
  return (h) => {
    const v = value(h);
    const l = low(h);
    const u = high(h);
    if (not) return or(compare('<', v, l), compare('>', v, u));
    return and(compare('>=', v, l), compare('<=', v, u));
  };
}

function negate(v: boolean | null): boolean | null {
  return v === null ? null : !v;
}

function and(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function or(a: boolean | null, b: boolean | null): boolean | null {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

/** n-ary AND: false wins, then unknown; stops at the first false. */
function all(args: ConditionFn[]): ConditionFn {
  return (h) => {
    let unknown = false;
    for (const arg of args) {
      const v = arg(h);
      if (v === false) return false;
      if (v === null) unknown = true;
    }
    return unknown ? null : true;
  };
}

/** n-ary OR: true wins, then unknown; stops at the first true. */
function any(args: ConditionFn[]): ConditionFn {
  return (h) => {
    let unknown = false;
    for (const arg of args) {
      const v = arg(h);
      if (v === true) return true;
      if (v === null) unknown = true;
    }
    return unknown ? null : false;
  };
}
