import { randomUUID } from 'node:crypto';
import type { DataFrame } from './dataframe.ts';
import { AnalysisError, OptionError } from '../errors.ts';
import { typeToString } from '../data/types.ts';
import { encodeParquet, parseCompression } from '../formats/parquet/encode-parquet.ts';
import { jsonWriter } from '../formats/json/encode-json.ts';
import { csvUnsupported, encodeCsv } from '../formats/csv/encode-csv.ts';
import { type Batch, isValid } from '../data/batch.ts';
import type { Struct } from '../data/types.ts';
import { isPartitionableType, partitionSplitter } from '../sinks/parquet/partition-splitter.ts';
import { joinPath, storageFor } from '../storage/storage-for.ts';
import { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';

type SaveMode = 'append' | 'overwrite' | 'error' | 'ignore';
type Format = 'parquet' | 'json' | 'csv';
const FORMATS: readonly Format[] = ['parquet', 'json', 'csv'];
/** Options each format takes (path aside). */
const FORMAT_OPTIONS: Record<Format, readonly string[]> = { parquet: ['compression'], json: [], csv: ['header', 'sep', 'delimiter'] };
const MODES: Record<string, SaveMode> = { append: 'append', overwrite: 'overwrite', error: 'error', errorifexists: 'error', default: 'error', ignore: 'ignore' };

/** A data file's name under a written directory: Spark's part-NNNNN-<uuid> shape, so reruns never clash. */
const fileName = (run: string, n: number, ext: string): string => `part-${String(n).padStart(5, '0')}-${run}.${ext}`;
/** What overwrite removes: data files, not what a user keeps beside them ('_' and '.' names are skipped, as readers do). */
const isDataFile = (rel: string): boolean => /\.(parquet|json|csv)$/.test(rel) && !rel.split('/').some((s) => s.startsWith('_') || s.startsWith('.'));

/** JSON Lines of the rows: one object per row, null fields left out (Spark's write.json). */
function encodeJsonLines(schema: Struct, batches: readonly Batch[]): string {
  let out = '';
  for (const b of batches) {
    const cols = schema.fields.map((f, k) => ({ key: JSON.stringify(f.name), d: b.columns[k]!, w: jsonWriter(b.columns[k]!, f.type) }));
    for (let i = 0; i < b.numRows; i++) {
      let line = '{', first = true;
      for (const c of cols) { if (!isValid(c.d, i)) continue; line += `${first ? '' : ','}${c.key}:${c.w(i)}`; first = false; }
      out += line + '}\n';
    }
  }
  return out;
}

/**
 * df.write for a static DataFrame (Spark's DataFrameWriter): Parquet, JSON Lines or CSV files under a
 * directory, local or S3, optionally partitioned into Hive-style folders. foreachBatch's batch is a static DataFrame,
 * so `batch.write.mode('append').parquet(path)` works there as in PySpark. Unlike Spark, saving is
 * asynchronous: `await df.write.parquet(path)`.
 *
 * This is a plain batch write: a crash in the middle leaves the files written so far, as Spark's
 * does without a committer. The streaming Parquet sink (writeStream) is the exactly-once one.
 */
export class DataFrameWriter {
  private saveMode: SaveMode = 'error';
  private fmt: Format = 'parquet';
  private readonly opts = new CaseInsensitiveMap();
  private partitionCols: string[] = [];
  constructor(private readonly df: DataFrame) {}

  /** 'error' (default; also 'errorifexists'), 'append', 'overwrite' or 'ignore'. */
  mode(m: string): this {
    const mode = MODES[m.toLowerCase()];
    if (!mode) throw new OptionError(`write.mode('${m}'): unknown save mode. Use one of append, overwrite, error, errorifexists, ignore.`);
    this.saveMode = mode;
    return this;
  }
  format(name: string): this {
    const f = name.toLowerCase() as Format;
    if (!FORMATS.includes(f)) throw new OptionError(`write.format('${name}'): unknown format. Static DataFrames are written as ${FORMATS.join(', ')}.`);
    this.fmt = f;
    return this;
  }
  option(key: string, value: string | number | boolean): this { this.opts.set(key, String(value)); return this; }
  options(o: Record<string, string | number | boolean>): this { for (const [k, v] of Object.entries(o)) this.option(k, v); return this; }
  partitionBy(...cols: (string | string[])[]): this { this.partitionCols = cols.flat(); return this; }

  parquet(path: string): Promise<void> { return this.format('parquet').save(path); }
  /** JSON Lines, one object per row (Spark's write.json). */
  json(path: string): Promise<void> { return this.format('json').save(path); }
  /** CSV with Spark's defaults; option('header', true) for a header line, option('sep', ';') for another separator. */
  csv(path: string): Promise<void> { return this.format('csv').save(path); }

  async save(path?: string): Promise<void> {
    const target = path ?? this.opts.get('path');
    if (!target) throw new OptionError(`write.save() needs a path: write.parquet('/data/out') or option('path', ...).`);
    const known = ['path', ...FORMAT_OPTIONS[this.fmt]];
    for (const k of this.opts.keys()) {
      if (!known.includes(k.toLowerCase())) throw new OptionError(`write.${this.fmt}: unknown option '${k}'. Known: ${known.join(', ')}.`);
    }
    const codec = parseCompression(this.opts.get('compression'));
    const schema = this.df.schema;
    if (this.fmt === 'csv') { const why = csvUnsupported(schema); if (why) throw new AnalysisError(`write.csv: ${why}.`); }
    const header = (this.opts.get('header') ?? 'false').toLowerCase();
    if (header !== 'true' && header !== 'false') throw new OptionError(`write.csv: option header must be true or false, got '${this.opts.get('header')}'.`);
    const sep = this.opts.get('sep') ?? this.opts.get('delimiter') ?? ',';
    if (sep.length !== 1) throw new OptionError(`write.csv: option sep must be one character, got '${sep}'.`);
    for (const c of this.partitionCols) {
      const f = schema.fields.find((x) => x.name === c);
      if (!f) throw new AnalysisError(`write.partitionBy('${c}'): no such column. Available columns: ${schema.fields.map((x) => x.name).join(', ')}.`);
      if (!isPartitionableType(f.type)) throw new AnalysisError(`write.partitionBy('${c}'): a ${typeToString(f.type)} column cannot name a directory.`);
    }
    if (this.partitionCols.length === schema.fields.length && schema.fields.length > 0) {
      throw new AnalysisError(`write.partitionBy(${this.partitionCols.join(', ')}): every column would be a directory name and the files would hold none.`);
    }
    const batches = this.df.collectBatches();
    const { storage, path: root } = storageFor(target, 'path', this.df.session.conf);
    const existing = (await storage.listRecursive(root)).map((p) => p.slice(root.length + 1));
    if (existing.length > 0) {
      if (this.saveMode === 'error') {
        throw new AnalysisError(`write: path '${target}' already exists. Choose mode('append') to add files, mode('overwrite') to replace its data, or mode('ignore') to leave it.`);
      }
      if (this.saveMode === 'ignore') return;
    }
    const splitter = partitionSplitter(schema, this.partitionCols);
    const run = randomUUID();
    let n = 0;
    const ext = this.fmt === 'parquet' ? (codec === 'uncompressed' ? 'parquet' : `${codec}.parquet`) : this.fmt;
    const encode = (pieces: readonly Batch[]): Uint8Array => (this.fmt === 'parquet' ? encodeParquet(splitter.dataSchema, pieces, { codec })
      : Buffer.from(this.fmt === 'json' ? encodeJsonLines(splitter.dataSchema, pieces) : encodeCsv(splitter.dataSchema, pieces, { header: header === 'true', sep })));
    for (const g of splitter.split(batches)) {
      if (g.numRows === 0) continue;
      const name = fileName(run, n++, ext);
      await storage.write(g.dir ? joinPath(root, g.dir, name) : joinPath(root, name), encode(g.pieces));
    }
    // Overwrite replaces the old data only once the new files are all there.
    if (this.saveMode === 'overwrite') for (const rel of existing) if (isDataFile(rel)) await storage.remove(joinPath(root, rel));
  }
}
