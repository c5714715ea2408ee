import type * as A from 'apache-arrow';
import { DataFrame } from './dataframe.ts';
import type { Session } from './session.ts';
import { type Struct, sameType, struct, typeToString } from '../data/types.ts';
import { inferRowsSchema } from './infer-rows-schema.ts';
import { AnalysisError, OptionError } from '../errors.ts';
import { type Batch, makeBatch } from '../data/batch.ts';
import { nullColumn } from '../data/builders.ts';
import { columnFromValues } from '../data/column-from-values.ts';
import type { JsonMode } from '../formats/json/decode.ts';
import { JsonSchemaInference } from '../sources/file/infer-json-schema.ts';
import { decodeLines, inferLines, splitLines, type JsonLines } from '../sources/file/json-lines.ts';
import { type InputFiles, listInputFiles, readInputFile } from '../sources/file/list-files.ts';
import { decodeParquet, type DecodedFile } from '../formats/parquet/read-parquet.ts';
import { discoverPartitions, type Partitioning } from '../sources/file/partition-discovery.ts';
import { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';
import { parseDdlSchema } from '../data/ddl.ts';

const FORMATS = ['parquet', 'json'] as const;
type Format = (typeof FORMATS)[number];

const OPTIONS: Record<Format, readonly string[]> = {
  parquet: ['recursiveFileLookup', 'mergeSchema'],
  json: ['recursiveFileLookup', 'mode', 'columnNameOfCorruptRecord', 'multiLine'],
};

/**
 * session.read: Spark's DataFrameReader for static (bounded) DataFrames, which a stream can
 * be joined with. Unlike Spark, where read.parquet() is lazy and the files are scanned when
 * a query runs, `parquet()`, `json()` and `load()` read the files at once into memory and
 * return a Promise: `const campaigns = await session.read.parquet('./campaigns')`. The
 * DataFrame is a snapshot of the files at that moment; read again (and restart the query)
 * to pick up changes.
 *
 * A path is a file or a directory; a directory gives every `*.parquet` (or `*.json`,
 * `*.jsonl`, `*.ndjson`) file below it, sorted by path, skipping names that start with '_'
 * or '.' as Spark does (`_SUCCESS`, the Parquet sink's `_sluice_log`). Hive-style folders
 * (`country=US/`) become columns, as in Spark's partition discovery.
 */
export class DataFrameReader {
  private fmt: Format | null = null;
  private readonly opts = new CaseInsensitiveMap();
  private userSchema: Struct | null = null;
  constructor(private readonly session: Session) {}

  format(name: string): this {
    const f = name.toLowerCase();
    if (!(FORMATS as readonly string[]).includes(f)) throw new OptionError(`read.format('${name}'): unknown format. Static DataFrames read: ${FORMATS.join(', ')}.`);
    this.fmt = f as Format;
    return this;
  }
  option(key: string, value: string | number | boolean): this { this.opts.set(key, String(value)); return this; }
  options(o: Record<string, string | number | boolean>): this { for (const [k, v] of Object.entries(o)) this.option(k, v); return this; }
  /** The columns to read. JSON: skips inference; Parquet: picks and orders columns (one a file lacks is null). */
  /** A StructType, or a DDL string as in PySpark: schema('id BIGINT, name STRING'). */
  schema(s: Struct | string): this { this.userSchema = typeof s === 'string' ? parseDdlSchema(s) : s; return this; }

  load(path: string): Promise<DataFrame> {
    if (!this.fmt) throw new OptionError(`read.load('${path}') needs a format: read.format('parquet').load(...) (known: ${FORMATS.join(', ')}), or call read.parquet()/read.json().`);
    return this.fmt === 'parquet' ? this.parquet(path) : this.json(path);
  }

  async parquet(path: string): Promise<DataFrame> {
    this.checkOptions('parquet');
    if (this.flag('mergeSchema')) throw new OptionError(`read.parquet: option mergeSchema is not supported yet; the files must share one schema.`);
    const what = `read.parquet('${path}')`;
    const files = await listInputFiles(path, ['.parquet'], what, this.session.conf);
    const decoded: DecodedFile[] = [];
    for (const f of files.files) decoded.push(decodeParquet(await readInputFile(files, f, what), f.path));
    const fileSchema = this.userSchema ?? decoded[0]!.schema;
    const perFile = decoded.map((d, i) => conform(d, fileSchema, files.files[i]!.path, files.files[0]!.path, this.userSchema !== null));
    return this.frame('parquet', path, files, fileSchema, perFile);
  }

  async json(path: string): Promise<DataFrame> {
    this.checkOptions('json');
    if (this.flag('multiLine')) throw new OptionError(`read.json: option multiLine is not supported yet; sluice reads JSON Lines (one object per line), Spark's default.`);
    const modeText = (this.opts.get('mode') ?? 'PERMISSIVE').toUpperCase();
    if (modeText !== 'PERMISSIVE' && modeText !== 'DROPMALFORMED' && modeText !== 'FAILFAST') {
      throw new OptionError(`read.json: option mode '${this.opts.get('mode')}' is not one of PERMISSIVE, DROPMALFORMED, FAILFAST.`);
    }
    const mode = modeText as JsonMode;
    const corruptColumn = this.opts.get('columnNameOfCorruptRecord') ?? '_corrupt_record';
    const what = `read.json('${path}')`;
    const files = await listInputFiles(path, ['.json', '.jsonl', '.ndjson'], what, this.session.conf);
    const lines: JsonLines[] = [];
    for (const f of files.files) lines.push(splitLines(await readInputFile(files, f, what)));
    let schema = this.userSchema;
    if (!schema) {
      const inference = new JsonSchemaInference();
      for (const l of lines) inferLines(l, inference);
      schema = inference.schema(mode === 'PERMISSIVE' ? corruptColumn : undefined);
    }
    const s = schema;
    const perFile = lines.map((l, i) => [decodeLines(l, s, { mode, corruptColumn }, files.files[i]!.path)]);
    return this.frame('json', path, files, s, perFile);
  }

  /** The DataFrame over every file's batches, with the partition columns appended. */
  private frame(format: Format, path: string, files: InputFiles, fileSchema: Struct, perFile: readonly Batch[][]): DataFrame {
    const what = `read.${format}('${path}')`;
    const parts: Partitioning | null = this.flag('recursiveFileLookup') ? null : discoverPartitions(files.files, what);
    const names = new Set(fileSchema.fields.map((f) => f.name));
    // A column both in the files and in the folder names is taken from the files.
    const partFields = (parts?.fields ?? []).map((f, k) => ({ f, k })).filter(({ f }) => !names.has(f.name));
    const schema = struct([...fileSchema.fields, ...partFields.map(({ f }) => f)]);
    const batches: Batch[] = [];
    perFile.forEach((bs, i) => {
      for (const b of bs) {
        if (b.numRows === 0) continue;
        const pcols = partFields.length ? parts!.columns(i, b.numRows) : [];
        batches.push(makeBatch(schema, [...b.columns, ...partFields.map(({ k }) => pcols[k]!)], b.numRows));
      }
    });
    const description = `${format} ${path}`;
    return new DataFrame(this.session, { kind: 'static', schema, batches, description });
  }

  private checkOptions(format: Format): void {
    const unknown = this.opts.unknown(OPTIONS[format]);
    if (unknown.length) {
      throw new OptionError(`Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for read.${format}. Its options are: ${OPTIONS[format].join(', ')}.`);
    }
  }

  private flag(key: string): boolean {
    const v = this.opts.get(key);
    if (v === undefined) return false;
    const t = v.trim().toLowerCase();
    if (t !== 'true' && t !== 'false') throw new OptionError(`Option '${key}' must be true or false, got '${v}'.`);
    return t === 'true';
  }
}

/**
 * One Parquet file's batches in `schema`'s column order. Without a user schema every file
 * must have the first file's columns and types (in any order); with one, a column the file
 * lacks is null, as in Spark.
 */
function conform(d: DecodedFile, schema: Struct, file: string, firstFile: string, userGiven: boolean): Batch[] {
  const have = new Map(d.schema.fields.map((f, k) => [f.name, { f, k }] as const));
  if (!userGiven && d.schema.fields.length !== schema.fields.length) mismatch();
  const picks = schema.fields.map((f) => {
    const h = have.get(f.name);
    if (!h) { if (userGiven) return null; mismatch(); }
    if (!sameType(h.f.type, f.type)) {
      throw new AnalysisError(`read.parquet: column '${f.name}' is ${typeToString(h.f.type)} in '${file}' but ${userGiven ? 'the schema says' : `'${firstFile}' has`} ${typeToString(f.type)}. `
        + `Rewrite the files with one type${userGiven ? ', or change the schema' : ''}.`);
    }
    return h.k;
  });
  return d.batches.map((b) => makeBatch(schema, picks.map((k, c) => (k === null ? nullColumn(schema.fields[c]!.type, b.numRows) : b.columns[k]!)) as A.Data[], b.numRows));

  function mismatch(): never {
    throw new AnalysisError(`read.parquet: '${file}' has columns (${d.schema.fields.map((f) => f.name).join(', ')}) but '${firstFile}' has (${schema.fields.map((f) => f.name).join(', ')}). `
      + `sluice does not merge schemas yet: read the files separately, or give read.schema(...) (missing columns are then null).`);
  }
}

/**
 * session.createDataFrame(rows, schema?): a static DataFrame from row objects (keyed by
 * column name). Without a schema, one is inferred (see inferRowsSchema); with one, each value
 * must fit its column, and keys the schema does not name are ignored.
 */
export function createDataFrame(session: Session, rows: readonly object[], schema?: Struct): DataFrame {
  // `object`, not Record<string, unknown>: rows typed by an interface have no index signature.
  const records = rows as readonly Record<string, unknown>[];
  const s = schema ?? inferRowsSchema(records);
  const cols = s.fields.map((f) => columnFromValues(f.type, records.map((r) => r?.[f.name]), 'createDataFrame', f.name));
  const batch = makeBatch(s, cols, rows.length);
  return new DataFrame(session, { kind: 'static', schema: s, batches: [batch], description: `createDataFrame(${rows.length} rows)` });
}
