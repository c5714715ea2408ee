import { struct, typeToString, type StructField } from '../data/types.ts';
import type { PhysicalPlan } from './physical-plan.ts';
import { planQuery } from './planner.ts';
import { type Expr, outputName } from './expr.ts';
import { type Fields, add, aggRefs, refs } from './columns-read.ts';
import { childrenOf, isStreaming, type LogicalPlan } from './logical.ts';

/**
 * Spark's OptimizeCsvJsonExprs (spark.sql.optimizer.enableJsonExpressionOptimization): a from_json
 * whose struct is read only in some fields (`e.x`, `select('e.*')` then a few of the columns) parses
 * only those; the byte scanner skips the other values without building them. The YSB shape reads 3
 * of 7 fields, and from_json was half of its batch (bench/yahoo.ts).
 *
 * Malformed records stay the same: a skipped value is still validated (scanner.ts skipValue), so
 * PERMISSIVE nulls, DROPMALFORMED and FAILFAST see the same rows, and the corrupt-record field is kept.
 *
 * What a node needs of its child is worked out top down, by column name: 'all' (every column, whole),
 * or per column 'all' or the set of its struct fields read. Anything this does not follow (a stateful
 * operator other than aggregation, a union, a stream–stream join, a star inside an expression) needs
 * 'all' of its child, so nothing under it is pruned. Over-asking is always safe; names asked for that
 * a child does not have are ignored.
 *
 * A source whose provider `readsColumns` (the nexmark generator) is told the same, and makes only
 * those: q1 and q2 read five and two bid fields, and making the rest was half their CPU.
 */
type Need = 'all' | Map<string, Fields>;

export const JSON_OPTIMIZATION_CONF = 'spark.sql.optimizer.enableJsonExpressionOptimization';

/**
 * `analysed` (planQuery(p), whose analysis errors are the user's) or, when some from_json can be
 * narrowed, the plan of the pruned query. The pruned plan must end in the same columns, stages and
 * watermarks; if it ever did not, the unpruned one runs (pruning is only ever a speed-up).
 * `keepStageInputs` (a lateRowsPath, which writes the first stateful operator's whole input rows):
 * the stateful operators' inputs must be unchanged too, else nothing is pruned.
 */
export function planWithPrunedJson(p: LogicalPlan, analysed: PhysicalPlan, keepStageInputs: boolean): PhysicalPlan {
  // A lateRowsPath writes the stateful inputs' whole rows, whose unread columns a pruned source would leave null.
  const q = pruneFromJson(p, !keepStageInputs);
  if (q === p) return analysed;
  const pruned = planQuery(q);
  const inputs = (x: PhysicalPlan): string => x.stages.map((st) => typeToString(st.operator.inputSchema)).join(';');
  const same = typeToString(pruned.schema) === typeToString(analysed.schema) && pruned.stages.length === analysed.stages.length
    && pruned.operators.length === analysed.operators.length
    && JSON.stringify(pruned.watermarks) === JSON.stringify(analysed.watermarks)
    && (!keepStageInputs || inputs(pruned) === inputs(analysed));
  return same ? pruned : analysed;
}

/** The plan with each prunable from_json narrowed to the fields its consumers read; `p` itself when none is. */
export function pruneFromJson(p: LogicalPlan, sources = true): LogicalPlan {
  return prune(p, 'all', sources);
}

/** A from_json of a struct narrowed to `fields` (and its corrupt-record field), or null when that keeps them all. */
function narrowed(e: Extract<Expr, { op: 'from_json' }>, fields: Fields | undefined): Expr | null {
  if (e.schema.kind !== 'struct' || fields === 'all') return null;
  const all = e.schema.fields;
  let keep: StructField[] = all.filter((f) => fields?.has(f.name) === true || f.name === e.corruptRecordColumn);
  // Nothing read (only counted, or a misspelt field the unpruned analysis reports): parse one field.
  if (keep.length === 0) keep = [all[0]!];
  if (keep.length === all.length || all.length === 0) return null;
  return { ...e, schema: struct(keep) };
}

