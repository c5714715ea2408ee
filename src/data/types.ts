import * as A from 'apache-arrow';
import { AnalysisError } from '../errors.ts';

/** Column types, as values (Spark's DataTypes). Timestamps are ms since the epoch, UTC. */
export type AtomicKind = 'boolean' | 'int' | 'long' | 'double' | 'string' | 'binary' | 'timestamp' | 'date';
export interface AtomicType { readonly kind: AtomicKind }
export interface StructField { readonly name: string; readonly type: DataType; readonly nullable: boolean }
export interface StructType { readonly kind: 'struct'; readonly fields: readonly StructField[] }
export interface NullType { readonly kind: 'null' }
/**
 * Spark's ArrayType over an Arrow List column (offsets + one child column of all elements).
 * `containsNull` is Spark's flag; elements are always stored nullable, so it only documents.
 */
export interface ArrayType { readonly kind: 'array'; readonly elementType: DataType; readonly containsNull: boolean }
/**
 * Spark's MapType over an Arrow Map column: offsets + one child struct of all entries {key, value}.
 * Keys are never null; Spark keeps the order entries were built in and refuses duplicate keys.
 */
export interface MapType { readonly kind: 'map'; readonly keyType: DataType; readonly valueType: DataType; readonly valueContainsNull: boolean }

/** Spark's exact DecimalType(precision, scale), 1 <= precision <= 38, 0 <= scale <= precision; Arrow Decimal128. */
export interface DecimalType { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
export type DataType = AtomicType | StructType | NullType | ArrayType | DecimalType | MapType;

const atomic = (kind: AtomicKind): AtomicType => Object.freeze({ kind });
export const boolean = atomic('boolean');
export const int = atomic('int');
export const long = atomic('long');
export const double = atomic('double');
export const string = atomic('string');
export const binary = atomic('binary');
export const timestamp = atomic('timestamp');
export const date = atomic('date');
export const nullType: NullType = Object.freeze({ kind: 'null' });

/** array<elementType>, as PySpark's ArrayType(elementType, containsNull=True). */
export function array(elementType: DataType, containsNull = true): ArrayType {
  return Object.freeze({ kind: 'array', elementType, containsNull });
}

/**
 * decimal(p, s), as PySpark's DecimalType(precision=10, scale=0). Spark refuses a precision past 38,
 * a scale past the precision and (by default) a negative scale: so do we, at the call.
 */
export function decimal(precision = 10, scale = 0): DecimalType {
  if (!Number.isInteger(precision) || precision < 1 || precision > 38) {
    throw new AnalysisError(`decimal(${precision}, ${scale}): the precision must be an integer from 1 to 38 (Spark's DecimalType.MAX_PRECISION).`);
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new AnalysisError(`decimal(${precision}, ${scale}): the scale must be an integer from 0 to the precision ${precision}.`);
  }
  return Object.freeze({ kind: 'decimal', precision, scale });
}

export const isDecimal = (t: DataType): t is DecimalType => t.kind === 'decimal';

/** map<keyType, valueType>, as PySpark's MapType(keyType, valueType, valueContainsNull=True). */
export function map(keyType: DataType, valueType: DataType, valueContainsNull = true): MapType {
  return Object.freeze({ kind: 'map', keyType, valueType, valueContainsNull });
}

/** Spark's StructType, also buildable with `.add(name, type)` like PySpark. */
export class Struct implements StructType {
  readonly kind = 'struct' as const;
  constructor(readonly fields: readonly StructField[] = []) {}
  add(name: string, type: DataType | AtomicKind, nullable = true): Struct {
    return new Struct([...this.fields, { name, type: typeof type === 'string' ? typeByName(type) : type, nullable }]);
  }
  fieldNames(): string[] { return this.fields.map((f) => f.name); }
}

export function struct(fields: Record<string, DataType> | readonly StructField[] = {}): Struct {
  if (Array.isArray(fields)) return new Struct(fields as StructField[]);
  return new Struct(Object.entries(fields as Record<string, DataType>).map(([name, type]) => ({ name, type, nullable: true })));
}

const byName: Record<string, DataType> = {
  boolean, bool: boolean, int, integer: int, int32: int, long, bigint: long, int64: long,
  double, float: double, float64: double, string, str: string, binary, timestamp, date,
};

export function typeByName(name: string): DataType {
  const arr = /^\s*array\s*<(.*)>\s*$/i.exec(name);
  if (arr) return array(typeByName(arr[1]!));
  const dec = /^\s*(?:decimal|dec|numeric)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(name);
  if (dec) return decimal(dec[1] === undefined ? 10 : Number(dec[1]), dec[2] === undefined ? 0 : Number(dec[2]));
  const m = /^\s*map\s*<(.*)>\s*$/i.exec(name);
  if (m) {
    const [k, v] = splitTopLevelComma(m[1]!);
    if (v !== undefined) return map(typeByName(k!), typeByName(v));
  }
  const t = byName[name.trim().toLowerCase()];
  if (!t) throw new AnalysisError(`Unknown type '${name}'. Known types: ${Object.keys(byName).join(', ')}, decimal(p,s), array<type>, map<key,value>.`);
  return t;
}

/** 'string,array<map<int,string>>' -> its two halves, split at the comma outside any <>. */
function splitTopLevelComma(s: string): string[] {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') depth++;
    else if (s[i] === '>') depth--;
    else if (s[i] === ',' && depth === 0) return [s.slice(0, i), s.slice(i + 1)];
  }
  return [s];
}

