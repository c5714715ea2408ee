import { AnalysisError } from '../errors.ts';
import { type Expr, exprToString } from './expr.ts';

/**
 * A stream-stream join's condition taken apart as Spark's ExtractEquiJoinKeys and
 * StreamingSymmetricHashJoinHelper.JoinConditionSplitPredicates take it apart: the equalities
 * between a left and a right column are the hash keys; conjuncts over one side only filter that
 * side before the join (a row failing them can never match); the rest runs on each matched pair.
 */
export interface JoinCondition {
  /** Key column names, pairwise: leftKeys[k] = rightKeys[k]. */
  readonly leftKeys: readonly string[];
  readonly rightKeys: readonly string[];
  readonly leftFilter: Expr | null;
  readonly rightFilter: Expr | null;
  readonly residual: Expr | null;
  /** Every conjunct, for the state watermark's range analysis (join-range.ts). */
  readonly conjuncts: readonly Expr[];
}

export type Side = 'left' | 'right';

export function conjunctsOf(e: Expr): Expr[] {
  return e.op === 'binary' && e.fn === 'and' ? [...conjunctsOf(e.left), ...conjunctsOf(e.right)] : [e];
}

const and = (es: readonly Expr[]): Expr | null => (es.length === 0 ? null : es.reduce((a, b) => ({ op: 'binary', fn: 'and', left: a, right: b })));

/** The column names an expression reads. */
export function columnsOf(e: Expr): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) { x.forEach(walk); return; }
    const o = x as { op?: unknown; name?: unknown };
    if (o.op === 'col' && typeof o.name === 'string') { out.push(o.name); return; }
    if (o.op === 'star') throw new AnalysisError(`join(): a join condition cannot use '*'; name the columns.`);
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return out;
}

/** Which side holds column `name` ('data.user_id' is a field of the column 'data'); throws when neither does. */
export function sideOf(name: string, left: ReadonlySet<string>, right: ReadonlySet<string>): Side {
  const base = left.has(name) || right.has(name) ? name : name.slice(0, Math.max(0, name.indexOf('.')));
  if (left.has(base)) return 'left';
  if (right.has(base)) return 'right';
  throw new AnalysisError(`join(): the condition names a column '${name}' that neither side has. `
    + `Left columns: ${[...left].join(', ')}; right columns: ${[...right].join(', ')}.`);
}

export function splitJoinCondition(condition: Expr, left: ReadonlySet<string>, right: ReadonlySet<string>): JoinCondition {
  for (const n of left) {
    if (right.has(n)) {
      throw new AnalysisError(`join(): both sides have a column '${n}', so the condition cannot tell them apart (sluice has no qualified names like l.${n} yet). `
        + `Rename one side's column first, e.g. right.withColumnRenamed('${n}', 'right_${n}'), as Spark's own stream-stream join examples use distinct names.`);
    }
  }
  const conjuncts = conjunctsOf(condition);
  const leftKeys: string[] = [], rightKeys: string[] = [];
  const leftOnly: Expr[] = [], rightOnly: Expr[] = [], residual: Expr[] = [];
  for (const c of conjuncts) {
    if (c.op === 'binary' && c.fn === 'eq' && c.left.op === 'col' && c.right.op === 'col') {
      const a = sideOf(c.left.name, left, right), b = sideOf(c.right.name, left, right);
      if (a !== b) {
        leftKeys.push(a === 'left' ? c.left.name : c.right.name);
        rightKeys.push(a === 'left' ? c.right.name : c.left.name);
        continue;
      }
    }
    const sides = new Set(columnsOf(c).map((n) => sideOf(n, left, right)));
    if (sides.size === 1) (sides.has('left') ? leftOnly : rightOnly).push(c);
    else residual.push(c);
  }
  if (leftKeys.length === 0) {
    throw new AnalysisError(`Stream-stream join without equality predicate is not supported (join condition ${exprToString(condition)}). `
      + `Add an equality between a left and a right column, e.g. expr("leftKey = rightKey AND ...").`);
  }
  return { leftKeys, rightKeys, leftFilter: and(leftOnly), rightFilter: and(rightOnly), residual: and(residual), conjuncts };
}
