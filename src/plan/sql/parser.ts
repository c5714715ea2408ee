import { ParseError } from '../../errors.ts';
import { type DataType, array, decimal, map } from '../../data/types.ts';
import { lookupFunction } from '../../exec/functions/registry.ts';
import type { AggFn, BinaryOp, Expr, GeneratorFn } from '../expr.ts';
import { PERCENTILE_ACCURACY } from '../../exec/aggregate/aggregators.ts';
import { type Token, tokenize } from './lexer.ts';
import { numberLiteral } from './number-literal.ts';
import { parseInterval } from '../../util/interval.ts';
import { sizedTypes, sqlType, sqlTypeNames } from './sql-types.ts';

/**
 * Spark SQL expressions (expr(), selectExpr(), filter('amount > 10')) into the Expr tree the
 * Column API builds, so both bind, type-check and name columns the same way.
 *
 * Hand-rolled as a Pratt parser rather than generated, because: the grammar is one expression
 * with a dozen precedence levels, which a binding-power table states directly (Spark's own
 * SqlBaseParser.g4 orders them the same way); errors must point at a position in the user's
 * string and say what was expected, which a hand parser does with no error-recovery plumbing;
 * Spark's oddities (`NOT` binding looser than `=`, `BETWEEN`'s inner AND, keywords that are also
 * column names, `count(*)`) are one branch each rather than grammar tricks; and it adds no runtime
 * dependency or build step. It runs once per query when the plan is built, never per row: a
 * 136-character CASE/BETWEEN/LIKE/CAST expression parses in about 30 µs once warm (lexing is 12 µs
 * of that), which is noise beside one micro-batch; test/sql-expr.test.ts measures it.
 */

/** Binding powers, loosest first, after Spark's precedence table (docs: sql-ref-operators). */
const BP = { or: 10, and: 20, not: 25, compare: 30, additive: 60, multiplicative: 70, unary: 80, postfix: 90 } as const;

const comparisons: Record<string, BinaryOp> = { '=': 'eq', '==': 'eq', '!=': 'neq', '<>': 'neq', '<': 'lt', '<=': 'leq', '>': 'gt', '>=': 'geq' };
const additive: Record<string, BinaryOp> = { '+': 'plus', '-': 'minus' };
const multiplicative: Record<string, BinaryOp> = { '*': 'multiply', '/': 'divide', '%': 'mod' };

/** Aggregates are their own node (plan/expr.ts AggExpr), not registry functions. */
const aggregates: Record<string, AggFn> = {
  sum: 'sum', count: 'count', avg: 'avg', mean: 'avg', min: 'min', max: 'max', first: 'first', last: 'last',
  approx_count_distinct: 'approx_count_distinct', collect_list: 'collect_list', collect_set: 'collect_set',
  stddev: 'stddev', std: 'std', stddev_samp: 'stddev_samp', stddev_pop: 'stddev_pop', variance: 'variance', var_samp: 'var_samp',
  var_pop: 'var_pop', skewness: 'skewness', kurtosis: 'kurtosis', max_by: 'max_by', min_by: 'min_by',
  percentile_approx: 'percentile_approx', approx_percentile: 'approx_percentile',
};

/** How many arguments each aggregate takes beyond 1: [least, most]. */
const aggArity: Partial<Record<AggFn, readonly [number, number]>> = {
  max_by: [2, 2], min_by: [2, 2], percentile_approx: [2, 3], approx_percentile: [2, 3], count_distinct: [1, Infinity],
};

/** Generators are their own node too: a row becomes several (plan/plan-generate.ts). */
const generators: Record<string, GeneratorFn> = {
  explode: 'explode', explode_outer: 'explode_outer', posexplode: 'posexplode', posexplode_outer: 'posexplode_outer',
  json_tuple: 'json_tuple',
};

/** Words that end or join expressions: unquoted, they are never column names (backquote them to be). */
const reserved = new Set(['and', 'or', 'not', 'in', 'is', 'between', 'like', 'rlike', 'case', 'when', 'then', 'else', 'end', 'as', 'cast', 'distinct', 'from', 'null', 'true', 'false']);

export interface ParseOptions {
  /** selectExpr() allows `expr AS name` (or `expr name`) and `*` at the top; filter() does not. */
  readonly allowAlias?: boolean;
}

