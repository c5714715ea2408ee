import { sameType, type Struct, typeToString } from '../data/types.ts';
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
  /** One per input of the operator (a stream-stream join has two), each written to its own repartition topic. */
  readonly sides: readonly ShuffleSide[];
  /** The downstream stage's plan, reading `inputs` (per side, the repartition topic's rows, of its `schema`). */
  downstream(inputs: readonly LogicalPlan[]): LogicalPlan;
}

/** One input of the stateful operator, as its upstream stage writes it. */
export interface ShuffleSide {
  /** Everything below the operator on this side, with the int column SHUFFLE_HASH_COLUMN added: the upstream stage's plan. */
  readonly upstream: LogicalPlan;
  /** The columns that cross the shuffle (the upstream's output without the hash). */
  readonly schema: Struct;
  /** What the hash is over (for messages and tests): the key without its window, the dedup columns, or the join's columns. */
  readonly keys: readonly Expr[];
  /** The withWatermark below the operator, applied again over the repartition topic's rows. */
  readonly watermark: { readonly column: string; readonly delayMs: number; readonly delay: string } | null;
}

const unalias = (e: Expr): Expr => (e.op === 'alias' ? unalias(e.child) : e);

/** The cut, or null for a plan with no stateful operator (nothing to shuffle: its tasks are its input partitions). */
export function cutAtShuffle(plan: LogicalPlan): ShuffleCut | null {
  const op = firstStateful(plan);
  if (!op) return null;
  // A later operator keyed otherwise would need its own shuffle: in task q it would see only q's share.
  let stateful = 0;
  collect(plan, (p) => { if (p.kind === 'aggregate' || p.kind === 'dedup' || p.kind === 'transformWithState' || (p.kind === 'join' && isStreaming(p.right))) stateful++; });
  if (stateful > 1) {
    throw new AnalysisError(`This query chains ${stateful} stateful operators; a shuffled query takes one for now (a second shuffle, before the second operator, is not built yet: `
      + `docs/design/scale-out.md). Run the query without scale-out.`);
  }
  const inputs = op.kind === 'join' ? [op.child, op.right] : [op.child];
  const schemas = inputs.map((c) => planQuery(c).schema);
  const keys = op.kind === 'join' ? joinKeys(op, schemas[0]!, schemas[1]!) : [shuffleKeys(op, schemas[0]!)];
  const sides = inputs.map((child, i): ShuffleSide => {
    const watermark = watermarkOf(child, schemas[i]!);
    return { upstream: { kind: 'withColumn', child, name: SHUFFLE_HASH_COLUMN, expr: { op: 'call', name: 'hash', args: keys[i]! } }, schema: schemas[i]!, keys: keys[i]!, watermark };
  });
  return {
    sides,
    downstream: (input) => {
      const read = sides.map((side, i): LogicalPlan => (side.watermark ? { kind: 'watermark', child: input[i]!, ...side.watermark } : input[i]!));
      return replaceInputs(plan, op, read);
    },
  };
}

function watermarkOf(child: LogicalPlan, schema: Struct): ShuffleSide['watermark'] {
  const marks: WatermarkNode[] = [];
  collect(child, (p) => { if (p.kind === 'watermark') marks.push(p); });
  if (marks.length > 1) {
    throw new AnalysisError(`A shuffled query takes one withWatermark per input of its first stateful operator; one input has ${marks.length} `
      + `(${marks.map((m) => `'${m.column}'`).join(', ')}). The watermark crosses the shuffle as one maximum event time (docs/design/scale-out.md).`);
  }
  const mark = marks[0];
  return mark && schema.fields.some((f) => f.name === mark.column) ? { column: mark.column, delayMs: mark.delayMs, delay: mark.delay } : null;
}

/**
 * A stream-stream join's sides are hashed by its columns, with the same count of partitions, so
 * the rows of a key on both sides meet in one task. The hash depends on the type (Spark's
 * Murmur3 of an int is not that of the same long), so both sides' columns must have one type.
 */
function joinKeys(op: Extract<LogicalPlan, { kind: 'join' }>, left: Struct, right: Struct): Expr[][] {
  if (op.condition || op.on.length === 0) {
    throw new AnalysisError(`A stream-stream join on a condition cannot run shuffled yet: join on column names (df.join(other, ['id'])), so both sides are hashed by them.`);
  }
  for (const name of op.on) {
    const l = left.fields.find((f) => f.name === name), r = right.fields.find((f) => f.name === name);
    if (l && r && !sameType(l.type, r.type)) {
      throw new AnalysisError(`A shuffled stream-stream join hashes column '${name}' on both sides, but it is ${typeToString(l.type)} on the left and ${typeToString(r.type)} `
        + `on the right, which hash differently. Cast one side's column (col('${name}').cast('${typeToString(l.type)}')).`);
    }
  }
  const cols: Expr[] = op.on.map((name) => ({ op: 'col', name }));
  return [cols, cols];
}

type Stateful = Extract<LogicalPlan, { kind: 'aggregate' | 'dedup' | 'join' }>;

/** The stateful operator nearest the sources (the one whose input has none). */
function firstStateful(p: LogicalPlan): Stateful | null {
  for (const c of childrenOf(p)) {
    const below = firstStateful(c);
    if (below) return below;
  }
  switch (p.kind) {
    case 'aggregate': case 'dedup': return p;
    case 'transformWithState':
      throw new AnalysisError('transformWithState cannot run shuffled yet: only an aggregation, dropDuplicates or a stream-stream join is cut at a shuffle (docs/design/scale-out.md). Run the query without scale-out.');
    case 'join': return isStreaming(p.right) ? p : null;
    default: return null;
  }
}

/**
 * The key rows are hashed by: an aggregation's grouping keys without their windows (a sliding
 * window puts a row in several, so it cannot say where the row goes; a tumbling window alone is
 * kept, one window per row); a global aggregation (no key) sends every row to one partition, as
 * Spark's AllTuples distribution does. dropDuplicates: its columns, or all of them.
 */
function shuffleKeys(op: Extract<LogicalPlan, { kind: 'aggregate' | 'dedup' }>, schema: Struct): Expr[] {
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

function replaceInputs(p: LogicalPlan, op: Stateful, inputs: readonly LogicalPlan[]): LogicalPlan {
  if (p === op) return op.kind === 'join' ? { ...op, child: inputs[0]!, right: inputs[1]! } : { ...op, child: inputs[0]! };
  switch (p.kind) {
    case 'source': case 'static': return p;
    case 'join': case 'union': return { ...p, child: replaceInputs(p.child, op, inputs), right: replaceInputs(p.right, op, inputs) };
    default: return { ...p, child: replaceInputs(p.child, op, inputs) };
  }
}