export function typeToString(t: DataType): string {
  if (t.kind === 'struct') return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(',')}>`;
  if (t.kind === 'array') return `array<${typeToString(t.elementType)}>`;
  if (t.kind === 'decimal') return `decimal(${t.precision},${t.scale})`;
  if (t.kind === 'map') return `map<${typeToString(t.keyType)},${typeToString(t.valueType)}>`;
  return t.kind;
}

export function sameType(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}

export const isNumeric = (t: DataType): boolean => t.kind === 'int' || t.kind === 'long' || t.kind === 'double';

export function toArrowType(t: DataType): A.DataType {
  switch (t.kind) {
    case 'boolean': return new A.Bool();
    case 'int': return new A.Int32();
    case 'long': return new A.Int64();
    case 'double': return new A.Float64();
    case 'string': return new A.Utf8();
    case 'binary': return new A.Binary();
    case 'timestamp': return new A.TimestampMillisecond('UTC');
    case 'date': return new A.DateDay();
    case 'null': return new A.Null();
    case 'struct': return new A.Struct(t.fields.map((f) => new A.Field(f.name, toArrowType(f.type), f.nullable)));
    // 'element' is the child's name in Parquet's LIST spec, so writers and DuckDB keep it as is.
    case 'array': return new A.List(new A.Field('element', toArrowType(t.elementType), true));
    case 'decimal': return new A.Decimal(t.scale, t.precision, 128);
    // Arrow's own names (entries, key, value): parquet-wasm writes them as a Parquet MAP group.
    case 'map': return new A.Map_(new A.Field('entries', new A.Struct([
      new A.Field('key', toArrowType(t.keyType), false), new A.Field('value', toArrowType(t.valueType), true)]), false) as never);
  }
}

export function toArrowSchema(s: StructType): A.Schema {
  return new A.Schema(s.fields.map((f) => new A.Field(f.name, toArrowType(f.type), f.nullable)));
}

export function fromArrowType(t: A.DataType): DataType {
  if (A.DataType.isBool(t)) return boolean;
  if (A.DataType.isInt(t)) return t.bitWidth === 64 ? long : int;
  if (A.DataType.isFloat(t)) return double;
  if (A.DataType.isUtf8(t) || A.DataType.isLargeUtf8(t)) return string;
  if (A.DataType.isBinary(t) || A.DataType.isLargeBinary(t)) return binary;
  if (A.DataType.isTimestamp(t)) return timestamp;
  if (A.DataType.isDate(t)) return date;
  if (A.DataType.isNull(t)) return nullType;
  if (A.DataType.isStruct(t)) return struct(t.children.map((f) => ({ name: f.name, type: fromArrowType(f.type), nullable: f.nullable })));
  if (A.DataType.isList(t)) return array(fromArrowType(t.children[0]!.type));
  if (A.DataType.isDecimal(t) && t.bitWidth === 128) return decimal(t.precision, t.scale);
  if (A.DataType.isMap(t)) { const [k, v] = t.children[0]!.type.children as A.Field[]; return map(fromArrowType(k!.type), fromArrowType(v!.type)); }
  throw new AnalysisError(`Arrow type ${String(t)} is not supported; supported: boolean, int, long, double, string, binary, timestamp, date, struct, list, map, decimal128.`);
}

export function fromArrowSchema(s: A.Schema): Struct {
  return struct(s.fields.map((f) => ({ name: f.name, type: fromArrowType(f.type), nullable: f.nullable })));
}
