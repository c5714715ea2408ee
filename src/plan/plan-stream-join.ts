import { type DataType, type Struct, type StructField, double, long, sameType, string, struct, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { Bound } from '../exec/compiled-expr.ts';
import {
  SPARK_JOIN_NAME, StreamJoin, type JoinSideSpec, type OutputColumn, type StateCleanup, type StreamJoinType,
} from '../exec/stream-join/stream-join.ts';
import { bind } from './analyzer.ts';
import { type Expr, exprToString } from './expr.ts';
import { splitJoinCondition, sideOf } from './join-condition.ts';
import { stateValueWatermark } from './join-range.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan, StatefulStage } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';
import { keyDomain } from './plan-join.ts';
import { branch, shiftedBranch } from './plan-union.ts';

type JoinNode = Extract<LogicalPlan, { kind: 'join' }>;

/** The type both sides' key values are stored and compared in: int with long is long, a number with a double is double. */
function storedKeyType(l: DataType, r: DataType): DataType {
  if (l.kind === r.kind) return l;
  return l.kind === 'double' || r.kind === 'double' ? double : long;
}

function boundFilter(e: Expr | null, schema: Struct, what: string): Bound | null {
  if (!e) return null;
  const b = bind(e, schema);
  if (b.type.kind !== 'boolean') throw new AnalysisError(`join(): the condition's part ${exprToString(e)} (${what}) is ${typeToString(b.type)}, not a boolean.`);
  return b;
}

/**
 * The column of a side that carries its watermark, as Spark's event-time metadata travels: the
 * withWatermark() column, or else a window() of it that a select() made.
 */
function eventTimeColumnOf(side: PhysicalPlan): string | null {
  const own = watermarkColumnOf(side);
  if (own !== null) return own;
  const names = new Set(side.schema.fields.map((f) => f.name));
  for (const [name, w] of side.windowColumns ?? []) if (w.watermarked && names.has(name)) return name;
  return null;
}

/**
 * A join of two streams (Spark's StreamingSymmetricHashJoinExec; docs/joins.md): analysis and the
 * checks Spark's UnsupportedOperationChecker makes, with its messages. Each side keeps its own
 * sources and stateless operators; the join is the query's stateful operator, fed by side.
 */
export function planStreamJoin(p: JoinNode, left: PhysicalPlan, right: PhysicalPlan): PhysicalPlan {
  const how: StreamJoinType = p.how;
  const name = SPARK_JOIN_NAME[how];
  if (left.sources.length === 0) {
    throw new AnalysisError(`join(): the left side is static and the right side streaming; sluice joins a static DataFrame only on the right. `
      + `Swap the sides: stream.join(staticDf, ...), with 'left' for Spark's 'right' join.`);
  }
  const L = left.schema.fields, R = right.schema.fields;
  const structInArray = (t: DataType): boolean => (t.kind === 'array' ? t.elementType.kind === 'struct' || structInArray(t.elementType) : t.kind === 'struct' && t.fields.some((f) => structInArray(f.type)));
  for (const f of [...L, ...R]) {
    if (structInArray(f.type)) {
      throw new AnalysisError(`join(): column '${f.name}' (${typeToString(f.type)}) holds an array of structs, which a stream-stream join cannot buffer yet. `
        + `Drop it before the join, or turn it into a string with to_json('${f.name}').`);
    }
  }
  const leftNames = new Set(L.map((f) => f.name)), rightNames = new Set(R.map((f) => f.name));

  let leftKeys: readonly string[], rightKeys: readonly string[];
  let leftFilter: Expr | null = null, rightFilter: Expr | null = null, residual: Expr | null = null;
  let conjuncts: readonly Expr[] = [];
  if (p.condition) {
    const c = splitJoinCondition(p.condition, leftNames, rightNames);
    ({ leftKeys, rightKeys, leftFilter, rightFilter, residual, conjuncts } = c);
  } else {
    const on = [...new Set(p.on)];
    if (on.length === 0) throw new AnalysisError(`join(): name at least one key column, e.g. join(other, 'id'), or give a condition; cross joins are not supported.`);
    for (const n of on) {
      if (!leftNames.has(n)) throw new AnalysisError(`join(): key column '${n}' is not on the left side. Available columns on the left: ${[...leftNames].join(', ')}.`);
      if (!rightNames.has(n)) throw new AnalysisError(`join(): key column '${n}' is not on the right side. Available columns on the right: ${[...rightNames].join(', ')}.`);
    }
    for (const n of rightNames) {
      if (leftNames.has(n) && !on.includes(n)) {
        throw new AnalysisError(`join(): both sides have a column '${n}' that is not a join key. `
          + `Rename or drop it on one side first, e.g. right.withColumnRenamed('${n}', 'right_${n}'), or add it to the keys.`);
      }
    }
    leftKeys = on; rightKeys = on;
  }

  const li = leftKeys.map((n) => { const i = L.findIndex((f) => f.name === n); if (i < 0) throw new AnalysisError(`join(): the key '${n}' must be a top-level column of the left side.`); return i; });
  const ri = rightKeys.map((n) => { const i = R.findIndex((f) => f.name === n); if (i < 0) throw new AnalysisError(`join(): the key '${n}' must be a top-level column of the right side.`); return i; });
  const keyTypes = li.map((l, k) => {
    const lt = L[l]!.type, rt = R[ri[k]!]!.type;
    // A struct key (Spark's windowed joins on `window`) compares field by field.
    if (lt.kind === 'struct' && sameType(lt, rt)) return lt;
    if (!keyDomain(lt, rt)) {
      throw new AnalysisError(`join(): cannot join '${leftKeys[k]}' (${typeToString(lt)}) with '${rightKeys[k]}' (${typeToString(rt)}): `
        + `keys must be matching atomic types (int and long mix, as do numbers with double); cast one side first.`);
    }
    return storedKeyType(lt, rt);
  });

  // Watermarks: Spark's StreamingSymmetricHashJoinHelper.getStateWatermarkPredicates.
  const wl = eventTimeColumnOf(left), wr = eventTimeColumnOf(right);
  const keyOrdinal = leftKeys.findIndex((n, k) => n === wl || rightKeys[k] === wr);
  const isLeft = (c: string): boolean => sideOf(c, leftNames, rightNames) === 'left';
  const isRight = (c: string): boolean => !isLeft(c);
  const leftRange = (W: number): number | null => stateValueWatermark(conjuncts, isLeft, wr, W);
  const rightRange = (W: number): number | null => stateValueWatermark(conjuncts, isRight, wl, W);
  // Spark asks whether a range exists with a stand-in watermark (1000 seconds).
  const hasLeftRange = leftRange(1_000_000) !== null, hasRightRange = rightRange(1_000_000) !== null;
  const cleanup = (own: string | null, hasRange: boolean, range: (W: number) => number | null): StateCleanup | null => {
    if (keyOrdinal >= 0) return { kind: 'key', ordinal: keyOrdinal };
    if (own !== null && hasRange) return { kind: 'value', bound: (W) => range(W)! };
    return null;
  };
  if (how !== 'inner') {
    const valid = how === 'left' || how === 'leftsemi' ? hasLeftRange : how === 'right' ? hasRightRange : hasLeftRange && hasRightRange;
    if (keyOrdinal < 0 && !valid) {
      throw new AnalysisError(`Stream-stream ${name} join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, `
        + `or a watermark on the nullable side and an appropriate range condition. `
        + `Add withWatermark() on both sides and a time range to the condition, e.g. expr("id = rid AND rtime BETWEEN ltime - interval 10 minutes AND ltime + interval 10 minutes").`);
    }
  }

  const side = (schema: Struct, keys: readonly number[], filter: Expr | null, own: string | null, c: StateCleanup | null, what: string): JoinSideSpec => ({
    schema, keys, filter: boundFilter(filter, schema, what), eventTime: own === null ? -1 : schema.fields.findIndex((f) => f.name === own), cleanup: c,
  });
  const leftSpec = side(left.schema, li, leftFilter, wl, cleanup(wl, hasLeftRange, leftRange), 'left side');
  const rightSpec = side(right.schema, ri, rightFilter, wr, cleanup(wr, hasRightRange, rightRange), 'right side');
  const residualBound = boundFilter(residual, struct([...L, ...R]), 'over both sides');

  // Output: a USING join's keys once, in the left's places (the right's for a right join, either for full); else every column of both.
  const nullL = how === 'right' || how === 'full', nullR = how === 'left' || how === 'full';
  const fields: StructField[] = [], output: OutputColumn[] = [];
  L.forEach((f, i) => {
    const k = p.condition ? -1 : li.indexOf(i);
    if (k >= 0 && how === 'right') { fields.push(f); output.push({ from: 'right', index: ri[k]! }); }
    else if (k >= 0 && how === 'full') { fields.push({ ...f, nullable: true }); output.push({ from: 'coalesce', left: i, right: ri[k]! }); }
    else { fields.push(nullL ? { ...f, nullable: true } : f); output.push({ from: 'left', index: i }); }
  });
  if (how !== 'leftsemi') {
    R.forEach((f, i) => {
      if (!p.condition && ri.includes(i)) return;
      fields.push(nullR ? { ...f, nullable: true } : f); output.push({ from: 'right', index: i });
    });
  }

  const lateFields: StructField[] = [{ name: 'join_side', type: string, nullable: false }, ...L.map((f) => ({ ...f, nullable: true }))];
  for (const f of R) if (!leftNames.has(f.name)) lateFields.push({ ...f, nullable: true });
  const lateColumns = {
    left: lateFields.slice(1).map((_, c) => (c < L.length ? c : -1)),
    right: lateFields.slice(1).map((f) => R.findIndex((g) => g.name === f.name)),
  };

  const op = new StreamJoin({
    how, left: leftSpec, right: rightSpec, keyNames: leftKeys, keyTypes, residual: residualBound,
    schema: struct(fields), output, lateSchema: struct(lateFields), lateColumns,
    conditionText: p.condition ? exprToString(p.condition) : `using(${leftKeys.join(', ')})`,
  });
  const offset = left.watermarks.length;
  // Both sides' event times keep their watermark past the join (Spark keeps the event-time metadata
  // on either side's column), so a later windowed aggregation may close by either.
  const outNames = new Set(op.schema.fields.map((f) => f.name));
  const eventTimeColumns = [...new Set([...left.watermarks, ...right.watermarks].map((w) => w.column)
    .concat(left.eventTimeColumns ?? [], right.eventTimeColumns ?? []))].filter((c) => outNames.has(c));
  const windowColumns = new Map([...(left.windowColumns ?? []), ...(right.windowColumns ?? [])].filter(([n]) => outNames.has(n)));
  const { stages, sourceStageOf, firstStageInputOf } = joinStages(left, right, { operator: op, post: [], traits: { aggregation: false, eventTime: true } });
  return {
    sources: [...left.sources, ...right.sources],
    schema: op.schema,
    perSource: [...left.sources.map((_, i) => branch(left, i)), ...right.sources.map((_, i) => shiftedBranch(branch(right, i), offset))],
    operators: [],
    stages,
    firstStageInputOf,
    ...(sourceStageOf.some((k) => k > 0) ? { sourceStageOf } : {}),
    ...(stages.length > 1 ? { lateRowsStage: stages.length - 1 } : {}),
    eventTimeColumns,
    ...(windowColumns.size ? { windowColumns } : {}),
    watermarks: [...left.watermarks, ...right.watermarks],
    redefinedWatermarks: [...(left.redefinedWatermarks ?? []), ...(right.redefinedWatermarks ?? [])],
  };
}

/**
 * The stage list of a join whose sides may have stateful stages of their own (an aggregation per
 * source before the join, SPARK-49829): the right side's stages, the left side's, then the join,
 * so that operator ids (the last stage is 0) come out in Spark's order, the join 0 and then its
 * left subtree before its right. A side's last stage feeds the join's input for that side; a side
 * without stages is fed by its sources directly.
 */
function joinStages(left: PhysicalPlan, right: PhysicalPlan, join: StatefulStage): { stages: StatefulStage[]; sourceStageOf: number[]; firstStageInputOf: number[] } {
  const r = right.stages.length, l = left.stages.length, j = r + l;
  const shifted = (side: PhysicalPlan, by: number, input: number): StatefulStage[] => side.stages.map((st, k) => {
    if (k === side.stages.length - 1) return { ...st, feeds: { stage: j, input } };
    return st.feeds ? { ...st, feeds: { stage: st.feeds.stage + by, input: st.feeds.input } } : st;
  });
  const sourcesOf = (side: PhysicalPlan, by: number, input: number): { stage: number; input: number }[] => side.sources.map((_, i) => (side.stages.length
    ? { stage: (side.sourceStageOf?.[i] ?? 0) + by, input: side.firstStageInputOf?.[i] ?? 0 }
    : { stage: j, input }));
  const feeds = [...sourcesOf(left, r, 0), ...sourcesOf(right, 0, 1)];
  return {
    stages: [...shifted(right, 0, 1), ...shifted(left, r, 0), join],
    sourceStageOf: feeds.map((f) => f.stage),
    firstStageInputOf: feeds.map((f) => f.input),
  };
}
