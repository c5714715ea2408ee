import * as A from 'apache-arrow';
import { type DataType, type Struct, type StructType, type StructField, string, int, long, binary, struct, typeToString } from '../../data/types.ts';
import type { Batch } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader } from '../../data/cells.ts';
import { decodeJson, type JsonMode } from '../../formats/json/decode.ts';
import { decodeJsonLenient, SPARK_JSON_DEFAULTS, type JsonReadOptions } from '../../formats/json/lenient-decode.ts';
import { take } from '../../data/take.ts';
import { concatColumns } from '../../data/concat.ts';
import { DAY_MS, PatternError, patternOf } from './datetime-pattern.ts';
import { DataError } from '../../errors.ts';
import type { EvalContext } from '../compiled-expr.ts';
import type { Arg } from './scalar-function.ts';

/**
 * from_json is not a registry entry: its schema is a type, not an argument column, and its modes
 * act on the batch (DROPMALFORMED removes rows, FAILFAST names the Kafka record). The plan keeps
 * it as its own node; this is its type rule and its kernel, beside the registry's functions.
 */
/**
 * Spark's JSON options that change how text is read (the mode and the corrupt-record column are
 * FromJsonSpec's own): the Jackson features as booleans, the datetime patterns as Spark patterns.
 */
export interface JsonTextOptions {
  readonly allowSingleQuotes?: boolean;
  readonly allowUnquotedFieldNames?: boolean;
  readonly allowNumericLeadingZeros?: boolean;
  readonly allowNonNumericNumbers?: boolean;
  readonly timestampFormat?: string;
  readonly dateFormat?: string;
}

export interface FromJsonSpec {
  /** A struct, or an array or a map of anything (from_json's schema may be any of the three, as in Spark). */
  readonly schema: DataType;
  readonly mode: JsonMode;
  /** A string field of the schema that receives the raw text of malformed records (PERMISSIVE). */
  readonly corruptRecordColumn?: string;
  readonly options?: JsonTextOptions;
}

export type FromJsonKernel = (input: A.Data, b: Batch, ctx: EvalContext) => A.Data;

/** Where a row came from, for FAILFAST messages: Kafka's topic/partition/offset when they are in the input. */
function rowLocator(schema: Struct): (b: Batch, row: number) => string {
  const idx = (n: string): number => schema.fields.findIndex((f) => f.name === n);
  const t = idx('topic'), p = idx('partition'), o = idx('offset');
  if (t < 0 || p < 0 || o < 0) return (_b, row) => `row ${row} of the batch`;
  return (b, row) => {
    const topic = cellReader(b.columns[t]!, string)(row), part = cellReader(b.columns[p]!, int)(row), off = cellReader(b.columns[o]!, long)(row);
    return `topic '${topic}' partition ${part} offset ${off}`;
  };
}

const nested = (t: DataType): boolean => t.kind === 'array' || t.kind === 'map' || (t.kind === 'struct' && t.fields.some((f) => nested(f.type)));
const hasKind = (t: DataType, k: DataType['kind']): boolean => t.kind === k || (t.kind === 'struct' && t.fields.some((f) => hasKind(f.type, k)))
  || (t.kind === 'array' && hasKind(t.elementType, k)) || (t.kind === 'map' && hasKind(t.valueType, k));

/** A map whose keys are not strings: JSON object keys are text, and from_json reads them as such. */
function nonStringKey(t: DataType, path: string): string | null {
  if (t.kind === 'map') return t.keyType.kind !== 'string' ? path || 'the schema' : nonStringKey(t.valueType, `${path}.value`);
  if (t.kind === 'array') return nonStringKey(t.elementType, `${path}[]`);
  if (t.kind === 'struct') for (const f of t.fields) { const r = nonStringKey(f.type, path ? `${path}.${f.name}` : f.name); if (r) return r; }
  return null;
}

/** The reader's options from Spark's, the datetime patterns compiled once (a bad pattern is a message). */
function readOptions(o: JsonTextOptions): JsonReadOptions | string {
  let parseTs: ((s: string) => number | null) | undefined, parseDay: ((s: string) => number | null) | undefined;
  try {
    if (o.timestampFormat !== undefined) { const p = patternOf(o.timestampFormat, true); parseTs = (s) => p.parse(s); }
    if (o.dateFormat !== undefined) { const p = patternOf(o.dateFormat, true); parseDay = (s) => { const ms = p.parse(s); return ms === null ? null : Math.floor(ms / DAY_MS); }; }
  } catch (e) {
    if (e instanceof PatternError) return `from_json: option ${o.timestampFormat !== undefined && parseTs === undefined ? 'timestampFormat' : 'dateFormat'}: ${e.message}`;
    throw e;
  }
  return {
    allowSingleQuotes: o.allowSingleQuotes ?? SPARK_JSON_DEFAULTS.allowSingleQuotes,
    allowUnquotedFieldNames: o.allowUnquotedFieldNames ?? SPARK_JSON_DEFAULTS.allowUnquotedFieldNames,
    allowNumericLeadingZeros: o.allowNumericLeadingZeros ?? SPARK_JSON_DEFAULTS.allowNumericLeadingZeros,
    allowNonNumericNumbers: o.allowNonNumericNumbers ?? SPARK_JSON_DEFAULTS.allowNonNumericNumbers,
    parseTimestamp: parseTs, parseDate: parseDay,
  };
}

