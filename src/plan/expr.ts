import type { DataType, StructType } from '../data/types.ts';
import type { AggFn } from '../exec/aggregate/aggregators.ts';
import type { JsonMode } from '../formats/json/decode.ts';
import type { JsonTextOptions } from '../exec/functions/from-json.ts';
import { lookupFunction } from '../exec/functions/registry.ts';

export type { AggFn, JsonMode };

/**
 * Spark's generators (plan/plan-generate.ts): of arrays, a row becomes one row per element; json_tuple's
 * child is the call of the json_tuple function, whose struct becomes columns c0, c1, ….
 */
export type GeneratorFn = 'explode' | 'explode_outer' | 'posexplode' | 'posexplode_outer' | 'json_tuple';

/** The unresolved expression tree a user builds with `col`, `lit` and Column methods. */
export type BinaryOp = 'eq' | 'neq' | 'gt' | 'geq' | 'lt' | 'leq' | 'and' | 'or' | 'plus' | 'minus' | 'multiply' | 'divide' | 'mod';

export type Expr =
  | { readonly op: 'col'; readonly name: string }
  | { readonly op: 'star'; readonly qualifier?: string }
  /** `type` when the value alone does not say it: SQL's `1.0` is a double, though JS's 1.0 is 1. */
  | { readonly op: 'lit'; readonly value: unknown; readonly type?: DataType }
  | { readonly op: 'alias'; readonly child: Expr; readonly name: string }
  | { readonly op: 'cast'; readonly child: Expr; readonly to: DataType }
  | { readonly op: 'binary'; readonly fn: BinaryOp; readonly left: Expr; readonly right: Expr }
  /** A scalar SQL function by name (not, isnull, upper, ...): bound through exec/functions/registry.ts. */
  | {
    readonly op: 'call'; readonly name: string; readonly args: readonly Expr[];
    /** SQL's bare `current_date`: the column of this name if there is one, as Spark resolves columns first. */
    readonly orColumn?: string;
  }
  | { readonly op: 'isin'; readonly child: Expr; readonly values: readonly Expr[] }
  | { readonly op: 'getField'; readonly child: Expr; readonly name: string }
  | { readonly op: 'from_json'; readonly child: Expr; readonly schema: DataType; readonly mode: JsonMode; readonly corruptRecordColumn?: string; readonly options?: JsonTextOptions }
  /** window(t, size, slide?) / session_window(t, gap): a grouping key, the struct {start, end}. */
  | { readonly op: 'window'; readonly child: Expr; readonly kind: 'tumbling' | 'sliding' | 'session'; readonly sizeMs: number; readonly slideMs: number; readonly text: string }
  | { readonly op: 'agg'; readonly agg: AggExpr }
  /** SQL's INTERVAL literal, in Spark's CalendarInterval parts; `text` is as written, for names. */
  | { readonly op: 'interval'; readonly months: number; readonly days: number; readonly ms: number; readonly text: string }

  /** explode(arr) and friends: only at the top of a select list (one per select), as in Spark. */
  | { readonly op: 'generator'; readonly fn: GeneratorFn; readonly child: Expr }
  /** col.asc(), desc(col), asc_nulls_last(): an ordering, only in orderBy()/sort(). */
  | { readonly op: 'sortOrder'; readonly child: Expr; readonly ascending: boolean; readonly nullsFirst: boolean };


/**
 * An aggregate call: `count('*')` has no child. `args` are the arguments after the first:
 * further columns (count(DISTINCT a, b), max_by(x, ord)) or constants (percentile_approx's).
 */
export interface AggExpr { readonly fn: AggFn; readonly child: Expr | null; readonly args?: readonly Expr[]; readonly alias?: string }

const binSymbol: Record<BinaryOp, string> = {
  eq: '=', neq: '!=', gt: '>', geq: '>=', lt: '<', leq: '<=', and: 'AND', or: 'OR', plus: '+', minus: '-', multiply: '*', divide: '/', mod: '%',
};

