import { type ArrayType, type MapType, type Struct, type StructType, int, struct, typeToString } from '../data/types.ts';
import { makeBatch } from '../data/batch.ts';
import { AnalysisError } from '../errors.ts';
import { project } from '../exec/project.ts';
import { generate } from '../exec/generate.ts';
import { bind, bindSelect } from './analyzer.ts';
import { type Expr, exprToString } from './expr.ts';
import { type PhysicalPlan, withOperator } from './physical-plan.ts';

type Generator = Extract<Expr, { op: 'generator' }>;

/** The generator of a select item (under at most one alias), or null. */
function generatorOf(e: Expr): { gen: Generator; alias?: string } | null {
  if (e.op === 'generator') return { gen: e };
  if (e.op === 'alias' && e.child.op === 'generator') return { gen: e.child, alias: e.name };
  return null;
}

/**
 * select() with a generator (explode, explode_outer, posexplode, posexplode_outer) among its
 * columns, as Spark plans it: the other columns and the array are projected first (so the
 * expressions run once per input row), then each row is repeated once per element. Spark's
 * names: `col`, and `pos` for posexplode; an alias renames `col` (posexplode takes none here).
 * Returns null when the list has no generator.
 */
export function planGenerate(child: PhysicalPlan, exprs: readonly Expr[]): PhysicalPlan | null {
  const found = exprs.map(generatorOf);
  const at = found.findIndex((g) => g !== null);
  if (at < 0) return null;
  if (found.filter((g) => g !== null).length > 1) {
    throw new AnalysisError(`Only one generator is allowed per select, but got ${found.filter((g) => g).length}: `
      + `${found.filter((g) => g).map((g) => exprToString(g!.gen)).join(', ')}. Explode in two selects, one after the other.`);
  }
  const { gen, alias } = found[at]!;
  if (gen.fn === 'json_tuple') return planJsonTuple(child, exprs, at, gen, alias);
  const input = bind(gen.child, child.schema);
  if (input.type.kind !== 'array' && input.type.kind !== 'map') {
    throw new AnalysisError(`Cannot resolve '${exprToString(gen)}': ${gen.fn} needs an array or a map, but '${input.name}' is ${typeToString(input.type)}.`);
  }
  const withPos = gen.fn.startsWith('posexplode'), arrayType = input.type as ArrayType | MapType;
  if ((withPos || arrayType.kind === 'map') && alias !== undefined) {
    const made = [...(withPos ? ['pos'] : []), ...(arrayType.kind === 'map' ? ['key', 'value'] : ['col'])].join(', ');
    throw new AnalysisError(`${exprToString(gen)} makes the columns ${made}, so it takes no single alias('${alias}'); rename them afterwards with withColumnRenamed.`);
  }
  const others = exprs.filter((_, k) => k !== at);
  const kept = bindSelect(others, child.schema);
  // Spark's names: col for an array's elements, key and value for a map's entries.
  const genFields = [...(withPos ? [{ name: 'pos', type: int, nullable: true }] : []),
    ...(arrayType.kind === 'map'
      ? [{ name: 'key', type: arrayType.keyType, nullable: true }, { name: 'value', type: arrayType.valueType, nullable: true }]
      : [{ name: alias ?? 'col', type: arrayType.elementType, nullable: true }])];
  const names = new Set<string>();
  for (const n of [...kept.map((b) => b.name), ...genFields.map((f) => f.name)]) {
    if (names.has(n)) throw new AnalysisError(`select() would produce two columns named '${n}'; give one an alias().`);
    names.add(n);
  }
  // Stage 1: the kept columns, then the array (an internal name; it does not reach the output).
  const stage: Struct = struct([...kept.map((b) => ({ name: b.name, type: b.type, nullable: true })), { name: '__generator_input', type: arrayType, nullable: true }]);
  const projected = withOperator(child, stage, project(stage, [...kept, input]));
  const fields = kept.map((b) => ({ name: b.name, type: b.type, nullable: true }));
  const schema = struct([...fields.slice(0, at), ...genFields, ...fields.slice(at)]);
  return withOperator(projected, schema, generate(schema, {
    arrayIndex: kept.length, arrayType, kept: kept.map((_, k) => k), at, outer: gen.fn.endsWith('_outer'), withPos,
  }));
}

/**
 * select(…, json_tuple(json, 'a', 'b'), …): the json_tuple function's struct {c0, c1, …} projected
 * next to the kept columns, then spread into columns c0, c1, … at the generator's place. One row
 * out per row in (a null or malformed document gives a row of nulls), as Spark's JsonTuple does.
 */
function planJsonTuple(child: PhysicalPlan, exprs: readonly Expr[], at: number, gen: Generator, alias: string | undefined): PhysicalPlan {
  if (alias !== undefined) {
    throw new AnalysisError(`${exprToString(gen)} makes one column per field (c0, c1, …), so it takes no single alias('${alias}'); rename them afterwards with withColumnRenamed.`);
  }
  const kept = bindSelect(exprs.filter((_, k) => k !== at), child.schema);
  const input = bind(gen.child, child.schema), genFields = (input.type as StructType).fields;
  const fields = kept.map((b) => ({ name: b.name, type: b.type, nullable: true }));
  const names = new Set<string>();
  for (const n of [...fields, ...genFields].map((f) => f.name)) {
    if (names.has(n)) throw new AnalysisError(`select() would produce two columns named '${n}'; give one an alias().`);
    names.add(n);
  }
  const stage: Struct = struct([...fields, { name: '__generator_input', type: input.type, nullable: true }]);
  const projected = withOperator(child, stage, project(stage, [...kept, input]));
  const schema = struct([...fields.slice(0, at), ...genFields, ...fields.slice(at)]);
  return withOperator(projected, schema, (b) => {
    const cols = b.columns.slice(0, kept.length), spread = b.columns[kept.length]!.children;
    return makeBatch(schema, [...cols.slice(0, at), ...spread, ...cols.slice(at)], b.numRows);
  });
}