/** Row i of `d` as text, for messages and the corrupt-record column. */
function rawText(d: A.Data, i: number): string {
  const raw = cellReader(d, d.type.typeId === A.Type.Binary ? binary : string)(i);
  return typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw);
}

/**
 * Checks the call over an input of `schema` and compiles it, or returns the message of what is wrong.
 * Two readers: decode.ts's byte scanner for struct schemas of atomic fields and nested structs
 * with Spark's default datetime reading; lenient-decode.ts for arrays, maps and datetime patterns,
 * and for the records the scanner found malformed, which Spark's lenient defaults
 * (allowSingleQuotes, allowNonNumericNumbers) or the options given may still accept.
 */
export function compileFromJson(spec: FromJsonSpec, input: Arg, schema: Struct): FromJsonKernel | string {
  if (input.type.kind !== 'string' && input.type.kind !== 'binary') {
    return `from_json needs a string column, but '${input.name}' is ${typeToString(input.type)}. Use col('${input.name}').cast('string').`;
  }
  const badKey = nonStringKey(spec.schema, '');
  if (badKey) return `from_json: the map at '${badKey}' has ${typeToString(spec.schema)} keys that are not strings; JSON object keys are text, so declare it MAP<STRING, …> and cast the keys afterwards`;
  const corruptName = spec.corruptRecordColumn;
  const top = spec.schema;
  if (corruptName && top.kind !== 'struct') return `from_json: columnNameOfCorruptRecord needs a struct schema, but the schema is ${typeToString(top)}`;
  const corruptIdx = corruptName && top.kind === 'struct' ? top.fields.findIndex((f) => f.name === corruptName) : -1;
  if (corruptName && corruptIdx < 0) {
    return `from_json: columnNameOfCorruptRecord '${corruptName}' is not a field of the schema; add it as a string field.`;
  }
  const opts = readOptions(spec.options ?? {});
  if (typeof opts === 'string') return opts;
  // The corrupt-record field is filled by the engine, not parsed from the JSON.
  const parseType: DataType = corruptIdx >= 0 ? struct((top as StructType).fields.filter((_, k) => k !== corruptIdx) as StructField[]) : top;
  const patterns = (opts.parseTimestamp && hasKind(parseType, 'timestamp')) || (opts.parseDate && hasKind(parseType, 'date'));
  const scanner = parseType.kind === 'struct' && !nested(parseType) && !patterns;
  const lenient = opts.allowSingleQuotes || opts.allowUnquotedFieldNames || opts.allowNumericLeadingZeros || opts.allowNonNumericNumbers;
  const locate = rowLocator(schema), mode = spec.mode;
  return (data, b, ctx) => {
    let column: A.Data, malformed: Int32Array;
    if (scanner) {
      const r = decodeJson(data, parseType as StructType);
      column = r.column; malformed = r.malformed;
      if (malformed.length > 0 && lenient) {
        // The scanner's malformed rows read again leniently; those that parse replace their null rows.
        const again = decodeJsonLenient(data, malformed, parseType, opts);
        const idx = Int32Array.from({ length: data.length }, (_, i) => i);
        malformed.forEach((row, j) => { idx[row] = data.length + j; });
        column = take(concatColumns(parseType, [column, again.column]), idx);
        malformed = again.malformed.map((j) => malformed[j]!);
      }
    } else {
      const r = decodeJsonLenient(data, null, parseType, opts);
      column = r.column; malformed = r.malformed;
    }
    if (malformed.length > 0) {
      if (mode === 'FAILFAST') {
        const row = malformed[0]!;
        throw new DataError(`from_json (mode FAILFAST): malformed record at ${locate(b, row)}: ${JSON.stringify(rawText(data, row).slice(0, 200))}. `
          + `Fix the producer, or use mode PERMISSIVE (malformed records become null) or DROPMALFORMED (they are dropped and counted).`);
      }
      if (mode === 'DROPMALFORMED') { ctx.drop(malformed); ctx.metrics.malformedRowsDropped += malformed.length; }
    }
    if (corruptIdx < 0) return column;
    const bb = new BytesBuilder(data.length, 64);
    for (let i = 0, m = 0; i < data.length; i++) {
      if (m < malformed.length && malformed[m] === i) { bb.appendString(rawText(data, i)); m++; } else bb.appendNull();
    }
    const children = [...column.children];
    children.splice(corruptIdx, 0, bb.finish('string'));
    const outSchema = top as StructType;
    return A.makeData({ type: new A.Struct(outSchema.fields.map((f, k) => new A.Field(f.name, children[k]!.type, true))),
      length: b.numRows, nullCount: 0, children });
  };
}