/** Spark's SQL spelling of a type where it differs from ours. */
const sqlTypeName: Partial<Record<DataType['kind'], string>> = { int: 'INT', long: 'BIGINT', struct: 'STRUCT' };

function sqlTypeText(t: DataType): string {
  if (t.kind === 'map') return `MAP<${sqlTypeText(t.keyType)}, ${sqlTypeText(t.valueType)}>`;
  return t.kind === 'array' ? `ARRAY<${sqlTypeText(t.elementType)}>` : sqlTypeName[t.kind] ?? t.kind.toUpperCase();
}

/** Spark-like text of an expression: used for default output names and in messages. */
export function exprToString(e: Expr): string {
  switch (e.op) {
    case 'col': return e.name;
    case 'star': return e.qualifier ? `${e.qualifier}.*` : '*';
    case 'lit':
      if (e.type?.kind === 'double' && Number.isInteger(e.value)) return (e.value as number).toFixed(1);
      return typeof e.value === 'string' ? e.value : String(e.value);
    case 'alias': return e.name;
    case 'cast': return `CAST(${exprToString(e.child)} AS ${sqlTypeText(e.to)})`;
    case 'binary': return `(${exprToString(e.left)} ${binSymbol[e.fn]} ${exprToString(e.right)})`;
    case 'call': {
      // Spark's text: the function's own form if it has one ((NOT a)), else name(a, b).
      const args = e.args.map(exprToString), fn = lookupFunction(e.name);
      return fn?.sql ? fn.sql(args) : `${e.name.toLowerCase()}(${args.join(', ')})`;
    }
    case 'isin': return `(${exprToString(e.child)} IN (${e.values.map(exprToString).join(', ')}))`;
    case 'getField': return `${exprToString(e.child)}.${e.name}`;
    case 'from_json': return `from_json(${exprToString(e.child)})`;
    case 'window': return e.kind === 'session' ? 'session_window' : 'window';
    case 'agg': return e.agg.alias ?? aggName(e.agg);
    case 'interval': return e.text;
    case 'generator': return e.fn === 'json_tuple' ? exprToString(e.child) : `${e.fn}(${exprToString(e.child)})`;
    case 'sortOrder': return `${exprToString(e.child)} ${e.ascending ? 'ASC' : 'DESC'} NULLS ${e.nullsFirst ? 'FIRST' : 'LAST'}`;
  }
}

/** Output column name of an expression in a select, as Spark names it. */
export function outputName(e: Expr): string {
  if (e.op === 'col') return e.name.includes('.') ? e.name.slice(e.name.lastIndexOf('.') + 1) : e.name;
  if (e.op === 'getField') return e.name;
  if (e.op === 'alias') return e.name;
  // Spark's ResolveAliases: a cast right over a column keeps the column's name
  // (col('value').cast('string') and selectExpr('CAST(value AS STRING)') are both `value`).
  if (e.op === 'cast' && (e.child.op === 'col' || e.child.op === 'getField')) return outputName(e.child);
  return exprToString(e);
}

/** Spark's default name of an aggregate column: sum(amount), count(1), avg(x). */
export function aggName(a: AggExpr): string {
  const args = [a.child ? exprToString(a.child) : '1', ...(a.args ?? []).map(exprToString)].join(', ');
  return a.fn === 'count_distinct' ? `count(DISTINCT ${args})` : `${a.fn}(${args})`;
}

const isExpr = (v: unknown): v is Expr => v !== null && typeof v === 'object' && typeof (v as { op?: unknown }).op === 'string';

/** `e` with each direct child expression (child, left, right, args, values) replaced by `f` of it. */
export function mapChildren(e: Expr, f: (child: Expr) => Expr): Expr {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    out[k] = isExpr(v) ? f(v) : Array.isArray(v) && v.every(isExpr) && v.length ? v.map(f) : v;
  }
  return out as unknown as Expr;
}
