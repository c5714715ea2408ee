/**
 * JSON Lines (Spark's default for read.json): one object per line, blank lines skipped.
 * Records are parsed by the engine's from_json kernel, so a file reads exactly as a Kafka
 * value run through from_json would.
 */
import * as A from 'apache-arrow';
import type { Struct } from '../../data/types.ts';
import { struct } from '../../data/types.ts';
import { AnalysisError, DataError } from '../../errors.ts';
import { type Batch, makeBatch } from '../../data/batch.ts';
import { decodeJson, type JsonMode } from '../../formats/json/decode.ts';
import { take } from '../../data/take.ts';
import type { JsonSchemaInference } from './infer-json-schema.ts';

export interface JsonLines {
  /** One Utf8 row per non-blank line, without its line break. */
  readonly column: A.Data;
  /** 1-based line number of each row, for error messages. */
  readonly lineNumbers: Int32Array;
}

/** The non-blank lines of a file as a string column (a UTF-8 byte order mark is dropped). */
export function splitLines(bytes: Uint8Array): JsonLines {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const data = new Uint8Array(bytes.length - start);
  const offsets: number[] = [0], lines: number[] = [];
  let pos = 0, line = 0;
  for (let s = start; s < bytes.length;) {
    let e = bytes.indexOf(0x0a, s);
    if (e < 0) e = bytes.length;
    line++;
    let t = e;
    if (t > s && bytes[t - 1] === 0x0d) t--;
    let blank = true;
    for (let i = s; i < t; i++) { const c = bytes[i]; if (c !== 0x20 && c !== 0x09 && c !== 0x0d) { blank = false; break; } }
    if (!blank) {
      data.set(bytes.subarray(s, t), pos);
      pos += t - s;
      offsets.push(pos);
      lines.push(line);
    }
    s = e + 1;
  }
  const n = lines.length;
  const column = A.makeData({ type: new A.Utf8(), length: n, nullCount: 0, valueOffsets: Int32Array.from(offsets), data: data.subarray(0, pos) } as never) as A.Data;
  return { column, lineNumbers: Int32Array.from(lines) };
}

/** Feeds every line to schema inference. */
export function inferLines(lines: JsonLines, inference: JsonSchemaInference): void {
  const d = lines.column, o = d.valueOffsets as Int32Array, v = d.values as Uint8Array;
  for (let i = 0; i < d.length; i++) inference.add(v, o[i]!, o[i + 1]!);
}

export interface JsonReadOptions {
  readonly mode: JsonMode;
  /** Spark's columnNameOfCorruptRecord: a string column of `schema` that gets a malformed line's text. */
  readonly corruptColumn: string;
}

/**
 * The rows of one file in `schema`. PERMISSIVE: a malformed line is a row of nulls (its text in
 * the corrupt-record column if the schema has one); DROPMALFORMED: it is skipped; FAILFAST: error.
 */
export function decodeLines(lines: JsonLines, schema: Struct, opts: JsonReadOptions, file: string): Batch {
  const ci = schema.fields.findIndex((f) => f.name === opts.corruptColumn);
  if (ci >= 0 && schema.fields[ci]!.type.kind !== 'string') {
    throw new AnalysisError(`read.json: the corrupt-record column '${opts.corruptColumn}' must be a string column, but the schema makes it ${schema.fields[ci]!.type.kind}.`);
  }
  const dataSchema = ci >= 0 ? struct(schema.fields.filter((_, k) => k !== ci)) : schema;
  const r = decodeJson(lines.column, dataSchema, { corruptRecord: ci >= 0 });
  if (r.malformed.length > 0 && opts.mode === 'FAILFAST') {
    const row = r.malformed[0]!, o = lines.column.valueOffsets as Int32Array;
    const text = new TextDecoder().decode((lines.column.values as Uint8Array).subarray(o[row]!, Math.min(o[row + 1]!, o[row]! + 120)));
    throw new DataError(`read.json: malformed record in '${file}' at line ${lines.lineNumbers[row]!}: ${text}. `
      + `Fix the line, or read with .option('mode', 'PERMISSIVE') (a row of nulls) or 'DROPMALFORMED' (skip it).`);
  }
  const cols: A.Data[] = [...r.column.children];
  if (ci >= 0) cols.splice(ci, 0, r.corrupt!);
  let batch = makeBatch(schema, cols, lines.column.length);
  if (r.malformed.length > 0 && opts.mode === 'DROPMALFORMED') {
    const keep = keptRows(batch.numRows, r.malformed);
    batch = makeBatch(schema, batch.columns.map((c) => take(c, keep)), keep.length);
  }
  return batch;
}

function keptRows(n: number, dropped: Int32Array): Int32Array {
  const out = new Int32Array(n - dropped.length);
  let k = 0, d = 0;
  for (let i = 0; i < n; i++) {
    if (d < dropped.length && dropped[d] === i) { d++; continue; }
    out[k++] = i;
  }
  return out;
}
