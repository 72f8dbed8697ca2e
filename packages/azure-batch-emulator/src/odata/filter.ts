/**
 * A small OData $filter: comparisons (eq ne gt ge lt le), and / or / not, parentheses,
 * startswith / endswith, property paths with '/', string, number, boolean, null and
 * datetime'...' literals. Strings compare case-insensitively, as Batch ids and enums do.
 */
import type { Filterable } from './filterable';

export type Predicate = (entity: object) => boolean;

type Token =
  | { t: 'id'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'date'; v: number }
  | { t: 'punc'; v: '(' | ')' | ',' | '/' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === '/') {
      out.push({ t: 'punc', v: c });
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i++];
      }
      out.push({ t: 'str', v: s });
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected '${c}'`);
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$.]*/.exec(text.slice(i))!;
      i += m[0].length;
      if (m[0].toLowerCase() === 'datetime' && text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) throw new Error('unterminated datetime literal');
        const ms = Date.parse(text.slice(i + 1, end));
        if (Number.isNaN(ms)) throw new Error('invalid datetime literal');
        out.push({ t: 'date', v: ms });
        i = end + 1;
      } else {
        out.push({ t: 'id', v: m[0] });
      }
    } else {
      throw new Error(`unexpected '${c}'`);
    }
  }
  return out;
}

type Value = string | number | boolean | null | undefined;
type Expr = (entity: object) => Value;

const COMPARISONS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

function lookup(entity: object, path: string[]): Value {
  let cur: unknown = entity;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const name =
      part in rec ? part : Object.keys(rec).find((k) => k.toLowerCase() === part.toLowerCase());
    cur = name === undefined ? undefined : rec[name];
  }
  if (cur instanceof Date) return cur.getTime();
  if (cur === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof cur)) {
    return cur as Value;
  }
  return undefined;
}

function compare(op: string, a: Value, b: Value): boolean {
  // A date property compared with an ISO string literal compares as time.
  if (typeof a === 'number' && typeof b === 'string' && !Number.isNaN(Date.parse(b)))
    b = Date.parse(b);
  if (typeof b === 'number' && typeof a === 'string' && !Number.isNaN(Date.parse(a)))
    a = Date.parse(a);
  if (typeof a === 'string' && typeof b === 'string') {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  if (op === 'eq') return a === b || (a == null && b == null);
  if (op === 'ne') return !(a === b || (a == null && b == null));
  if (a == null || b == null) return false;
  switch (op) {
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    default:
      return a <= b;
  }
}

/** A property path as written (`executionInfo/result`), when a primary was one. */
type Operand = { expr: Expr; path?: string };

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly filterable?: Filterable,
  ) {}

  /** Refuses what Batch refuses: a property it does not filter on, or an operator it does not allow. */
  private check(path: string | undefined, op: string): void {
    if (!this.filterable || path === undefined) return;
    const name = Object.keys(this.filterable).find((k) => k.toLowerCase() === path.toLowerCase());
    if (name === undefined) {
      throw new Error(
        `this list cannot be filtered on '${path}' (it can on: ${Object.keys(this.filterable).join(', ')})`,
      );
    }
    if (!this.filterable[name].includes(op)) {
      throw new Error(
        `'${op}' is not allowed on '${name}' (allowed: ${this.filterable[name].join(', ')})`,
      );
    }
  }

  parse(): Predicate {
    const e = this.or();
    if (this.i < this.tokens.length) throw new Error('unexpected text after expression');
    return (entity) => e(entity) === true;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && t.v.toLowerCase() === word;
  }
  private expectPunc(v: string): void {
    const t = this.tokens[this.i++];
    if (t?.t !== 'punc' || t.v !== v) throw new Error(`expected '${v}'`);
  }

  private or(): Expr {
    let left = this.and();
    while (this.isWord('or')) {
      this.i++;
      const l = left;
      const r = this.and();
      left = (x) => l(x) === true || r(x) === true;
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isWord('and')) {
      this.i++;
      const l = left;
      const r = this.not();
      left = (x) => l(x) === true && r(x) === true;
    }
    return left;
  }
  private not(): Expr {
    if (this.isWord('not')) {
      this.i++;
      const inner = this.not();
      return (x) => inner(x) !== true;
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.primary();
    const t = this.peek();
    if (t?.t === 'id' && COMPARISONS.includes(t.v.toLowerCase())) {
      this.i++;
      const op = t.v.toLowerCase();
      const right = this.primary();
      this.check(left.path ?? right.path, op);
      return (x) => compare(op, left.expr(x), right.expr(x));
    }
    // A bare boolean property (`enableAutoScale`) reads as `eq true`.
    this.check(left.path, 'eq');
    return left.expr;
  }
  private primary(): Operand {
    const operand = this.operand();
    return typeof operand === 'function' ? { expr: operand } : operand;
  }
  private operand(): Expr | Operand {
    const t = this.tokens[this.i++];
    if (!t) throw new Error('unexpected end of expression');
    if (t.t === 'punc' && t.v === '(') {
      const e = this.or();
      this.expectPunc(')');
      return e;
    }
    if (t.t === 'str' || t.t === 'num' || t.t === 'date') return () => t.v;
    if (t.t !== 'id') throw new Error(`unexpected '${t.v}'`);
    const word = t.v.toLowerCase();
    if (word === 'true' || word === 'false') return () => word === 'true';
    if (word === 'null') return () => null;
    const next = this.peek();
    if (next?.t === 'punc' && next.v === '(' && (word === 'startswith' || word === 'endswith')) {
      this.i++;
      // Its arguments are a property and a literal, as Batch takes them.
      const subject = this.primary();
      this.check(subject.path, word);
      const a = subject.expr;
      this.expectPunc(',');
      const b = this.primary().expr;
      this.expectPunc(')');
      return (x) => {
        const s = a(x);
        const p = b(x);
        if (typeof s !== 'string' || typeof p !== 'string') return false;
        return word === 'startswith'
          ? s.toLowerCase().startsWith(p.toLowerCase())
          : s.toLowerCase().endsWith(p.toLowerCase());
      };
    }
    const path = [t.v];
    while (this.peek()?.t === 'punc' && (this.peek() as { v: string }).v === '/') {
      this.i++;
      const part = this.tokens[this.i++];
      if (part?.t !== 'id') throw new Error('expected a property name after /');
      path.push(part.v);
    }
    return { expr: (x) => lookup(x, path), path: path.join('/') };
  }
}

/**
 * Throws an Error with a readable reason when the expression is not understood, or (given what
 * the list can be filtered on) when it uses a property or an operator Batch refuses there.
 */
export function parseFilter(text: string, filterable?: Filterable): Predicate {
  return new Parser(tokenize(text), filterable).parse();
}
