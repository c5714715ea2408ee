import { type DataType, type Struct, isNumeric, sameType, struct, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import { project } from '../exec/project.ts';
import { commonType } from '../exec/functions/type-rules.ts';
import { bindSelect } from './analyzer.ts';
import type { Expr } from './expr.ts';
import type { LogicalPlan } from './logical.ts';
import type { ChunkOperator, PhysicalPlan } from './physical-plan.ts';

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st: column k (0-based) as Spark's messages count it. */
function ordinal(k: number): string {
  const n = k + 1, teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'}`;
}
/** A type as Spark's error messages print it (toSQLType): INT, BIGINT, STRUCT<x: INT>. */
function sqlType(t: DataType): string {
  if (t.kind === 'struct') return `STRUCT<${(t as Struct).fields.map((f) => `${f.name}: ${sqlType(f.type)}`).join(', ')}>`;
  return t.kind === 'long' ? 'BIGINT' : typeToString(t).toUpperCase();
}
const rank: Record<string, number> = { int: 1, long: 2, double: 3 };

/** The type both sides' column becomes (Spark's WidenSetOperationTypes, non-ANSI), or null when there is none. */
function widen(a: DataType, b: DataType): DataType | null {
  if (sameType(a, b)) return a;
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return rank[a.kind]! >= rank[b.kind]! ? a : b;
  // A decimal widens with integers and decimals to one decimal, with a double to a double (commonType's rule).
  if ((a.kind === 'decimal' || b.kind === 'decimal') && a.kind !== 'string' && b.kind !== 'string') return commonType(a, b);
  if ((a.kind === 'date' && b.kind === 'timestamp') || (a.kind === 'timestamp' && b.kind === 'date')) return a.kind === 'timestamp' ? a : b;
  const atomic = (t: DataType): boolean => t.kind !== 'struct' && t.kind !== 'binary';
  if (a.kind === 'string' && atomic(b)) return a;
  if (b.kind === 'string' && atomic(a)) return b;
  return null;
}

/**
 * union / unionByName of two streams (Spark's Union): each side keeps its own sources and
 * stateless operators, and ends in a projection onto the common schema (names from the left side,
 * columns widened to a common type; by name, the right side's columns are picked by name and a
 * missing one is null when allowMissingColumns). Rows are not deduplicated: SQL's UNION ALL.
 *
 * The right side's withWatermark() calls keep their own event-time statistics: their positions in
 * EvalContext.eventTime come after the left side's, so its operators see the list from there on.
 */
export function planUnion(left: PhysicalPlan, right: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'union' }>): PhysicalPlan {
  const verb = p.byName ? 'unionByName' : 'union';
  if (left.sources.length === 0 || right.sources.length === 0) {
    throw new AnalysisError(`${verb}(): Union between streaming and batch DataFrames/Datasets is not supported. Join a stream with a static DataFrame instead, or read both as streams.`);
  }
  if (left.stages.length || right.stages.length) {
    throw new AnalysisError(`${verb}(): a side that aggregates or drops duplicates cannot be unioned in sluice yet. Union the inputs first, then aggregate or drop duplicates (several stateful operators may follow the union).`);
  }
  const L = left.schema.fields, R = right.schema.fields;
  const rightCols: (number | null)[] = [];
  const fields: { name: string; type: DataType }[] = [];
  if (!p.byName) {
    if (L.length !== R.length) {
      throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has ${L.length} columns and the second input has ${R.length} columns. `
        + `Use unionByName() to match columns by name.`);
    }
    L.forEach((_, k) => rightCols.push(k));
  } else {
    const byName = new Map(R.map((f, k) => [f.name.toLowerCase(), k]));
    for (const f of L) {
      const k = byName.get(f.name.toLowerCase());
      if (k === undefined && !p.allowMissingColumns) {
        throw new AnalysisError(`unionByName(): the second input has no column '${f.name}' (it has ${R.map((x) => x.name).join(', ')}). Pass allowMissingColumns = true to fill it with nulls.`);
      }
      rightCols.push(k ?? null);
    }
    const extra = R.filter((f) => !L.some((l) => l.name.toLowerCase() === f.name.toLowerCase()));
    if (extra.length && !p.allowMissingColumns) {
      throw new AnalysisError(`unionByName(): the first input has no column '${extra[0]!.name}' (it has ${L.map((x) => x.name).join(', ')}). Pass allowMissingColumns = true to fill it with nulls.`);
    }
    for (const f of extra) { rightCols.push(R.indexOf(f)); }
  }
  const leftCols: (number | null)[] = rightCols.map((_, k) => (k < L.length ? k : null));
  rightCols.forEach((rk, k) => {
    const lt = k < L.length ? L[k]!.type : null, rt = rk === null ? null : R[rk]!.type;
    const type = lt && rt ? widen(lt, rt) : (lt ?? rt)!;
    if (!type) {
      throw new AnalysisError(`[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on tables with compatible column types. The ${ordinal(k)} column of the second table is "${sqlType(rt!)}" type `
        + `which is not compatible with "${sqlType(lt!)}" at the same column of the first table.`);
    }
    fields.push({ name: k < L.length ? L[k]!.name : R[rk!]!.name, type });
  });
  const schema: Struct = struct(fields.map((f) => ({ ...f, nullable: true })));
  const conform = (side: Struct, cols: readonly (number | null)[]): ChunkOperator => {
    const exprs: Expr[] = cols.map((c, k) => {
      const value: Expr = c === null ? { op: 'lit', value: null, type: fields[k]!.type } : { op: 'col', name: side.fields[c]!.name };
      const typed: Expr = c !== null && sameType(side.fields[c]!.type, fields[k]!.type) ? value : { op: 'cast', child: value, to: fields[k]!.type };
      return { op: 'alias', child: typed, name: fields[k]!.name };
    });
    return project(schema, bindSelect(exprs, side));
  };
  const offset = left.watermarks.length;
  const shifted = (ops: readonly ChunkOperator[]): ChunkOperator[] => shiftedBranch(ops, offset);
  return {
    sources: [...left.sources, ...right.sources],
    schema,
    perSource: [
      ...left.sources.map((_, i) => [...branch(left, i), conform(left.schema, leftCols)]),
      ...right.sources.map((_, i) => [...shifted(branch(right, i)), conform(right.schema, rightCols)]),
    ],
    operators: [],
    stages: [],
    watermarks: [...left.watermarks, ...right.watermarks],
    redefinedWatermarks: [...(left.redefinedWatermarks ?? []), ...(right.redefinedWatermarks ?? [])],
  };
}

/** Source i's stateless operators in `plan`: its own branch, then the shared ones. */
export function branch(plan: PhysicalPlan, i: number): ChunkOperator[] { return [...(plan.perSource?.[i] ?? []), ...plan.operators]; }

/**
 * The operators of a second input (union's or join's right side) run as one, over a context whose
 * event-time statistics start at its own withWatermark()s, which come after the first input's `offset`: one view per chunk.
 */
export function shiftedBranch(ops: readonly ChunkOperator[], offset: number): ChunkOperator[] {
  return ops.length === 0 ? [] : [(b, ctx: EvalContext) => {
    const own: EvalContext = { ...ctx, eventTime: ctx.eventTime.slice(offset) };
    return ops.reduce((x, op) => op(x, own), b);
  }];
}
