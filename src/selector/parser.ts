/**
 * Recursive-descent parser for the JMS selector grammar, with JMS/SQL precedence (loosest first):
 *   OR < AND < NOT < comparison (= <> < <= > >= [NOT] LIKE/IN/BETWEEN, IS [NOT] NULL) < + - < * / % < sign.
 * It type-checks as it goes (a string literal cannot be ordered, arithmetic needs numbers …) so
 * that every mistake it can see is reported with its column instead of silently never matching.
 */
import {
  type ArithOp, type CompareOp, type Kind, type Node, childrenOf, kindName, kindOf,
} from './ast.js';
import { compileLike } from './like.js';
import { type Token, tokenize } from './lexer.js';
import { MAX_DEPTH, MAX_IN_LIST } from './limits.js';
import { clipText, columnOf, errorAt, quoteText } from './selector-error.js';

/** A node without the fields `make` fills in (Omit applied to each member of the union). */
type NodeBody = Node extends infer N ? (N extends unknown ? Omit<N, 'at' | 'height'> : never) : never;

const COMPARE_OPS: readonly string[] = ['=', '<>', '<', '<=', '>', '>='];
const ORDER_OPS: readonly string[] = ['<', '<=', '>', '>='];
const PREDICATE_KEYWORDS: readonly string[] = ['LIKE', 'IN', 'BETWEEN'];

