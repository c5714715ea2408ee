import { AnalysisError } from '../errors.ts';
import type { DataType, AtomicKind } from '../data/types.ts';
import { typeByName } from '../data/types.ts';
import type { BinaryOp, Expr } from '../plan/expr.ts';

export type ColumnLike = Column | string;

/** Spark's Column: a wrapper over an expression tree with Scala's method names. */
export class Column {
  constructor(readonly expr: Expr) {}

  private bin(fn: BinaryOp, other: unknown): Column {
    return new Column({ op: 'binary', fn, left: this.expr, right: toExprOrLit(other) });
  }
  equalTo(o: unknown): Column { return this.bin('eq', o); }
  eq(o: unknown): Column { return this.bin('eq', o); }
  notEqual(o: unknown): Column { return this.bin('neq', o); }
  gt(o: unknown): Column { return this.bin('gt', o); }
  geq(o: unknown): Column { return this.bin('geq', o); }
  lt(o: unknown): Column { return this.bin('lt', o); }
  leq(o: unknown): Column { return this.bin('leq', o); }
  and(o: Column): Column { return this.bin('and', o); }
  or(o: Column): Column { return this.bin('or', o); }
  plus(o: unknown): Column { return this.bin('plus', o); }
  minus(o: unknown): Column { return this.bin('minus', o); }
  multiply(o: unknown): Column { return this.bin('multiply', o); }
  divide(o: unknown): Column { return this.bin('divide', o); }
  mod(o: unknown): Column { return this.bin('mod', o); }
  not(): Column { return new Column({ op: 'call', name: 'not', args: [this.expr] }); }
  isNull(): Column { return new Column({ op: 'call', name: 'isnull', args: [this.expr] }); }
  isNotNull(): Column { return new Column({ op: 'call', name: 'isnotnull', args: [this.expr] }); }
  isin(...values: unknown[]): Column {
    const flat = values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    return new Column({ op: 'isin', child: this.expr, values: flat.map(toExprOrLit) });
  }
  /** between(lo, hi): Spark's `(x >= lo) AND (x <= hi)`, both ends included. */
  between(lowerBound: unknown, upperBound: unknown): Column { return this.geq(lowerBound).and(this.leq(upperBound)); }
  /** SQL LIKE: `_` one character, `%` any run, `\` escapes. */
  like(pattern: string): Column { return this.call('like', pattern); }
  /** A Java-style regular expression that matches anywhere in the string. */
  rlike(regex: string): Column { return this.call('rlike', regex); }
  startswith(prefix: Column | string): Column { return this.call('startswith', prefix); }
  startsWith(prefix: Column | string): Column { return this.startswith(prefix); }
  endswith(suffix: Column | string): Column { return this.call('endswith', suffix); }
  endsWith(suffix: Column | string): Column { return this.endswith(suffix); }
  /** A string literal, or another column's value, occurs in this string. */
  contains(other: Column | string): Column { return this.call('contains', other); }
  /** substr(pos, len): 1-based, by characters. */
  substr(pos: number | Column, len: number | Column): Column { return this.call('substring', pos, len); }
  /** A further branch of when(...): only on a when() chain that has no otherwise() yet. */
  when(condition: Column, value: unknown): Column {
    const e = this.caseWhen('when');
    return new Column({ op: 'call', name: 'casewhen', args: [...e.args, condition.expr, toExprOrLit(value)] });
  }
  /** The value where no when() condition holds (else null). */
  otherwise(value: unknown): Column {
    const e = this.caseWhen('otherwise');
    return new Column({ op: 'call', name: 'casewhen', args: [...e.args, toExprOrLit(value)] });
  }
  private caseWhen(method: string): Extract<Expr, { op: 'call' }> {
    const e = this.expr;
    if (e.op !== 'call' || e.name !== 'casewhen') throw new TypeError(`${method}() can only be applied on a Column built by when(), e.g. when(col('x').gt(1), 'big').${method}(...).`);
    if (e.args.length % 2 === 1) throw new TypeError(`${method}() cannot be applied once otherwise() is applied.`);
    return e;
  }
  /** A registry function with this column first; other arguments are literals unless Columns. */
  private call(name: string, ...rest: unknown[]): Column {
    return new Column({ op: 'call', name, args: [this.expr, ...rest.map(toExprOrLit)] });
  }
  alias(name: string): Column { return new Column({ op: 'alias', child: this.expr, name }); }
  /** An ordering for orderBy()/sort(), as Spark's: ascending puts nulls first, descending puts them last. */
  asc(): Column { return this.order(true, true); }
  desc(): Column { return this.order(false, false); }
  asc_nulls_first(): Column { return this.order(true, true); }
  asc_nulls_last(): Column { return this.order(true, false); }
  desc_nulls_first(): Column { return this.order(false, true); }
  desc_nulls_last(): Column { return this.order(false, false); }
  private order(ascending: boolean, nullsFirst: boolean): Column {
    const child = this.expr.op === 'sortOrder' ? this.expr.child : this.expr;
    return new Column({ op: 'sortOrder', child, ascending, nullsFirst });
  }
  as(name: string): Column { return this.alias(name); }
  name(name: string): Column { return this.alias(name); }
  cast(to: DataType | AtomicKind | string): Column {
    return new Column({ op: 'cast', child: this.expr, to: typeof to === 'string' ? typeByName(to) : to });
  }
  getField(name: string): Column { return new Column({ op: 'getField', child: this.expr, name }); }
  /**
   * Spark's getItem: an array's element at a 0-based index (null when out of range), a map's
   * value for a key (null when absent), or a struct's field by name. Written `col[0]` in SQL strings.
   */
  getItem(key: number | string | Column): Column {
    if (typeof key === 'string') return this.getField(key);
    return new Column({ op: 'call', name: 'get', args: [this.expr, toExprOrLit(key)] });
  }
  toString(): string { return `Column<${JSON.stringify(this.expr)}>`; }
}

/** A string argument names a column; '*' or 'x.*' is a star. */
export function toColumn(c: ColumnLike): Column {
  if (c instanceof Column) return c;
  if (typeof c !== 'string') throw notAColumn(c);
  if (c === '*') return new Column({ op: 'star' });
  if (c.endsWith('.*')) return new Column({ op: 'star', qualifier: c.slice(0, -2) });
  return new Column({ op: 'col', name: c });
}

/**
 * What a plain JavaScript caller gets for a value that is neither a Column nor a column name
 * (TypeScript refuses these at compile time): `col('a') * 2` is NaN in JavaScript, which has no
 * operator overloading, so say what to write instead.
 */
function notAColumn(c: unknown): AnalysisError {
  const what = typeof c === 'number' && Number.isNaN(c) ? 'NaN (arithmetic on a Column, such as col(\'amount\') * 2, gives NaN in JavaScript)'
    : c === null || c === undefined ? String(c) : `a ${typeof c} (${JSON.stringify(c)?.slice(0, 40) ?? String(c)})`;
  return new AnalysisError(`Expected a Column or a column name, got ${what}. Write col('amount').multiply(2), .plus(), .minus(), .divide(), `
    + `expr('amount * 2'), or lit(2) for a constant.`);
}

export function toExprOrLit(v: unknown): Expr {
  if (v instanceof Column) return v.expr;
  return { op: 'lit', value: v };
}
