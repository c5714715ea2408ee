import { Struct, type StructType, struct, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { project } from '../exec/project.ts';
import { filter } from '../exec/filter.ts';
import { observeEventTime } from '../exec/watermark.ts';
import { bind, bindSelect } from './analyzer.ts';
import { columnsRead } from './columns-read.ts';
import type { Expr } from './expr.ts';
import type { ChunkOperator } from './physical-plan.ts';

/**
 * A stateless operator as plain data: the select list or condition and the schema it was bound
 * against. A worker thread (runtime/chunk-workers.ts) plans the very same operator from it with the
 * functions below, so a chunk gives the same rows there as here. Only operators whose spec is
 * plain data have one (structured clone keeps no prototypes and no functions).
 */
export type OperatorSpec =
  | { readonly kind: 'project'; readonly input: StructType; readonly exprs: readonly Expr[] }
  | { readonly kind: 'filter'; readonly input: StructType; readonly condition: Expr }
  | { readonly kind: 'watermark'; readonly column: number; readonly index: number };

const specs = new WeakMap<ChunkOperator, OperatorSpec>();

/** The spec an operator was planned from, if it can run in a worker thread. */
export function specOf(op: ChunkOperator): OperatorSpec | undefined {
  return specs.get(op);
}

/** select(exprs) over `input`: its output schema and operator. */
export function projectOperator(input: Struct, exprs: readonly Expr[]): { schema: Struct; op: ChunkOperator } {
  const bound = bindSelect(exprs, input);
  const schema = struct(bound.map((b) => ({ name: b.name, type: b.type, nullable: true })));
  return { schema, op: described(project(schema, bound), { kind: 'project', input, exprs }) };
}

/** filter(condition) over `input`. */
export function filterOperator(input: Struct, condition: Expr): ChunkOperator {
  const pred = bind(condition, input);
  if (pred.type.kind !== 'boolean') {
    throw new AnalysisError(`filter() needs a boolean condition, but '${pred.name}' is ${typeToString(pred.type)}.`);
  }
  return described(filter(pred), { kind: 'filter', input, condition });
}

/** withWatermark's per-chunk part: the event-time statistics of column `column` into stats `index`. */
export function watermarkOperator(column: number, index: number): ChunkOperator {
  return described(observeEventTime(column, index), { kind: 'watermark', column, index });
}

/** The operator of a spec that crossed to a worker thread (its schemas arrive as plain objects). */
export function operatorOf(spec: OperatorSpec): ChunkOperator {
  switch (spec.kind) {
    case 'project': return projectOperator(struct(spec.input.fields), spec.exprs).op;
    case 'filter': return filterOperator(struct(spec.input.fields), spec.condition);
    case 'watermark': return watermarkOperator(spec.column, spec.index);
  }
}

/**
 * Which columns of the first spec's input the specs read (true per column), the rest being of no
 * use to a worker: only the columns up to the first select are the input's own. With a FAILFAST
 * from_json, the Kafka columns its message names (topic, partition, offset) are read too.
 */
export function inputColumnsRead(specs: readonly OperatorSpec[], input: StructType): boolean[] {
  const names = new Set<string>();
  const all = input.fields.map(() => true);
  for (const spec of specs) {
    if (spec.kind === 'watermark') { const f = input.fields[spec.column]; if (f) names.add(f.name); continue; }
    const exprs = exprsOf(spec);
    const read = columnsRead(exprs);
    if (!read) return all;
    for (const n of read) names.add(n);
    if (exprs.some(failFast)) for (const n of ['topic', 'partition', 'offset']) names.add(n);
    if (spec.kind === 'project') break;
  }
  return input.fields.map((f) => names.has(f.name));
}

/**
 * Whether the specs hold work worth a trip to a worker: parsing JSON (from_json, get_json_object)
 * costs µs a row, far more than copying the row there and back. A chunk only selected, filtered or
 * watched for its event time is cheaper to run in place than to copy.
 */
export function worthAWorker(specs: readonly OperatorSpec[]): boolean {
  return specs.some((s) => exprsOf(s).some(parsesJson));
}

/** A spec's expressions (none for the watermark's statistics, which read one column by index). */
function exprsOf(spec: OperatorSpec): readonly Expr[] {
  return spec.kind === 'project' ? spec.exprs : spec.kind === 'filter' ? [spec.condition] : [];
}

const parsesJson = (e: Expr): boolean => anyNode(e, (o) => o['op'] === 'from_json'
  || (o['op'] === 'call' && typeof o['name'] === 'string' && o['name'].toLowerCase() === 'get_json_object'));
const failFast = (e: Expr): boolean => anyNode(e, (o) => o['op'] === 'from_json' && o['mode'] === 'FAILFAST');

/** Whether any object in `v` (an expression tree, walked through every field) satisfies `test`. */
function anyNode(v: unknown, test: (o: Record<string, unknown>) => boolean): boolean {
  if (typeof v !== 'object' || v === null) return false;
  return test(v as Record<string, unknown>) || Object.values(v).some((x) => anyNode(x, test));
}

function described(op: ChunkOperator, spec: OperatorSpec): ChunkOperator {
  if (plainData(spec)) specs.set(op, spec);
  return op;
}

/**
 * True when structured clone copies `v` whole: primitives, arrays, typed arrays, dates and objects
 * whose prototype is Object's (or Struct's, which adds only a builder method and is rebuilt on the
 * other side). A literal of any other class would arrive without its methods, so such a spec is not
 * handed to a worker at all.
 */
function plainData(v: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return true;
  if (t !== 'object') return false;
  if (ArrayBuffer.isView(v) || v instanceof Date) return true;
  if (Array.isArray(v)) return v.every((x) => plainData(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null && proto !== Struct.prototype) return false;
  return Object.values(v as Record<string, unknown>).every((x) => plainData(x, depth + 1));
}
