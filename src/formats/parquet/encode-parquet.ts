/**
 * Arrow -> Parquet bytes through parquet-wasm (arrow-rs compiled to WebAssembly).
 *
 * Path: our Batch columns -> apache-arrow Table -> IPC stream -> parquet-wasm Table -> writeParquet.
 * arrow-rs keeps the Arrow types: int64 stays INT64 (exact), timestamp(ms, 'UTC') becomes
 * TIMESTAMP(MILLIS, isAdjustedToUTC=true) (DuckDB: TIMESTAMP WITH TIME ZONE), date32 DATE,
 * utf8 STRING, structs Parquet groups, decimal(p,s) DECIMAL(p,s) (INT32 up to 9 digits, INT64 up to 18,
 * else FIXED_LEN_BYTE_ARRAY, as Spark writes it; DuckDB reads DECIMAL(p,s)).
 *
 * `import ... from 'parquet-wasm'` resolves under Node (the "node" export condition) to the
 * CommonJS build that loads its .wasm synchronously at import: no init() call, no bundler.
 */
import * as A from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { type Struct, toArrowSchema } from '../../data/types.ts';
import type { Batch } from '../../data/batch.ts';
import { OptionError } from '../../errors.ts';

export type ParquetCodec = 'uncompressed' | 'snappy' | 'gzip' | 'brotli' | 'lz4_raw' | 'zstd';

/** Spark's names for the `compression` option, to the codec written. */
const CODECS: Record<string, ParquetCodec> = {
  none: 'uncompressed',
  uncompressed: 'uncompressed',
  snappy: 'snappy',
  gzip: 'gzip',
  brotli: 'brotli',
  zstd: 'zstd',
  lz4_raw: 'lz4_raw',
  // Parquet's old LZ4 codec (Hadoop framing) is unreadable by DuckDB and deprecated by the
  // format; 'lz4' writes the format's current LZ4_RAW instead.
  lz4: 'lz4_raw',
};

const WASM_CODEC: Record<ParquetCodec, Compression> = {
  uncompressed: Compression.UNCOMPRESSED,
  snappy: Compression.SNAPPY,
  gzip: Compression.GZIP,
  brotli: Compression.BROTLI,
  lz4_raw: Compression.LZ4_RAW,
  zstd: Compression.ZSTD,
};

/** The codec for a `compression` option value (Spark's names; default snappy like Spark). */
export function parseCompression(value: string | undefined): ParquetCodec {
  if (value === undefined) return 'snappy';
  const v = value.trim().toLowerCase();
  const codec = CODECS[v];
  if (codec) return codec;
  const hint = v === 'lzo' ? ' (parquet-wasm cannot write LZO)' : '';
  throw new OptionError(
    `Option 'compression' of the parquet sink: unknown codec '${value}'${hint}. ` +
    `Use one of: ${Object.keys(CODECS).join(', ')} (default snappy).`,
  );
}

export interface ParquetWriteOptions {
  readonly codec: ParquetCodec;
}

/**
 * Encode the rows of `chunks` (all with the columns of `schema`, in order) as one Parquet file.
 * Each non-empty chunk becomes one Arrow record batch; row groups follow arrow-rs's default
 * (up to 1Mi rows each).
 */
export function encodeParquet(schema: Struct, chunks: readonly Batch[], opts: ParquetWriteOptions): Uint8Array {
  const arrowSchema = toArrowSchema(schema);
  const structType = new A.Struct(arrowSchema.fields);
  const batches = chunks
    .filter((c) => c.numRows > 0)
    .map((c) => new A.RecordBatch(arrowSchema, A.makeData({
      type: structType, length: c.numRows, nullCount: 0, children: c.columns as A.Data[],
    })));
  const table = batches.length > 0 ? new A.Table(arrowSchema, batches) : new A.Table(arrowSchema);
  const ipc = A.tableToIPC(table, 'stream');
  // Both the wasm Table and the WriterProperties are consumed by writeParquet (their wasm
  // pointers are taken over), so a fresh pair is built per file.
  const wasmTable = WasmTable.fromIPCStream(ipc);
  const props = new WriterPropertiesBuilder().setCompression(WASM_CODEC[opts.codec]).build();
  return writeParquet(wasmTable, props);
}
