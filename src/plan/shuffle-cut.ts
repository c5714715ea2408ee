import type { Struct } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { SHUFFLE_HASH_COLUMN } from '../sinks/repartition/repartition-sink.ts';
import type { Expr } from './expr.ts';
import { childrenOf, isStreaming, type LogicalPlan } from './logical.ts';
import { planQuery } from './planner.ts';

type WatermarkNode = Extract<LogicalPlan, { kind: 'watermark' }>;

/**
 * A streaming plan cut at its first stateful operator (docs/design/scale-out.md, "Repartitioning,
 * exactly once"): the upstream stage is everything below it plus the hash of the operator's key
 * (Spark's HashPartitioning: Murmur3Hash of the keys, taken pmod the partition count by the
 * repartition sink); the downstream stage is the whole plan with that operator's input replaced
 * by the repartition topic's rows, under the same withWatermark.
 */
export interface ShuffleCut {
  /** Everything below the operator, with the int column SHUFFLE_HASH_COLUMN added: the upstream stage's plan. */
  readonly upstream: LogicalPlan;
  /** The columns that cross the shuffle (the upstream's output without the hash). */
  readonly schema: Struct;
  /** What the hash is over (for messages and tests): the key without its window, or the dedup columns. */
  readonly keys: readonly Expr[];
  /** The withWatermark below the operator, applied again over the repartition topic's rows. */
  readonly watermark: { readonly column: string; readonly delayMs: number; readonly delay: string } | null;
  /** The downstream stage's plan, reading `input` (the repartition topic's rows, of `schema`). */
  downstream(input: LogicalPlan): LogicalPlan;
}

const unalias = (e: Expr): Expr => (e.op === 'alias' ? unalias(e.child) : e);

/** The cut, or null for a plan with no stateful operator (nothing to shuffle: its tasks are its input partitions). */
export function cutAtShuffle(plan: LogicalPlan): ShuffleCut | null {
  const op = firstStateful(plan);
  if (!op) return null;
  const child = op.child;
  const schema = planQuery(child).schema;
  const keys = shuffleKeys(op, schema);
  const marks: WatermarkNode[] = [];
  collect(child, (p) => { if (p.kind === 'watermark') marks.push(p); });
  if (marks.length > 1) {
    throw new AnalysisError(`A shuffled query takes one withWatermark below its first stateful operator; this one has ${marks.length} `
      + `(${marks.map((m) => `'${m.column}'`).join(', ')}). The watermark crosses the shuffle as one maximum event time (docs/design/scale-out.md).`);
  }
  const mark = marks[0] && schema.fields.some((f) => f.name === marks[0]!.column) ? marks[0] : undefined;
  const watermark = mark ? { column: mark.column, delayMs: mark.delayMs, delay: mark.delay } : null;
  return {
    upstream: { kind: 'withColumn', child, name: SHUFFLE_HASH_COLUMN, expr: { op: 'call', name: 'hash', args: keys } },
    schema, keys, watermark,
    downstream: (input) => replaceInput(plan, op, watermark ? { kind: 'watermark', child: input, ...watermark } : input),
  };
}

type Stateful = Extract<LogicalPlan, { kind: 'aggregate' | 'dedup' }>;

/** The stateful operator nearest the sources (the one whose input has none). */
function firstStateful(p: LogicalPlan): Stateful | null {
  for (const c of childrenOf(p)) {
    const below = firstStateful(c);
    if (below) return below;
  }
  switch (p.kind) {
    case 'aggregate': case 'dedup': return p;
    case 'transformWithState':
      throw new AnalysisError('transformWithState cannot run shuffled yet: only an aggregation or dropDuplicates is cut at a shuffle (docs/design/scale-out.md). Run the query without scale-out.');
    case 'join':
      if (isStreaming(p.right)) throw new AnalysisError('A stream-stream join cannot run shuffled yet: only an aggregation or dropDuplicates is cut at a shuffle (docs/design/scale-out.md). Run the query without scale-out.');
      return null;
    default: return null;
  }
}

/**
 * The key rows are hashed by: an aggregation's grouping keys without their windows (a sliding
 * window puts a row in several, so it cannot say where the row goes; a tumbling window alone is
 * kept, one window per row); a global aggregation (no key) sends every row to one partition, as
 * Spark's AllTuples distribution does. dropDuplicates: its columns, or all of them.
 */
function shuffleKeys(op: Stateful, schema: Struct): Expr[] {
  if (op.kind === 'dedup') return (op.columns ?? schema.fieldNames()).map((name) => ({ op: 'col', name }));
  const plain = op.keys.map(unalias).filter((k) => k.op !== 'window');
  if (plain.length) return plain;
  const tumbling = op.keys.map(unalias).filter((k) => k.op === 'window' && k.kind === 'tumbling');
  return tumbling.length ? tumbling : [{ op: 'lit', value: 0 }];
}

function collect(p: LogicalPlan, f: (p: LogicalPlan) => void): void {
  f(p);
  for (const c of childrenOf(p)) collect(c, f);
}

function replaceInput(p: LogicalPlan, op: Stateful, input: LogicalPlan): LogicalPlan {
  if (p === op) return { ...op, child: input };
  switch (p.kind) {
    case 'source': case 'static': return p;
    case 'join': case 'union': return { ...p, child: replaceInput(p.child, op, input), right: replaceInput(p.right, op, input) };
    default: return { ...p, child: replaceInput(p.child, op, input) };
  }
}
