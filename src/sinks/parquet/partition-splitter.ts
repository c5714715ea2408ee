/**
 * Hive-style partitioning: rows are grouped by the values of the partitionBy columns and each
 * group goes to `<col>=<value>/...`; the partition columns themselves are not stored in the files.
 *
 * Columnar: one directory key per row, row indices grouped per key, then every data column is
 * gathered once per group with `take`.
 */
import type * as A from 'apache-arrow';
import type { DataType, Struct } from '../../data/types.ts';
import { struct } from '../../data/types.ts';
import { type Batch, isValid, makeBatch } from '../../data/batch.ts';
import { take } from '../../data/take.ts';
import { formatDouble } from '../../data/cells.ts';
import { SinkError } from '../../errors.ts';
import {
  formatDateValue, formatTimestampValue, MAX_SEGMENT_BYTES, partitionSegment, shortenedSegment,
} from '../../formats/hive-path.ts';

const utf8 = new TextDecoder();
const utf8Enc = new TextEncoder();

/** Types a partition column may have. Binary is refused: its bytes need not be text. */
export function isPartitionableType(t: DataType): boolean {
  return t.kind === 'boolean' || t.kind === 'int' || t.kind === 'long' || t.kind === 'double'
    || t.kind === 'string' || t.kind === 'timestamp' || t.kind === 'date';
}

/** The row-i text of a partition column (null for SQL null), as Spark writes it in the path. */
function valueFormatter(d: A.Data, type: DataType): (i: number) => string | null {
  const nulls = d.nullCount > 0;
  switch (type.kind) {
    case 'boolean': {
      const v = d.values as Uint8Array;
      return (i) => (nulls && !isValid(d, i) ? null : ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 'true' : 'false');
    }
    case 'int': { const v = d.values as Int32Array; return (i) => (nulls && !isValid(d, i) ? null : String(v[i]!)); }
    case 'date': { const v = d.values as Int32Array; return (i) => (nulls && !isValid(d, i) ? null : formatDateValue(v[i]!)); }
    case 'double': { const v = d.values as Float64Array; return (i) => (nulls && !isValid(d, i) ? null : formatDouble(v[i]!)); }
    case 'long': { const v = d.values as BigInt64Array; return (i) => (nulls && !isValid(d, i) ? null : v[i]!.toString()); }
    case 'timestamp': {
      const v = d.values as BigInt64Array;
      return (i) => (nulls && !isValid(d, i) ? null : formatTimestampValue(Number(v[i]!)));
    }
    case 'string': {
      const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array;
      return (i) => (nulls && !isValid(d, i) ? null : utf8.decode(v.subarray(o[i]!, o[i + 1]!)));
    }
    default:
      throw new SinkError(`Partition column of type ${type.kind} cannot be written as a directory name.`);
  }
}

export interface PartitionGroup {
  /** Relative directory, segments joined with '/' ('' when not partitioned). */
  readonly dir: string;
  /** The rows of this directory, data columns only, in input order. */
  readonly pieces: Batch[];
  numRows: number;
}

export interface PartitionSplitter {
  /** Schema of what goes into the files: the input schema minus the partition columns. */
  readonly dataSchema: Struct;
  /** Group the rows of the chunks by directory; groups sorted by directory name. */
  split(chunks: readonly Batch[]): PartitionGroup[];
  /** Values shortened since the last call, as progress warnings. */
  drainWarnings(): string[];
}

/** A splitter for `schema` partitioned by `partitionBy` (already checked to exist and be partitionable). */
export function partitionSplitter(schema: Struct, partitionBy: readonly string[]): PartitionSplitter {
  const names = schema.fieldNames();
  const partIdx = partitionBy.map((c) => names.indexOf(c));
  const dataIdx = names.map((_, i) => i).filter((i) => !partIdx.includes(i));
  const dataSchema = struct(dataIdx.map((i) => schema.fields[i]!));
  const segCache = partitionBy.map(() => new Map<string | null, string>());
  let warnings: string[] = [];

  const segmentOf = (k: number, value: string | null): string => {
    const cache = segCache[k]!;
    let seg = cache.get(value);
    if (seg === undefined) {
      seg = partitionSegment(partitionBy[k]!, value);
      if (seg.length > MAX_SEGMENT_BYTES / 3 && utf8Enc.encode(seg).length > MAX_SEGMENT_BYTES) {
        const bytes = utf8Enc.encode(seg).length;
        seg = shortenedSegment(partitionBy[k]!, value!);
        warnings.push(`Partition column '${partitionBy[k]}': a value starting '${value!.slice(0, 40)}' would make a directory name of ${bytes} bytes, `
          + `over the ${MAX_SEGMENT_BYTES}-byte limit of file systems; its rows went to '${seg.slice(0, 60)}…' (a prefix of the value, '~' and a hash of it). `
          + `Partition by a shorter column, or a substring or hash of this one.`);
      }
      if (cache.size < 100_000) cache.set(value, seg);
    }
    return seg;
  };

  const split = (chunks: readonly Batch[]): PartitionGroup[] => {
    const groups = new Map<string, PartitionGroup>();
    const groupOf = (dir: string): PartitionGroup => {
      let g = groups.get(dir);
      if (!g) { g = { dir, pieces: [], numRows: 0 }; groups.set(dir, g); }
      return g;
    };
    for (const chunk of chunks) {
      const n = chunk.numRows;
      if (n === 0) continue;
      const dataCols = dataIdx.map((i) => chunk.columns[i]!);
      if (partIdx.length === 0) {
        const g = groupOf('');
        g.pieces.push(makeBatch(dataSchema, dataCols, n));
        g.numRows += n;
        continue;
      }
      const fmts = partIdx.map((i) => valueFormatter(chunk.columns[i]!, schema.fields[i]!.type));
      const rowsByDir = new Map<string, number[]>();
      for (let r = 0; r < n; r++) {
        let dir = segmentOf(0, fmts[0]!(r));
        for (let k = 1; k < fmts.length; k++) dir += '/' + segmentOf(k, fmts[k]!(r));
        let rows = rowsByDir.get(dir);
        if (!rows) { rows = []; rowsByDir.set(dir, rows); }
        rows.push(r);
      }
      for (const [dir, rows] of rowsByDir) {
        const g = groupOf(dir);
        // Rows are in increasing order: a group holding every row is the chunk itself.
        let cols = dataCols;
        if (rows.length !== n) { const idx = Int32Array.from(rows); cols = dataCols.map((c) => take(c, idx)); }
        g.pieces.push(makeBatch(dataSchema, cols, rows.length));
        g.numRows += rows.length;
      }
    }
    return [...groups.values()].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  };

  return { dataSchema, split, drainWarnings: () => { const w = warnings; warnings = []; return w; } };
}

/** Rows [start, end) of a batch as a new batch (the batch itself when it is the whole). */
export function sliceRows(b: Batch, start: number, end: number): Batch {
  if (start === 0 && end === b.numRows) return b;
  const idx = new Int32Array(end - start);
  for (let i = 0; i < idx.length; i++) idx[i] = start + i;
  return makeBatch(b.schema, b.columns.map((c) => take(c, idx)), idx.length);
}
