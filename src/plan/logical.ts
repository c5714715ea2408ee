import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { ReadColumns, SourceProvider } from '../sources/source.ts';
import type { AggExpr, Expr } from './expr.ts';
import type { TransformWithStateSpec } from '../exec/transform-with-state/transform-with-state.ts';

/** Spark's join types sluice runs: a stream with a static side takes inner and left only. */
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'leftsemi';

/** What the user asked for, before analysis: no types are known here except a source's schema. */
export type LogicalPlan =
  | { readonly kind: 'source'; readonly provider: SourceProvider; readonly options: ReadonlyMap<string, string>; readonly schema: Struct; readonly readColumns?: ReadColumns }
  /** A bounded table already in memory (createDataFrame, read.parquet, read.json). */
  | { readonly kind: 'static'; readonly schema: Struct; readonly batches: readonly Batch[]; readonly description: string }
  | { readonly kind: 'project'; readonly child: LogicalPlan; readonly exprs: readonly Expr[] }
  | { readonly kind: 'filter'; readonly child: LogicalPlan; readonly condition: Expr }
  | { readonly kind: 'withColumn'; readonly child: LogicalPlan; readonly name: string; readonly expr: Expr }
  | { readonly kind: 'drop'; readonly child: LogicalPlan; readonly names: readonly string[] }
  | { readonly kind: 'rename'; readonly child: LogicalPlan; readonly from: string; readonly to: string }
  | { readonly kind: 'watermark'; readonly child: LogicalPlan; readonly column: string; readonly delayMs: number; readonly delay: string }
  | { readonly kind: 'aggregate'; readonly child: LogicalPlan; readonly keys: readonly Expr[]; readonly aggs: readonly AggExpr[] }
  | { readonly kind: 'dedup'; readonly child: LogicalPlan; readonly columns: readonly string[] | null; readonly withinWatermark: boolean }
  | {
    readonly kind: 'join'; readonly child: LogicalPlan; readonly right: LogicalPlan; readonly on: readonly string[]; readonly how: JoinType;
    /** join(other, condition, how): a boolean expression over both sides' columns instead of `on`'s names (then empty). */
    readonly condition?: Expr;
  }
  | { readonly kind: 'transformWithState'; readonly child: LogicalPlan; readonly keys: readonly Expr[]; readonly spec: Omit<TransformWithStateSpec, 'keyColumns'> }
  | { readonly kind: 'union'; readonly child: LogicalPlan; readonly right: LogicalPlan; readonly byName: boolean; readonly allowMissingColumns: boolean }
  /** orderBy()/sort(): each order a sortOrder expression. */
  | { readonly kind: 'sort'; readonly child: LogicalPlan; readonly orders: readonly Extract<Expr, { op: 'sortOrder' }>[] }
  | { readonly kind: 'limit'; readonly child: LogicalPlan; readonly n: number };

export function childrenOf(p: LogicalPlan): LogicalPlan[] {
  switch (p.kind) {
    case 'source': case 'static': return [];
    case 'join': case 'union': return [p.child, p.right];
    default: return [p.child];
  }
}

export function sourcesOf(p: LogicalPlan): Extract<LogicalPlan, { kind: 'source' }>[] {
  return p.kind === 'source' ? [p] : childrenOf(p).flatMap(sourcesOf);
}

export function isStreaming(p: LogicalPlan): boolean {
  return sourcesOf(p).length > 0;
}
