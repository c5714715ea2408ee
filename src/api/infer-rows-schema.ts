import { AnalysisError } from '../errors.ts';
import { type DataType, type StructField, array, binary, boolean, double, long, string, struct, timestamp, typeToString, type Struct } from '../data/types.ts';

/**
 * createDataFrame's schema from row objects, as PySpark infers one from dicts: integral
 * numbers and bigints are long, other numbers double (a column with both is double), Date is
 * timestamp, Uint8Array binary, plain objects structs, JS arrays arrays of their elements' common type. Unlike PySpark, fields keep the order
 * in which they first appear (a JS object literal's order is meaningful; PySpark sorts dict
 * keys). As in PySpark, other type clashes and columns that are null in every row are errors:
 * pass a schema for those.
 */
export function inferRowsSchema(rows: readonly Record<string, unknown>[]): Struct {
  if (rows.length === 0) throw new AnalysisError(`createDataFrame: cannot infer a schema from no rows; pass one: createDataFrame([], types.struct({...})).`);
  let fields = new Map<string, DataType>();
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new AnalysisError(`createDataFrame: row ${i} is ${Array.isArray(r) ? 'an array' : String(r)}, not an object of column values.`);
    }
    fields = mergeFields(fields, r, `row ${i}`, '');
  });
  return struct(finishFields(fields, ''));
}

const NULL: DataType = { kind: 'null' };

function typeOf(v: unknown, where: string, path: string): DataType {
  if (v === null || v === undefined) return NULL;
  switch (typeof v) {
    case 'boolean': return boolean;
    case 'bigint': return long;
    case 'number': return Number.isInteger(v) ? long : double;
    case 'string': return string;
    case 'object':
      if (v instanceof Date) return timestamp;
      if (v instanceof Uint8Array) return binary;
      if (Array.isArray(v)) return array((v as unknown[]).reduce<DataType>((t, x) => mergeType(t, typeOf(x, where, path + '[]'), where, path + '[]'), NULL));
      return { kind: 'struct', fields: [...mergeFields(new Map(), v as Record<string, unknown>, where, path + '.')].map(([name, type]) => ({ name, type, nullable: true })) };
    default:
      throw new AnalysisError(`createDataFrame: ${where}, column '${path}' is a ${typeof v}, which no column type holds.`);
  }
}

function mergeFields(fields: Map<string, DataType>, row: Record<string, unknown>, where: string, prefix: string): Map<string, DataType> {
  for (const [k, v] of Object.entries(row)) {
    const t = typeOf(v, where, prefix + k);
    const prev = fields.get(k);
    fields.set(k, prev ? mergeType(prev, t, where, prefix + k) : t);
  }
  return fields;
}

function mergeType(a: DataType, b: DataType, where: string, path: string): DataType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'struct' && b.kind === 'struct') {
    const m = new Map(a.fields.map((f) => [f.name, f.type] as const));
    for (const f of b.fields) { const prev = m.get(f.name); m.set(f.name, prev ? mergeType(prev, f.type, where, `${path}.${f.name}`) : f.type); }
    return { kind: 'struct', fields: [...m].map(([name, type]) => ({ name, type, nullable: true })) };
  }
  if (a.kind === 'array' && b.kind === 'array') return array(mergeType(a.elementType, b.elementType, where, `${path}[]`));
  if (a.kind === b.kind) return a;
  if ((a.kind === 'long' && b.kind === 'double') || (a.kind === 'double' && b.kind === 'long')) return double;
  throw new AnalysisError(`createDataFrame: column '${path}' is ${typeToString(a)} in earlier rows but ${typeToString(b)} in ${where}. Make the values agree or pass a schema.`);
}

function finishFields(fields: Map<string, DataType> | readonly StructField[], prefix: string): StructField[] {
  const entries = fields instanceof Map ? [...fields] : fields.map((f) => [f.name, f.type] as const);
  return entries.map(([name, t]) => ({ name, type: finishType(t, `${prefix}${name}`), nullable: true }));
}

function finishType(t: DataType, path: string): DataType {
  if (t.kind === 'null') {
    const what = path.endsWith('[]') ? `has only empty arrays or null elements in '${path.slice(0, -2)}'` : 'is null in every row';
    throw new AnalysisError(`createDataFrame: column '${path}' ${what}, so its type cannot be inferred; pass a schema.`);
  }
  if (t.kind === 'struct') return struct(finishFields(t.fields, `${path}.`));
  if (t.kind === 'array') return array(finishType(t.elementType, `${path}[]`));
  return t;
}