/** The tree of `source`, or null when it has no tokens (an empty selector selects everything, as in JMS). */
export function parseSelector(source: string): Node | null {
  const parser = new Parser(source, tokenize(source));
  return parser.selector();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly source: string, private readonly tokens: Token[]) {}

  selector(): Node | null {
    if (this.peek().type === 'end') return null;
    const node = this.or();
    const t = this.peek();
    if (t.type !== 'end') this.fail(t, `expected AND, OR or the end of the selector, found ${this.describe(t)}`);
    this.requireCondition(node, '');
    return node;
  }

  private or(): Node {
    return this.logic('OR', () => this.and());
  }

  private and(): Node {
    return this.logic('AND', () => this.not());
  }

  /** `operand (KEYWORD operand)*` as one n-ary node, so long chains add one level, not one per term. */
  private logic(keyword: 'AND' | 'OR', operand: () => Node): Node {
    const first = operand();
    if (!this.isKeyword(this.peek(), keyword)) return first;
    this.requireCondition(first, ` before '${keyword}'`);
    const args = [first];
    while (this.isKeyword(this.peek(), keyword)) {
      this.next();
      args.push(this.requireCondition(operand(), ` after '${keyword}'`));
    }
    return this.make({ op: keyword === 'AND' ? 'and' : 'or', args }, first.at);
  }

  private not(): Node {
    const t = this.peek();
    if (this.isKeyword(t, 'NOT')) {
      this.next();
      const arg = this.nested(t, () => this.not());
      return this.make({ op: 'not', arg: this.requireCondition(arg, " after 'NOT'") }, t.offset);
    }
    if (!this.startsValue(t)) this.expectedHere('a condition');
    return this.predicate();
  }

  /** One comparison or test on a value; comparisons do not chain (write AND between them). */
  private predicate(): Node {
    const left = this.sum();
    const node = this.predicateOn(left);
    if (node !== left) {
      const t = this.peek();
      if (this.startsPredicate()) this.fail(t, `expected AND or OR before ${this.describe(t)}: comparisons do not chain`);
    }
    return node;
  }

  private predicateOn(left: Node): Node {
    const t = this.peek();
    if (t.type === 'op' && COMPARE_OPS.includes(t.text)) return this.comparison(left);
    if (this.isKeyword(t, 'IS')) return this.isNull(left);
    if (this.isKeyword(t, 'NOT')) {
      this.next();
      const after = this.peek();
      if (!this.isPredicateKeyword(after)) this.fail(after, `expected LIKE, IN or BETWEEN after NOT, found ${this.describe(after)}`);
      return this.negatable(left, true);
    }
    if (this.isPredicateKeyword(t)) return this.negatable(left, false);
    return left;
  }

  private comparison(left: Node): Node {
    const opToken = this.next();
    const operator = opToken.text as CompareOp;
    const right = this.sum();
    if (ORDER_OPS.includes(operator)) {
      this.requireOrderable(left, ` before '${operator}'`);
      this.requireOrderable(right, ` after '${operator}'`);
    }
    return this.make({ op: 'compare', operator, left, right }, left.at);
  }

  private isNull(value: Node): Node {
    this.next();
    let not = false;
    if (this.isKeyword(this.peek(), 'NOT')) {
      this.next();
      not = true;
    }
    const t = this.peek();
    if (!this.isKeyword(t, 'NULL')) {
      this.fail(t, `expected ${not ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS'}, found ${this.describe(t)}`);
    }
    this.next();
    return this.make({ op: 'isNull', not, value }, value.at);
  }

  private negatable(value: Node, not: boolean): Node {
    const keyword = this.next().value;
    if (keyword === 'BETWEEN') return this.between(value, not);
    if (value.op !== 'header') {
      this.fail(this.tokenAt(value.at), `expected a header name before '${keyword}', found ${kindName(kindOf(value))}`);
    }
    return keyword === 'LIKE' ? this.like(value, not) : this.inList(value, not);
  }

  private between(value: Node, not: boolean): Node {
    this.requireOrderable(value, " before 'BETWEEN'");
    const low = this.requireOrderable(this.sum(), " after 'BETWEEN'");
    const t = this.peek();
    if (!this.isKeyword(t, 'AND')) this.fail(t, `expected AND between the bounds of BETWEEN, found ${this.describe(t)}`);
    this.next();
    const high = this.requireOrderable(this.sum(), " after 'BETWEEN … AND'");
    return this.make({ op: 'between', not, value, low, high }, value.at);
  }

  private like(value: Node, not: boolean): Node {
    const pattern = this.stringLiteral('a string pattern');
    let escape: string | undefined;
    if (this.isKeyword(this.peek(), 'ESCAPE')) {
      this.next();
      const t = this.peek();
      escape = this.stringLiteral('a one-character string').value;
      if ([...escape].length !== 1) this.fail(t, `expected one character after ESCAPE, found ${quoteText(escape)}`);
    }
    const matcher = compileLike(pattern.value, escape, (detail) => this.fail(pattern.token, detail));
    return this.make({ op: 'like', not, value, matcher }, value.at);
  }

  private inList(value: Node, not: boolean): Node {
    const open = this.peek();
    if (!(open.type === 'op' && open.text === '(')) this.fail(open, `expected '(' after IN, found ${this.describe(open)}`);
    this.next();
    const list = new Set<string>();
    for (let count = 1; ; count++) {
      const item = this.stringLiteral('a string in the IN list');
      if (count > MAX_IN_LIST) this.fail(item.token, `expected at most ${MAX_IN_LIST} strings in an IN list`);
      list.add(item.value);
      const t = this.next();
      if (t.type === 'op' && t.text === ')') break;
      if (!(t.type === 'op' && t.text === ',')) this.fail(t, `expected ',' or ')' in the IN list, found ${this.describe(t)}`);
    }
    return this.make({ op: 'in', not, value, list }, value.at);
  }

  private sum(): Node {
    return this.arithmetic(['+', '-'], () => this.product());
  }

  private product(): Node {
    return this.arithmetic(['*', '/', '%'], () => this.unary());
  }

  private arithmetic(ops: readonly string[], operand: () => Node): Node {
    let left = operand();
    for (let t = this.peek(); t.type === 'op' && ops.includes(t.text); t = this.peek()) {
      this.next();
      this.requireNumber(left, ` before '${t.text}'`);
      const right = this.requireNumber(operand(), ` after '${t.text}'`);
      left = this.make({ op: 'arith', operator: t.text as ArithOp, left, right }, left.at);
    }
    return left;
  }

  private unary(): Node {
    const t = this.peek();
    if (!(t.type === 'op' && (t.text === '+' || t.text === '-'))) return this.primary();
    this.next();
    const arg = this.requireNumber(this.nested(t, () => this.unary()), ` after '${t.text}'`);
    if (t.text === '+') return { ...arg, at: t.offset };
    if (arg.op === 'const' && typeof arg.value === 'number') return this.make({ op: 'const', value: -arg.value }, t.offset);
    return this.make({ op: 'neg', arg }, t.offset);
  }

  private primary(): Node {
    const t = this.peek();
    if (t.type === 'op' && t.text === '(') {
      this.next();
      const inner = this.nested(t, () => this.or());
      const close = this.next();
      if (!(close.type === 'op' && close.text === ')')) {
        this.fail(close, `expected ')' to close the '(' at column ${columnOf(this.source, t.offset)}, found ${this.describe(close)}`);
      }
      return { ...inner, at: t.offset };
    }
    if (this.isKeyword(t, 'NULL')) this.fail(t, 'expected a value: NULL may only follow IS (x IS NULL, x IS NOT NULL)');
    if (!this.startsValue(t) || this.isKeyword(t, 'NOT')) this.expectedHere('a value');
    this.next();
    if (t.type === 'ident') return this.make({ op: 'header', name: String(t.value) }, t.offset);
    if (t.type === 'keyword') return this.make({ op: 'const', value: t.value === 'TRUE' }, t.offset);
    return this.make({ op: 'const', value: t.value }, t.offset);
  }

  /** Runs `parse` one nesting level deeper; the bound keeps the parser's recursion (and the tree) shallow. */
  private nested(t: Token, parse: () => Node): Node {
    if (++this.depth > MAX_DEPTH) this.fail(t, `expected at most ${MAX_DEPTH} levels of nesting`);
    const node = parse();
    this.depth--;
    return node;
  }

  /** A node with its offset and height; a tree taller than MAX_DEPTH is an error. */
  private make(body: NodeBody, at: number): Node {
    const node = { ...body, at, height: 0 } as Node;
    node.height = 1 + Math.max(0, ...childrenOf(node).map((c) => c.height));
    if (node.height > MAX_DEPTH) this.fail(this.tokenAt(at), `expected at most ${MAX_DEPTH} levels of nesting`);
    return node;
  }

  private stringLiteral(what: string): { value: string; token: Token } {
    const t = this.peek();
    if (t.type !== 'string') this.expectedHere(what);
    this.next();
    return { value: String(t.value), token: t };
  }

  private requireCondition(node: Node, where: string): Node {
    return this.requireKind(node, ['condition', 'boolean', 'header'], `a condition${where}`);
  }

  private requireNumber(node: Node, where: string): Node {
    return this.requireKind(node, ['number', 'header'], `a number or header name${where}`);
  }

  private requireOrderable(node: Node, where: string): Node {
    return this.requireKind(node, ['number', 'header'], `a number or header name${where}`,
      ' (only = and <> compare strings and booleans)');
  }

  private requireKind(node: Node, kinds: readonly Kind[], expected: string, hint = ''): Node {
    const kind = kindOf(node);
    if (!kinds.includes(kind)) this.fail(this.tokenAt(node.at), `expected ${expected}, found ${kindName(kind)}${hint}`);
    return node;
  }

  /** "expected X after 'prev'", naming what came instead unless the selector simply ended. */
  private expectedHere(what: string): never {
    const t = this.peek();
    const prev = this.pos > 0 ? this.tokens[this.pos - 1] : undefined;
    const after = prev === undefined ? '' : ` after ${quoteText(prev.text)}`;
    const found = t.type === 'end' && prev !== undefined ? '' : `, found ${this.describe(t)}`;
    return this.fail(t, `expected ${what}${after}${found}`);
  }

  private startsValue(t: Token): boolean {
    if (t.type === 'ident' || t.type === 'string' || t.type === 'number') return true;
    // NULL too, so that the value parser can say what NULL may be used for.
    if (t.type === 'keyword') return ['TRUE', 'FALSE', 'NOT', 'NULL'].includes(String(t.value));
    return t.type === 'op' && (t.text === '(' || t.text === '+' || t.text === '-');
  }

  private startsPredicate(): boolean {
    const t = this.peek();
    if (t.type === 'op') return COMPARE_OPS.includes(t.text);
    return this.isKeyword(t, 'IS') || this.isKeyword(t, 'NOT') || this.isPredicateKeyword(t);
  }

  private isPredicateKeyword(t: Token): boolean {
    return t.type === 'keyword' && PREDICATE_KEYWORDS.includes(String(t.value));
  }

  private isKeyword(t: Token, keyword: string): boolean {
    return t.type === 'keyword' && t.value === keyword;
  }

  private describe(t: Token): string {
    if (t.type === 'end') return 'the end of the selector';
    return t.type === 'string' ? `the string ${clipText(t.text)}` : quoteText(t.text);
  }

  private tokenAt(offset: number): Token {
    return this.tokens.find((t) => t.offset === offset) ?? this.peek();
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.type !== 'end') this.pos++;
    return t;
  }

  private fail(t: Token, detail: string): never {
    throw errorAt(this.source, t.offset, detail);
  }
}
