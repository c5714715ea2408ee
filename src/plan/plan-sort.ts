import { AnalysisError } from '../errors.ts';
import { typeToString } from '../data/types.ts';
import { concatBatches } from '../data/concat.ts';
import type { Batch } from '../data/batch.ts';
import { newEvalContext } from '../exec/compiled-expr.ts';
import { sortBatch } from '../exec/sort.ts';
import { takeBatch } from '../data/take.ts';
import { bind } from './analyzer.ts';
import type { LogicalPlan } from './logical.ts';
import { type PhysicalPlan, withOperator } from './physical-plan.ts';
import { SORT_MESSAGE } from './check-chain.ts';
import { materialize } from './plan-static.ts';

/**
 * A static plan whose rows are computed once, when first asked for: analysis (df.schema,
 * explain) never pays for a sort it does not show.
 */
function lazyStatic(child: PhysicalPlan, rows: () => Batch[]): PhysicalPlan {
  let cached: Batch[] | null = null;
  return {
    sources: [], schema: child.schema, operators: [], stages: [], watermarks: [],
    get staticBatches() { return (cached ??= rows()); },
  };
}

/**
 * orderBy()/sort(): every row of a static DataFrame, in order. A stream has no last row to sort up
 * to; as Spark, it may sort only an aggregation's output in complete mode, where each batch's output
 * is the whole result, in one chunk (hash-aggregate.ts emits one): the sort runs on that chunk,
 * and check-chain.ts refuses the other modes at start().
 */
export function planSort(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'sort' }>): PhysicalPlan {
  const keys = p.orders.map((o) => {
    const key = bind(o.child, child.schema);
    if (key.type.kind === 'struct' || key.type.kind === 'array' || key.type.kind === 'map') {
      throw new AnalysisError(`orderBy() of '${key.name}' (${typeToString(key.type)}) is not supported: sluice sorts by atomic columns (numbers, strings, booleans, dates, timestamps, decimals, binary). Sort by its fields instead.`);
    }
    return { key, ascending: o.ascending, nullsFirst: o.nullsFirst };
  });
  if (!child.staticBatches) {
    if (!child.stages.at(-1)?.traits.aggregation) throw new AnalysisError(SORT_MESSAGE);
    return { ...withOperator(child, child.schema, (b, ctx) => sortBatch(b, keys, ctx)), sortedStream: true };
  }
  return lazyStatic(child, () => {
    const all = concatBatches(child.schema, materialize(child));
    return [sortBatch(all, keys, newEvalContext())];
  });
}

/** limit(n) of a static DataFrame: its first n rows (in its order). A stream's limit is stateful in Spark; not here yet. */
export function planLimit(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'limit' }>): PhysicalPlan {
  if (!Number.isInteger(p.n) || p.n < 0) throw new AnalysisError(`limit() needs a whole number of rows ≥ 0; got ${p.n}.`);
  if (!child.staticBatches) {
    throw new AnalysisError(`limit() on a streaming DataFrame is not supported by sluice yet (Spark keeps a count in state). Limit each micro-batch in foreachBatch (batch.limit(n)), or limit when you read the output.`);
  }
  return lazyStatic(child, () => {
    const out: Batch[] = [];
    let left = p.n;
    for (const b of materialize(child)) {
      if (left <= 0) break;
      out.push(b.numRows <= left ? b : takeBatch(b, Int32Array.from({ length: left }, (_, i) => i)));
      left -= Math.min(left, b.numRows);
    }
    return out;
  });
}
