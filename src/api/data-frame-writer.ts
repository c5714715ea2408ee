import { randomUUID } from 'node:crypto';
import type { DataFrame } from './dataframe.ts';
import { AnalysisError, OptionError } from '../errors.ts';
import { typeToString } from '../data/types.ts';
import { encodeParquet, parseCompression } from '../formats/parquet/encode-parquet.ts';
import { isPartitionableType, partitionSplitter } from '../sinks/parquet/partition-splitter.ts';
import { joinPath, storageFor } from '../storage/storage-for.ts';
import { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';

type SaveMode = 'append' | 'overwrite' | 'error' | 'ignore';
const MODES: Record<string, SaveMode> = { append: 'append', overwrite: 'overwrite', error: 'error', errorifexists: 'error', default: 'error', ignore: 'ignore' };

/** A data file's name under a written directory: Spark's part-NNNNN-<uuid> shape, so reruns never clash. */
const fileName = (run: string, n: number, codec: string): string => `part-${String(n).padStart(5, '0')}-${run}.${codec === 'uncompressed' ? '' : `${codec}.`}parquet`;
/** What overwrite removes: data files, not what a user keeps beside them ('_' and '.' names are skipped, as readers do). */
const isDataFile = (rel: string): boolean => rel.endsWith('.parquet') && !rel.split('/').some((s) => s.startsWith('_') || s.startsWith('.'));

/**
 * df.write for a static DataFrame (Spark's DataFrameWriter): Parquet files under a directory, local
 * or S3, optionally partitioned into Hive-style folders. foreachBatch's batch is a static DataFrame,
 * so `batch.write.mode('append').parquet(path)` works there as in PySpark. Unlike Spark, saving is
 * asynchronous: `await df.write.parquet(path)`.
 *
 * This is a plain batch write: a crash in the middle leaves the files written so far, as Spark's
 * does without a committer. The streaming Parquet sink (writeStream) is the exactly-once one.
 */
export class DataFrameWriter {
  private saveMode: SaveMode = 'error';
  private fmt = 'parquet';
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
    if (name.toLowerCase() !== 'parquet') throw new OptionError(`write.format('${name}'): static DataFrames are written as parquet only.`);
    this.fmt = 'parquet';
    return this;
  }
  option(key: string, value: string | number | boolean): this { this.opts.set(key, String(value)); return this; }
  options(o: Record<string, string | number | boolean>): this { for (const [k, v] of Object.entries(o)) this.option(k, v); return this; }
  partitionBy(...cols: (string | string[])[]): this { this.partitionCols = cols.flat(); return this; }

  parquet(path: string): Promise<void> { return this.format('parquet').save(path); }

  async save(path?: string): Promise<void> {
    const target = path ?? this.opts.get('path');
    if (!target) throw new OptionError(`write.save() needs a path: write.parquet('/data/out') or option('path', ...).`);
    for (const k of this.opts.keys()) {
      if (k !== 'compression' && k !== 'path') throw new OptionError(`write.${this.fmt}: unknown option '${k}'. Known: compression, path.`);
    }
    const codec = parseCompression(this.opts.get('compression'));
    const schema = this.df.schema;
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
    for (const g of splitter.split(batches)) {
      if (g.numRows === 0) continue;
      const file = g.dir ? joinPath(root, g.dir, fileName(run, n++, codec)) : joinPath(root, fileName(run, n++, codec));
      await storage.write(file, encodeParquet(splitter.dataSchema, g.pieces, { codec }));
    }
    // Overwrite replaces the old data only once the new files are all there.
    if (this.saveMode === 'overwrite') for (const rel of existing) if (isDataFile(rel)) await storage.remove(joinPath(root, rel));
  }
}
