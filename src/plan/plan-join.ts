import { type DataType, type Struct, struct, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { Batch } from '../data/batch.ts';
import { hashJoin, type KeyDomain } from '../exec/hash-join.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import { childrenOf, isStreaming, type JoinType, type LogicalPlan } from './logical.ts';
import { checkStatic, materialize, type StaticPlanLike } from './plan-static.ts';
import { type JoinCondition, splitJoinCondition } from './join-condition.ts';
import { exprToString } from './expr.ts';
import { bind } from './analyzer.ts';
import { filter } from '../exec/filter.ts';

type JoinNode = Extract<LogicalPlan, { kind: 'join' }>;

export interface PlannedJoin {
  readonly schema: Struct;
  /** A chunk operator: each left chunk in, the joined rows out. */
  readonly operator: (b: Batch, ctx: EvalContext) => Batch;
}

/**
 * A stream-static equi-join on same-named columns (Spark's `df.join(other, 'id')` and
 * `df.join(other, ['a', 'b'])`): the output is every left column, then the right's other
 * columns; each key appears once, from the left. The right side must be static; it is run
 * once and hashed when the first chunk arrives.
 *
 * `leftSchema` is the schema of the already planned left side; `planChild` plans the right.
 */
export function planJoin(p: JoinNode, leftSchema: Struct, planChild: (p: LogicalPlan) => StaticPlanLike): PlannedJoin {
  const how = p.how;
  if (isStreaming(p.right)) throw new AnalysisError(`join(): the right side is a stream; two streams are joined by planStreamJoin (plan-stream-join.ts), not here.`);
  if (how !== 'inner' && how !== 'left') {
    throw new AnalysisError(`join(): a stream joined with a static DataFrame takes 'inner' or 'left' joins, not '${p.how}' `
      + `(as in Spark, the static side cannot be the outer side of a stream's join). Use 'inner' or 'left', with the stream on the left.`);
  }
  const leftNames = leftSchema.fields.map((f) => f.name);
  // A condition (join(other, col('value') === col('parity'))) keeps both sides' key columns, as
  // Spark's output does; named keys (join(other, 'id')) appear once, from the left.
  const cond = p.condition ? staticJoinCondition(p, leftNames, planChild(p.right).schema.fields.map((f) => f.name)) : null;
  const rightPlan: LogicalPlan = cond?.rightFilter ? { kind: 'filter', child: p.right, condition: cond.rightFilter } : p.right;
  const on = cond ? cond.leftKeys : [...new Set(p.on)];
  const rightOn = cond ? cond.rightKeys : on;
  if (on.length === 0) throw new AnalysisError(`join(): name at least one key column, e.g. join(other, 'id'); cross joins are not supported.`);

  const right = planChild(rightPlan);
  const rightName = `the right side of join() (${describe(p.right)})`;
  checkStatic(right, rightName);
  const rightNames = right.schema.fields.map((f) => f.name);

  const keyTypes: { left: DataType; right: DataType; domain: KeyDomain }[] = [];
  const leftKeys: number[] = [], rightKeys: number[] = [];
  on.forEach((name, k) => {
    const rname = rightOn[k]!;
    const li = leftNames.indexOf(name), ri = rightNames.indexOf(rname);
    if (li < 0) throw new AnalysisError(`join(): key column '${name}' is not on the left side. Available columns on the left: ${leftNames.join(', ') || '(none)'}.`);
    if (ri < 0) throw new AnalysisError(`join(): key column '${rname}' is not on ${rightName}. Available columns on the right: ${rightNames.join(', ') || '(none)'}.`);
    const lt = leftSchema.fields[li]!.type, rt = right.schema.fields[ri]!.type;
    const domain = keyDomain(lt, rt);
    if (!domain) {
      const why = lt.kind === rt.kind ? `${typeToString(lt)} columns cannot be join keys` : `it is ${typeToString(lt)} on the left but ${typeToString(rt)} on the right`;
      throw new AnalysisError(`join(): cannot join on '${name}': ${why}. `
        + `Keys must be matching atomic types (int and long mix, as do numbers with double); cast one side first, e.g. .withColumn('${name}', col('${name}').cast('${lt.kind === 'struct' || lt.kind === 'null' || lt.kind === 'array' || lt.kind === 'map' ? 'string' : lt.kind}')).`);
    }
    leftKeys.push(li); rightKeys.push(ri);
    keyTypes.push({ left: lt, right: rt, domain });
  });

  const rightOutput = rightNames.map((_, i) => i).filter((i) => cond !== null || !on.includes(rightNames[i]!));
  for (const i of rightOutput) {
    const name = rightNames[i]!;
    if (leftNames.includes(name)) {
      // Spark would keep both and fail later on any use of the name (and the Parquet sink on write).
      throw new AnalysisError(`join(): both sides have a column '${name}' that is not a join key. `
        + `Rename or drop it on one side first, e.g. right.withColumnRenamed('${name}', 'right_${name}'), or add it to the keys.`);
    }
  }

  const nullableRight = how === 'left';
  const schema = struct([
    ...leftSchema.fields,
    ...rightOutput.map((i) => { const f = right.schema.fields[i]!; return nullableRight ? { ...f, nullable: true } : f; }),
  ]);
  const op = hashJoin({ how, leftKeys, rightKeys, keyTypes, rightOutput, schema }, right.schema, () => materialize(right, rightName));
  if (!cond?.leftFilter) return { schema, operator: (b) => op(b) };
  const keep = filter(bind(cond.leftFilter, leftSchema));
  return { schema, operator: (b, ctx) => op(keep(b, ctx)) };
}

/**
 * A stream-static join's condition: equalities between a left and a right column are the hash
 * keys, conjuncts over the static side filter it first, and (in an inner join) conjuncts over the
 * stream filter it first. A conjunct over both sides that is not an equality, or one over the
 * stream in a left outer join (where it decides matching, not which rows stay), is refused.
 */
function staticJoinCondition(p: JoinNode, leftNames: readonly string[], rightNames: readonly string[]): JoinCondition {
  const cond = splitJoinCondition(p.condition!, new Set(leftNames), new Set(rightNames));
  if (cond.residual) {
    throw new AnalysisError(`join(): a stream joined with a static DataFrame takes equalities between a left and a right column, and conditions on one side; '${exprToString(cond.residual)}' compares both sides otherwise. `
      + `Join on the equalities, then filter() the joined rows.`);
  }
  if (cond.leftFilter && p.how === 'left') {
    throw new AnalysisError(`join(): in a left outer join, '${exprToString(cond.leftFilter)}' on the stream's columns decides which rows match, which sluice does not do for a static right side yet. `
      + `Compute it as a column of the stream (withColumn) and join on it, or use an inner join.`);
  }
  return cond;
}

const JOIN_TYPES: Record<string, JoinType> = {
  inner: 'inner', left: 'left', leftouter: 'left', left_outer: 'left', right: 'right', rightouter: 'right', right_outer: 'right',
  full: 'full', fullouter: 'full', full_outer: 'full', outer: 'full', leftsemi: 'leftsemi', left_semi: 'leftsemi', semi: 'leftsemi',
};

/** Spark's join type names (any case: 'inner', 'left_outer', 'full', 'left_semi', ...) to ours. */
export function parseJoinType(how: string): JoinType {
  const t = JOIN_TYPES[how.toLowerCase()];
  if (!t) {
    throw new AnalysisError(`join(): join type '${how}' is not supported; use 'inner', 'left' ('left_outer'), 'right' ('right_outer'), 'full' ('full_outer', 'outer') or 'left_semi' ('semi'). `
      + `Anti and cross joins are not available yet.`);
  }
  return t;
}

/** How a pair of key types is compared, or null when they cannot be. */
export function keyDomain(l: DataType, r: DataType): KeyDomain | null {
  const integral = (t: DataType): boolean => t.kind === 'int' || t.kind === 'long';
  if (l.kind === r.kind) {
    switch (l.kind) {
      case 'string': case 'binary': return 'bytes';
      case 'int': case 'long': return 'integer';
      case 'double': case 'date': case 'timestamp': case 'boolean': return 'number';
      default: return null;
    }
  }
  if (integral(l) && integral(r)) return 'integer';
  if ((integral(l) && r.kind === 'double') || (l.kind === 'double' && integral(r))) return 'number';
  return null;
}

/** The static tables under a plan, by their descriptions: to say which DataFrame an error is about. */
function describe(p: LogicalPlan): string {
  if (p.kind === 'static') return p.description;
  const kids = childrenOf(p).map(describe);
  return kids.join(' + ') || p.kind;
}
