import { typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { filterOperator, projectOperator, watermarkOperator } from './operator-spec.ts';
import { type PhysicalPlan, type ProjectedWindow, withOperator } from './physical-plan.ts';
import { type Expr, outputName } from './expr.ts';
import { isStreaming, type LogicalPlan } from './logical.ts';
import { planAggregate, watermarkColumnOf } from './plan-aggregate.ts';
import { planDedup } from './plan-dedup.ts';
import { planTransformWithState } from './plan-transform-with-state.ts';
import { planJoin } from './plan-join.ts';
import { planStreamJoin } from './plan-stream-join.ts';
import { planStatic } from './plan-static.ts';
import { planUnion } from './plan-union.ts';
import { planGenerate } from './plan-generate.ts';
import { planLimit, planSort } from './plan-sort.ts';

const colRef = (name: string): Expr => ({ op: 'col', name });

/** Analyse (resolve names, check types: errors here stop start()) and compile, bottom up. */
export function planQuery(p: LogicalPlan): PhysicalPlan {
  switch (p.kind) {
    case 'source':
      return { sources: [{ provider: p.provider, options: p.options, readColumns: p.readColumns }], schema: p.schema, operators: [], stages: [], watermarks: [] };
    case 'static':
      return planStatic(p);
    case 'project':
      return withChild(planQuery(p.child), p.exprs);
    case 'filter': {
      const child = planQuery(p.child);
      return withOperator(child, child.schema, filterOperator(child.schema, p.condition));
    }
    case 'withColumn': {
      const child = planQuery(p.child);
      const names = child.schema.fields.map((f) => f.name);
      const exprs: Expr[] = names.map((n) => (n === p.name ? { op: 'alias', child: p.expr, name: n } : colRef(n)));
      if (!names.includes(p.name)) exprs.push({ op: 'alias', child: p.expr, name: p.name });
      return withChild(child, exprs);
    }
    case 'rename': {
      const child = planQuery(p.child);
      return withChild(child, child.schema.fields.map((f) => (f.name === p.from ? { op: 'alias', child: colRef(f.name), name: p.to } : colRef(f.name))));
    }
    case 'drop': {
      const child = planQuery(p.child);
      const keep = child.schema.fields.map((f) => f.name).filter((n) => !p.names.includes(n));
      return withChild(child, keep.map(colRef));
    }
    case 'watermark': {
      const child = planQuery(p.child);
      const idx = child.schema.fields.findIndex((f) => f.name === p.column);
      if (idx < 0) throw new AnalysisError(`withWatermark('${p.column}', ...): no such column. Available columns: ${child.schema.fields.map((f) => f.name).join(', ')}.`);
      const t = child.schema.fields[idx]!.type;
      if (t.kind !== 'timestamp') throw new AnalysisError(`withWatermark('${p.column}', ...) needs a timestamp column, but '${p.column}' is ${typeToString(t)}. Cast it: col('${p.column}').cast('timestamp').`);
      if (child.stages.length) throw new AnalysisError(`withWatermark('${p.column}') must come before the aggregation or dropDuplicates it applies to.`);
      const watermarks = [...child.watermarks, { column: p.column, delayMs: p.delayMs, delay: p.delay }];
      // A second withWatermark on one stream's lineage (union keeps each side's apart).
      const redefinedWatermarks = child.watermarks.length > 0 ? [...(child.redefinedWatermarks ?? []), p.column] : child.redefinedWatermarks;
      return { ...withOperator(child, child.schema, watermarkOperator(idx, watermarks.length - 1)), watermarks, redefinedWatermarks };
    }
    case 'aggregate': return planAggregate(planQuery(p.child), p);
    case 'dedup': return planDedup(planQuery(p.child), p);
    case 'transformWithState': return planTransformWithState(planQuery(p.child), p);
    case 'join': {
      if (isStreaming(p.right)) return planStreamJoin(p, planQuery(p.child), planQuery(p.right));
      const left = planQuery(p.child);
      const j = planJoin(p, left.schema, planQuery);
      return withOperator(left, j.schema, j.operator);
    }
    case 'union': return planUnion(planQuery(p.child), planQuery(p.right), p);
    case 'sort': return planSort(planQuery(p.child), p);
    case 'limit': return planLimit(planQuery(p.child), p);
  }
}

function withChild(child: PhysicalPlan, exprs: readonly Expr[]): PhysicalPlan {
  const generated = planGenerate(child, exprs);
  if (generated) return generated;
  const { schema, op } = projectOperator(child.schema, exprs);
  return { ...withOperator(child, schema, op), windowColumns: projectedWindows(child, exprs), eventTimeColumns: projectedEventTimes(child, exprs) };
}

/**
 * Which output columns of a select() carry the watermark past a stateful operator: window_time()
 * of a window that closes with it (Spark keeps the event-time metadata on it), or such a column passed on.
 */
function projectedEventTimes(child: PhysicalPlan, exprs: readonly Expr[]): readonly string[] | undefined {
  const out: string[] = [];
  for (const e of exprs) {
    if (e.op === 'star') { if (!e.qualifier) out.push(...(child.eventTimeColumns ?? [])); continue; }
    const inner = e.op === 'alias' ? e.child : e;
    const windowTime = inner.op === 'call' && inner.name.toLowerCase() === 'window_time' && inner.args[0]?.op === 'col'
      && child.windowColumns?.get(inner.args[0].name)?.watermarked === true && child.stages.length > 0;
    if (windowTime || (inner.op === 'col' && child.eventTimeColumns?.includes(inner.name))) out.push(outputName(e));
  }
  return out.length ? out : undefined;
}

/** Which output columns of a select() are windows: made by window() here, or passed on (or renamed) from the child. */
function projectedWindows(child: PhysicalPlan, exprs: readonly Expr[]): ReadonlyMap<string, ProjectedWindow> | undefined {
  const out = new Map<string, ProjectedWindow>();
  const watermark = watermarkColumnOf(child);
  for (const e of exprs) {
    if (e.op === 'star') { if (!e.qualifier) for (const [n, w] of child.windowColumns ?? []) out.set(n, w); continue; }
    const inner = e.op === 'alias' ? e.child : e, name = outputName(e);
    if (inner.op === 'window' && inner.kind === 'tumbling') {
      out.set(name, { sizeMs: inner.sizeMs, watermarked: inner.child.op === 'col' && inner.child.name === watermark });
    } else if (inner.op === 'col') {
      const w = child.windowColumns?.get(inner.name);
      if (w) out.set(name, w);
    }
  }
  return out.size ? out : undefined;
}