function withNarrowed(e: Expr, fields: Fields | undefined): Expr | null {
  if (e.op === 'from_json') return narrowed(e, fields);
  if (e.op === 'alias' && e.child.op === 'from_json') {
    const n = narrowed(e.child, fields);
    return n && { ...e, child: n };
  }
  return null;
}

function prune(p: LogicalPlan, need: Need, sources: boolean): LogicalPlan {
  switch (p.kind) {
    case 'source':
      return sources && need !== 'all' && p.provider.readsColumns ? { ...p, readColumns: need } : p;
    case 'project': {
      // Its own expressions say what it reads, even when all its output is needed.
      const childNeed = new Map<string, Fields>();
      let whole = false, changed = false;
      const exprs = p.exprs.map((e) => {
        if (e.op === 'star') {
          // passed through by name; 'q.*' reads of q the fields named like the columns asked for
          if (need === 'all') { if (e.qualifier) add(childNeed, e.qualifier, 'all'); else whole = true; }
          else for (const [n, f] of need) { if (e.qualifier) add(childNeed, e.qualifier, n); else add(childNeed, n, f); }
          return e;
        }
        const n = need === 'all' ? null : withNarrowed(e, need.get(outputName(e)));
        if (!refs(e, childNeed)) whole = true;
        if (n) changed = true;
        return n ?? e;
      });
      const child = prune(p.child, whole ? 'all' : childNeed, sources);
      return changed || child !== p.child ? { ...p, child, exprs } : p;
    }
    case 'withColumn': {
      if (need === 'all') return p;
      const childNeed = new Map(need);
      childNeed.delete(p.name); // replaced (or added) here
      const whole = !refs(p.expr, childNeed);
      const expr = withNarrowed(p.expr, need.get(p.name)) ?? p.expr;
      const child = prune(p.child, whole ? 'all' : childNeed, sources);
      return expr !== p.expr || child !== p.child ? { ...p, child, expr } : p;
    }
    case 'filter': {
      if (need === 'all') return p;
      const childNeed = new Map(need);
      return withChild(p, refs(p.condition, childNeed) ? childNeed : 'all', sources);
    }
    case 'watermark': {
      if (need === 'all') return p;
      const childNeed = new Map(need);
      add(childNeed, p.column, 'all');
      return withChild(p, childNeed, sources);
    }
    case 'drop':
      return need === 'all' ? p : withChild(p, need, sources);
    case 'aggregate': {
      // reads its keys and aggregates, whatever is asked of its output
      const childNeed = new Map<string, Fields>();
      const ok = p.keys.every((k) => refs(k, childNeed)) && p.aggs.every((a) => aggRefs(a, childNeed));
      // and the event time of any watermark under it, by which it closes windows and evicts state
      for (const c of watermarkColumns(p.child)) add(childNeed, c, 'all');
      return withChild(p, ok ? childNeed : 'all', sources);
    }
    case 'join': {
      // a stream with a static side: the left keeps what is asked (names of the right's columns are ignored there) and the join keys
      if (need === 'all' || isStreaming(p.right)) return p;
      const childNeed = new Map(need);
      for (const k of p.on) add(childNeed, k, 'all');
      return withChild(p, p.condition && !refs(p.condition, childNeed) ? 'all' : childNeed, sources);
    }
    default:
      return p;
  }
}

function watermarkColumns(p: LogicalPlan): string[] {
  return [...(p.kind === 'watermark' ? [p.column] : []), ...childrenOf(p).flatMap(watermarkColumns)];
}

function withChild<P extends Extract<LogicalPlan, { child: LogicalPlan }>>(p: P, need: Need, sources: boolean): P {
  const child = prune(p.child, need, sources);
  return child === p.child ? p : { ...p, child };
}