/** Parse one Spark SQL expression; a ParseError points at the first token that does not fit. */
export function parseSqlExpr(text: string, options: ParseOptions = {}): Expr {
  return new Parser(text).parseTop(options.allowAlias ?? false);
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  constructor(private readonly text: string) { this.tokens = tokenize(text); }

  private atEnd(): boolean { return this.tok.kind === 'eof'; }
  private get tok(): Token { return this.tokens[this.i]!; }
  private peek(k = 1): Token { return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!; }
  private next(): Token { const t = this.tok; if (t.kind !== 'eof') this.i++; return t; }

  private fail(expected: string, t: Token = this.tok): never {
    throw new ParseError(`Syntax error in SQL expression: expected ${expected}, found ${describe(t)}`, this.text, t.pos);
  }
  private number(text: string, t: Token): Expr {
    const lit = numberLiteral(text);
    if (typeof lit === 'string') throw new ParseError(lit, this.text, t.pos);
    return lit;
  }
  private isKw(word: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && !t.quoted && t.text.toLowerCase() === word;
  }
  private isOp(op: string, t: Token = this.tok): boolean { return t.kind === 'op' && t.text === op; }
  private eatKw(word: string): boolean { if (this.isKw(word)) { this.i++; return true; } return false; }
  private eatOp(op: string): boolean { if (this.isOp(op)) { this.i++; return true; } return false; }
  private expectKw(word: string): void { if (!this.eatKw(word)) this.fail(word.toUpperCase()); }
  private expectOp(op: string, what = `'${op}'`): void { if (!this.eatOp(op)) this.fail(what); }

  parseTop(allowAlias: boolean): Expr {
    if (this.tok.kind === 'eof') this.fail('an expression');
    let e = this.expr(0);
    if (e.op === 'star' && !allowAlias) this.fail('an expression, not *', this.tokens[0]);
    if (allowAlias) {
      const t = this.tok;
      if (this.eatKw('as') || (t.kind === 'ident' && (t.quoted || !reserved.has(t.text.toLowerCase())))) {
        const name = this.tok;
        if (name.kind !== 'ident' || (!name.quoted && reserved.has(name.text.toLowerCase()))) this.fail('an alias name');
        this.i++;
        e = { op: 'alias', child: e, name: name.text };
      }
    }
    if (!this.atEnd()) this.fail(allowAlias ? 'an operator, AS alias, or the end of the expression' : 'an operator or the end of the expression');
    return e;
  }

  /** Parse while the next operator binds tighter than `minBp` (left-associative). */
  private expr(minBp: number): Expr {
    let left = this.prefix();
    for (;;) {
      const t = this.tok;
      if (this.isKw('or') && BP.or > minBp) { this.i++; left = bin('or', left, this.expr(BP.or)); continue; }
      if (this.isKw('and') && BP.and > minBp) { this.i++; left = bin('and', left, this.expr(BP.and)); continue; }
      if (BP.compare > minBp) {
        if (t.kind === 'op' && comparisons[t.text]) { this.i++; left = bin(comparisons[t.text]!, left, this.expr(BP.compare)); continue; }
        if (t.kind === 'op' && t.text === '<=>') this.fail('a comparison other than <=> (null-safe equality is not supported yet)');
        const predicate = this.predicate(left);
        if (predicate) { left = predicate; continue; }
      }
      if (BP.additive > minBp && t.kind === 'op') {
        if (additive[t.text]) { this.i++; left = bin(additive[t.text]!, left, this.expr(BP.additive)); continue; }
        if (t.text === '||') { this.i++; left = { op: 'call', name: 'concat', args: [left, this.expr(BP.additive)] }; continue; }
      }
      if (BP.multiplicative > minBp && t.kind === 'op' && multiplicative[t.text]) {
        this.i++; left = bin(multiplicative[t.text]!, left, this.expr(BP.multiplicative)); continue;
      }
      if (BP.postfix > minBp && t.kind === 'op') {
        if (t.text === '.') { left = this.fieldAccess(left); continue; }
        if (t.text === '::') { this.i++; left = { op: 'cast', child: left, to: this.dataType() }; continue; }
        if (t.text === '[') {
          // Spark's subscript: arr[i] is 0-based (GetArrayItem, null out of range); s['f'] a struct field.
          this.i++;
          const key = this.expr(0);
          this.expectOp(']', "']'");
          left = key.op === 'lit' && typeof key.value === 'string'
            ? { op: 'getField', child: left, name: key.value }
            : { op: 'call', name: 'get', args: [left, key] };
          continue;
        }
        if (t.text === '&' || t.text === '|' || t.text === '^') this.fail('an operator (bitwise operators are not supported yet)');
      }
      return left;
    }
  }

  /** [NOT] IN / BETWEEN / LIKE / RLIKE, IS [NOT] NULL after `left`, or null when none follows. */
  private predicate(left: Expr): Expr | null {
    const start = this.i;
    if (this.eatKw('is')) {
      const negate = this.eatKw('not');
      this.expectKw('null');
      return { op: 'call', name: negate ? 'isnotnull' : 'isnull', args: [left] };
    }
    const negate = this.eatKw('not');
    let e: Expr;
    if (this.eatKw('in')) {
      this.expectOp('(', "'(' after IN");
      const values: Expr[] = [];
      do values.push(this.expr(0)); while (this.eatOp(','));
      this.expectOp(')', "',' or ')'");
      e = { op: 'isin', child: left, values };
    } else if (this.eatKw('between')) {
      const lo = this.expr(BP.compare);
      this.expectKw('and');
      const hi = this.expr(BP.compare);
      e = between(left, lo, hi);
    } else if (this.isKw('like') || this.isKw('rlike') || this.isKw('regexp')) {
      const name = this.next().text.toLowerCase() === 'like' ? 'like' : 'rlike';
      e = { op: 'call', name, args: [left, this.expr(BP.compare)] };
    } else {
      if (negate) { this.i = start + 1; this.fail('IN, BETWEEN, LIKE or RLIKE after NOT'); }
      return null;
    }
    return negate ? { op: 'call', name: 'not', args: [e] } : e;
  }

  private prefix(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'eof': return this.fail('an expression');
      case 'num': {
        this.i++; return this.number(t.text, t); }
      case 'str': this.i++; return { op: 'lit', value: t.value };
      case 'op': {
        if (t.text === '(') { this.i++; const e = this.expr(0); this.expectOp(')', "')'"); return e; }
        if (t.text === '-' || t.text === '+') {
          this.i++;
          // Spark's grammar reads `-` before a number as part of the literal: -2147483648 is an int.
          const n = this.tok;
          if (t.text === '-' && n.kind === 'num') { this.i++; return this.number(`-${n.text}`, n); }
          const e = this.expr(BP.unary);
          if (t.text === '+') return e;
          if (e.op === 'lit' && (typeof e.value === 'number' || typeof e.value === 'bigint')) return { ...e, value: -e.value };
          return { op: 'call', name: 'negative', args: [e] };
        }
        if (t.text === '!') { this.i++; return { op: 'call', name: 'not', args: [this.expr(BP.not)] }; }
        if (t.text === '*') { this.i++; return { op: 'star' }; }
        return this.fail('an expression');
      }
      case 'ident': {
        if (!t.quoted) {
          const w = t.text.toLowerCase();
          if (w === 'null') { this.i++; return { op: 'lit', value: null }; }
          if (w === 'true' || w === 'false') { this.i++; return { op: 'lit', value: w === 'true' }; }
          if (w === 'not') { this.i++; return { op: 'call', name: 'not', args: [this.expr(BP.not)] }; }
          if (w === 'case') return this.caseWhen();
          if (w === 'cast' && this.isOp('(', this.peek())) return this.cast();
          if (w === 'interval') return this.interval();
          if (this.isOp('(', this.peek())) return this.call();
          // Spark SQL's CURRENT_DATE and CURRENT_TIMESTAMP without parentheses (the SQL standard's form).
          if ((w === 'current_date' || w === 'current_timestamp') && !this.isOp('.', this.peek())) {
            this.i++;
            return { op: 'call', name: w, args: [], orColumn: t.text };
          }
          if (reserved.has(w)) return this.fail('an expression');
        }
        return this.columnRef();
      }
    }
  }

  /**
   * INTERVAL 5 SECONDS, INTERVAL '5' HOUR, INTERVAL 1 DAY 2 HOURS, INTERVAL '1 2:3:4' DAY TO SECOND,
   * INTERVAL '1-2' YEAR TO MONTH: value-unit pairs (a value may be quoted or signed), read by
   * util/interval.ts as withWatermark delays are.
   */
  private interval(): Expr {
    const start = this.next();
    const parts: string[] = ['INTERVAL'];
    const value = (): boolean => {
      const t = this.tok;
      const signed = this.isOp('-') || this.isOp('+');
      const v = signed ? this.peek() : t;
      if (v.kind !== 'num' && v.kind !== 'str') return false;
      if (signed) { this.i++; parts.push((t as Extract<Token, { kind: 'op' }>).text + (v.kind === 'num' ? v.text : v.text)); } else parts.push(v.kind === 'num' ? v.text : v.text);
      this.i++;
      return true;
    };
    if (!value()) this.fail("an interval value after INTERVAL, like INTERVAL 5 MINUTES or INTERVAL '1' HOUR");
    do {
      const u = this.tok;
      if (u.kind !== 'ident' || u.quoted) this.fail('an interval unit (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR …)');
      parts.push(u.text.toUpperCase());
      this.i++;
      if (this.tok.kind === 'ident' && this.tok.text.toLowerCase() === 'to') {
        this.i++;
        const to = this.tok;
        if (to.kind !== 'ident') this.fail('an interval unit after TO');
        parts.push('TO', to.text.toUpperCase());
        this.i++;
      }
    } while (value());
    const text = parts.join(' ');
    const i = parseInterval(text, (why) => {
      throw new ParseError(`Invalid INTERVAL literal ${text}: ${why}. Write it like INTERVAL 5 MINUTES, INTERVAL '1' HOUR or INTERVAL '1 2:3:4' DAY TO SECOND.`, this.text, start.pos);
    });
    return { op: 'interval', months: i.months, days: i.days, ms: i.ms, text };
  }

  /** a, a.b.c, `a.b`.c, a.* : a dotted name resolves as a column, then fields of it (Spark's rules). */
  private columnRef(): Expr {
    const first = this.next() as Extract<Token, { kind: 'ident' }>;
    const parts = [first.text];
    let quoted = first.quoted;
    while (this.isOp('.') && this.peek().kind === 'ident') {
      this.i++;
      const p = this.next() as Extract<Token, { kind: 'ident' }>;
      parts.push(p.text); quoted ||= p.quoted;
    }
    if (this.isOp('.') && this.isOp('*', this.peek())) { this.i += 2; return { op: 'star', qualifier: parts.join('.') }; }
    // Unquoted a.b.c goes to the analyzer whole (it resolves a column 'a.b' before a field b of a);
    // a backquoted part is a name of its own, so the rest are fields of it.
    if (!quoted) return { op: 'col', name: parts.join('.') };
    return parts.slice(1).reduce<Expr>((e, name) => ({ op: 'getField', child: e, name }), { op: 'col', name: parts[0]! });
  }

  private fieldAccess(left: Expr): Expr {
    this.i++; // '.'
    const t = this.tok;
    if (t.kind !== 'ident') this.fail('a field name after .');
    this.i++;
    return { op: 'getField', child: left, name: t.text };
  }

  private call(): Expr {
    const nameTok = this.next();
    const name = nameTok.text.toLowerCase();
    this.i++; // '('
    // count(DISTINCT a, b) is exact count_distinct; other DISTINCT aggregates are not there yet.
    const distinct = name === 'count' && this.isKw('distinct');
    if (distinct) this.i++;
    else if (this.isKw('distinct')) this.fail(`an argument of ${name}() (of the DISTINCT aggregates only count(DISTINCT ...) is supported)`);
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do {
        if (this.isOp('*') && (this.isOp(')', this.peek()))) {
          if (name !== 'count') this.fail(`an argument of ${name}(); only count(*) takes *`);
          this.i++; args.push({ op: 'star' });
        } else args.push(this.expr(0));
      } while (this.eatOp(','));
    }
    this.expectOp(')', "',' or ')'");
    const agg = distinct ? 'count_distinct' : aggregates[name];
    if (agg) {
      const [least, most] = aggArity[agg] ?? [1, 1];
      if (args.length < least || args.length > most || (distinct && args.some((x) => x.op === 'star'))) {
        const want = least === most ? `${least}` : most === Infinity ? `${least} or more` : `${least} to ${most}`;
        throw new ParseError(`${distinct ? 'count(DISTINCT ...)' : `${name}()`} takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`, this.text, nameTok.pos);
      }
      const a = args[0]!;
      if (args.length > 1) {
        // percentile_approx(x, p) gets Spark's default accuracy, so its name reads as Spark's.
        const more = agg === 'approx_percentile' || agg === 'percentile_approx'
          ? [args[1]!, args[2] ?? { op: 'lit' as const, value: PERCENTILE_ACCURACY }] : args.slice(1);
        return { op: 'agg', agg: { fn: agg, child: a, args: more } };
      }
      if (distinct) return { op: 'agg', agg: { fn: agg, child: a } };
      // count(*) and count(1) count rows, as in Spark.
      const rows = agg === 'count' && (a.op === 'star' || (a.op === 'lit' && a.value !== null));
      return { op: 'agg', agg: { fn: agg, child: rows ? null : a } };
    }
    const gen = generators[name];
    if (gen === 'json_tuple') return { op: 'generator', fn: gen, child: { op: 'call', name, args } };
    if (gen) {
      if (args.length !== 1) throw new ParseError(`${name}() takes 1 argument, got ${args.length}`, this.text, nameTok.pos);
      return { op: 'generator', fn: gen, child: args[0]! };
    }
    if (!lookupFunction(name)) throw new ParseError(`Undefined function '${name}'`, this.text, nameTok.pos);
    return { op: 'call', name, args };
  }

  /** CASE WHEN c THEN v ... [ELSE e] END, or CASE x WHEN v THEN r ... (as x = v): the casewhen function. */
  private caseWhen(): Expr {
    this.i++; // CASE
    const subject = this.isKw('when') ? null : this.expr(0);
    const args: Expr[] = [];
    if (!this.isKw('when')) this.fail('WHEN');
    while (this.eatKw('when')) {
      const c = this.expr(0);
      this.expectKw('then');
      args.push(subject ? bin('eq', subject, c) : c, this.expr(0));
    }
    if (this.eatKw('else')) args.push(this.expr(0));
    if (!this.eatKw('end')) this.fail(args.length % 2 ? 'END' : 'WHEN, ELSE or END');
    return { op: 'call', name: 'casewhen', args };
  }

  private cast(): Expr {
    this.i += 2; // CAST (
    const child = this.expr(0);
    this.expectKw('as');
    const to = this.dataType();
    this.expectOp(')', "')'");
    return { op: 'cast', child, to };
  }

  private dataType(): DataType {
    const t = this.tok;
    if (t.kind === 'ident' && t.text.toLowerCase() === 'array' && this.isOp('<', this.peek())) {
      this.i += 2;
      const el = this.dataType();
      this.expectOp('>', "'>'");
      return array(el);
    }
    if (t.kind === 'ident' && t.text.toLowerCase() === 'map' && this.isOp('<', this.peek())) {
      this.i += 2;
      const k = this.dataType();
      this.expectOp(',', "','");
      const v = this.dataType();
      this.expectOp('>', "'>'");
      return map(k, v);
    }
    const type = t.kind === 'ident' ? sqlType(t.text) : undefined;
    if (!type) this.fail(`a type name (${sqlTypeNames().join(', ')})`);
    this.i++;
    const sizes: number[] = [];
    if (sizedTypes.has(t.text.toLowerCase()) && this.eatOp('(')) {
      do {
        const n = this.next();
        if (n.kind !== 'num' || !/^\d+$/.test(n.text)) this.fail('a number', this.tokens[this.i - 1]);
        sizes.push(Number(n.text));
      } while (this.eatOp(','));
      this.expectOp(')', "')'");
    }
    // DECIMAL, DECIMAL(p), DECIMAL(p, s): Spark's default is decimal(10, 0).
    if (type!.kind === 'decimal') {
      try { return decimal(sizes[0] ?? 10, sizes[1] ?? 0); } catch (e) { return this.fail((e as Error).message, t); }
    }
    return type!;
  }
}

function bin(fn: BinaryOp, left: Expr, right: Expr): Expr {
  return { op: 'binary', fn, left, right };
}

/** Spark parses `x BETWEEN lo AND hi` as `x >= lo AND x <= hi`, and names it so. */
export function between(x: Expr, lo: Expr, hi: Expr): Expr {
  return bin('and', bin('geq', x, lo), bin('leq', x, hi));
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  if (t.kind === 'str') return `string ${t.text}`;
  return `'${t.text}'`;
}
