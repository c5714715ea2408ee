/**
 * Hive-style partitioning: rows are grouped by the values of the partitionBy columns and each
 * group goes to `<col>=<value>/...`; the partition columns themselves are not stored in the files.
 *
 * Columnar: one directory key per row, row indices grouped per key, then every data column is
 * gathered once per group with `take`.
 */
import type * as A from 'apache-arrow';
import type { DataType, Struct } from '../../api/types.ts';
import { struct } from '../../api/types.ts';
import { type Batch, isValid, makeBatch } from '../../exec/batch.ts';
import { take } from '../../exec/take.ts';
import { createHash } from 'node:crypto';
import { SinkError } from '../../errors.ts';

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * The characters Hive's FileUtils.escapePathName (and Spark's ExternalCatalogUtils) escape:
 * control characters 0x01-0x1F, `"#%'*\/:=?\\` DEL `{[]^`. We also escape NUL (0x00), which
 * Hive leaves alone but no file system accepts in a name.
 */
const NEEDS_ESCAPE = /[\x00-\x1F"#%'*/:=?\\\x7F{[\]^]/;
const ESCAPE_ALL = /[\x00-\x1F"#%'*/:=?\\\x7F{[\]^]/g;

/** Hive's escapePathName: each character above becomes `%XX` (uppercase hex); all else is kept. */
export function escapePathName(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/** Hive's unescapePathName (`%XX` back to the character; anything else kept as is). */
export function unescapePathName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** One path segment `<col>=<value>`, both escaped; null and '' become the Hive default partition. */
export function partitionSegment(column: string, value: string | null): string {
  const v = value === null || value === '' ? HIVE_DEFAULT_PARTITION : escapePathName(value);
  return `${escapePathName(column)}=${v}`;
}

/** Spark's text of a timestamp partition value: `yyyy-MM-dd HH:mm:ss[.fraction]` in UTC, no trailing zeros. */
export function formatTimestampValue(ms: number): string {
  const iso = new Date(ms).toISOString(); // [+-YY]YYYY-MM-DDTHH:mm:ss.SSSZ
  const t = iso.indexOf('T');
  let frac = iso.slice(t + 10, t + 13).replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  return `${iso.slice(0, t)} ${iso.slice(t + 1, t + 9)}${frac}`;
}

export function formatDateValue(days: number): string {
  const iso = new Date(days * 86_400_000).toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

/** Java's Double.toString, which Spark uses for double partition values (`1.0`, `1.0E7`, `NaN`). */
export function formatDoubleValue(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const a = Math.abs(d);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : s + '.0';
  }
  const [m, e] = d.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : m + '.0'}E${e.startsWith('+') ? e.slice(1) : e}`;
}

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
    case 'double': { const v = d.values as Float64Array; return (i) => (nulls && !isValid(d, i) ? null : formatDoubleValue(v[i]!)); }
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

/** Longest directory name most file systems accept (bytes of UTF-8). */
const MAX_SEGMENT_BYTES = 255;

/**
 * A directory name for a value too long for one: the longest prefix of the value that fits,
 * then `~` and 16 hex digits of the value's SHA-256, so rows keep their own directory, a
 * re-run of the batch finds the same name, and two long values that share a prefix differ.
 * A producer's value must not stop the query (DESIGN §9), and the partition column lives only
 * in the path, so dropping the row or nulling the value would lose data; readers see the
 * prefix and the hash instead, and progress warns.
 */
export function shortenedSegment(column: string, value: string): string {
  const suffix = '~' + createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
  const chars = [...value];
  let lo = 0, hi = chars.length;
  // Binary search on code points for the longest prefix whose escaped segment fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const seg = `${escapePathName(column)}=${escapePathName(chars.slice(0, mid).join(''))}${suffix}`;
    if (utf8Enc.encode(seg).length <= MAX_SEGMENT_BYTES) lo = mid; else hi = mid - 1;
  }
  return `${escapePathName(column)}=${escapePathName(chars.slice(0, lo).join(''))}${suffix}`;
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
