import * as A from 'apache-arrow';
import { type DataType, type Struct, type StructType, type StructField, string, int, long, struct, typeToString } from '../../data/types.ts';
import type { Batch } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader } from '../../data/cells.ts';
import { decodeJson, type JsonMode } from '../../formats/json/decode.ts';
import { DataError } from '../../errors.ts';
import type { EvalContext } from '../compiled-expr.ts';
import type { Arg } from './scalar-function.ts';

/**
 * from_json is not a registry entry: its schema is a type, not an argument column, and its modes
 * act on the batch (DROPMALFORMED removes rows, FAILFAST names the Kafka record). The plan keeps
 * it as its own node; this is its type rule and its kernel, beside the registry's functions.
 */
export interface FromJsonSpec {
  readonly schema: StructType;
  readonly mode: JsonMode;
  /** A string field of the schema that receives the raw text of malformed records (PERMISSIVE). */
  readonly corruptRecordColumn?: string;
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

function firstArrayField(t: Struct | StructType, prefix: string): string | null {
  for (const f of t.fields) {
    if (f.type.kind === 'array') return prefix + f.name;
    if (f.type.kind === 'struct') { const inner = firstArrayField(f.type, `${prefix}${f.name}.`); if (inner) return inner; }
  }
  return null;
}

/** Checks the call over an input of `schema` and compiles it, or returns the message of what is wrong. */
export function compileFromJson(spec: FromJsonSpec, input: Arg, schema: Struct): FromJsonKernel | string {
  if (input.type.kind !== 'string' && input.type.kind !== 'binary') {
    return `from_json needs a string column, but '${input.name}' is ${typeToString(input.type)}. Use col('${input.name}').cast('string').`;
  }
  const arrayField = firstArrayField(spec.schema, '');
  if (arrayField) return `from_json: the schema's field '${arrayField}' is an array, which from_json cannot decode yet; read it as a string field and split() it, or leave it out of the schema`;
  const corruptName = spec.corruptRecordColumn;
  const corruptIdx = corruptName ? spec.schema.fields.findIndex((f) => f.name === corruptName) : -1;
  if (corruptName && corruptIdx < 0) {
    return `from_json: columnNameOfCorruptRecord '${corruptName}' is not a field of the schema; add it as a string field.`;
  }
  // The corrupt-record field is filled by the engine, not parsed from the JSON.
  const parseSchema = corruptIdx >= 0 ? struct(spec.schema.fields.filter((_, k) => k !== corruptIdx) as StructField[]) : spec.schema;
  const locate = rowLocator(schema), mode = spec.mode, outSchema = spec.schema, inputType: DataType = input.type;
  return (data, b, ctx) => {
    const r = decodeJson(data, parseSchema, { corruptRecord: corruptIdx >= 0 });
    if (r.malformed.length > 0) {
      if (mode === 'FAILFAST') {
        const row = r.malformed[0]!;
        const raw = cellReader(data, inputType)(row);
        const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw);
        throw new DataError(`from_json (mode FAILFAST): malformed record at ${locate(b, row)}: ${JSON.stringify(text.slice(0, 200))}. `
          + `Fix the producer, or use mode PERMISSIVE (malformed records become null) or DROPMALFORMED (they are dropped and counted).`);
      }
      if (mode === 'DROPMALFORMED') { ctx.drop(r.malformed); ctx.metrics.malformedRowsDropped += r.malformed.length; }
    }
    if (corruptIdx < 0) return r.column;
    const children = [...r.column.children];
    children.splice(corruptIdx, 0, r.corrupt ?? new BytesBuilder(1).finish('string'));
    return A.makeData({ type: new A.Struct(outSchema.fields.map((f) => new A.Field(f.name, children[outSchema.fields.indexOf(f)]!.type, true))),
      length: b.numRows, nullCount: 0, children });
  };
}
