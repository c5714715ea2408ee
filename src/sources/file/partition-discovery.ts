import type * as A from 'apache-arrow';
import { type DataType, type StructField, date, double, int, long, string, timestamp } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { cellWriter } from '../../data/cells.ts';
import { parseTimestamp } from '../../data/cells.ts';
import { HIVE_DEFAULT_PARTITION, unescapePathName } from '../../formats/hive-path.ts';
import type { InputFile } from './list-files.ts';

/**
 * Spark's partition discovery: `country=US/day=2024-01-01/part-0.parquet` gives the columns
 * country and day, added after the file's own columns. Each column's type is inferred from
 * all its values as Spark does (int, long, double, date, timestamp, else string);
 * `__HIVE_DEFAULT_PARTITION__` is null.
 */
export interface Partitioning {
  readonly fields: readonly StructField[];
  /** The partition columns for `rows` rows of file number `fileIndex`, every row the same value. */
  columns(fileIndex: number, rows: number): A.Data[];
}

export function discoverPartitions(files: readonly InputFile[], what: string): Partitioning {
  const perFile = files.map((f) => partitionSegments(f.relative));
  const names = perFile[0]!.map(([k]) => k);
  perFile.forEach((segs, i) => {
    const these = segs.map(([k]) => k);
    if (these.join('/') !== names.join('/')) {
      throw new AnalysisError(`${what}: the files do not share one partition layout: '${files[0]!.relative}' has (${names.join(', ') || 'none'}) `
        + `but '${files[i]!.relative}' has (${these.join(', ') || 'none'}). Read the directories separately or move the stray files.`);
    }
  });
  const values = perFile.map((segs) => segs.map(([, v]) => v));
  const types = names.map((_, c) => values.reduce<DataType | null>((t, row) => widenPartitionType(t, row[c]!), null) ?? string);
  const fields = names.map((name, c) => ({ name, type: types[c]!, nullable: true }));
  return {
    fields,
    columns(fileIndex, rows) {
      return fields.map((f, c) => {
        const w = cellWriter(f.type, rows);
        const v = partitionValue(values[fileIndex]![c]!, f.type);
        for (let i = 0; i < rows; i++) w.push(v);
        return w.finish();
      });
    },
  };
}

/** The trailing `k=v` folders of a file's relative path, unescaped; value null for the Hive default partition. */
function partitionSegments(relative: string): [string, string | null][] {
  const dirs = relative.split('/').slice(0, -1);
  const out: [string, string | null][] = [];
  for (let i = dirs.length - 1; i >= 0; i--) {
    const eq = dirs[i]!.indexOf('=');
    if (eq <= 0) break;
    const raw = dirs[i]!.slice(eq + 1);
    out.unshift([unescapePathName(dirs[i]!.slice(0, eq)), raw === HIVE_DEFAULT_PARTITION ? null : unescapePathName(raw)]);
  }
  return out;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function inferValue(v: string): DataType {
  if (INTEGER.test(v)) {
    const n = BigInt(v);
    if (n >= -2147483648n && n <= 2147483647n) return int;
    if (n >= -9223372036854775808n && n <= 9223372036854775807n) return long;
    return double;
  }
  if (DECIMAL.test(v) || v === 'NaN' || v === 'Infinity' || v === '-Infinity') return double;
  if (DATE.test(v) && parseTimestamp(v) !== null) return date;
  if (parseTimestamp(v) !== null) return timestamp;
  return string;
}

const NUMERIC_RANK: Partial<Record<DataType['kind'], number>> = { int: 0, long: 1, double: 2 };

function widenPartitionType(t: DataType | null, v: string | null): DataType | null {
  if (v === null) return t;
  const u = inferValue(v);
  if (t === null || t.kind === u.kind) return u;
  const a = NUMERIC_RANK[t.kind], b = NUMERIC_RANK[u.kind];
  if (a !== undefined && b !== undefined) return a > b ? t : u;
  if ((t.kind === 'date' || t.kind === 'timestamp') && (u.kind === 'date' || u.kind === 'timestamp')) return timestamp;
  return string;
}

function partitionValue(v: string | null, t: DataType): number | bigint | string | null {
  if (v === null) return null;
  switch (t.kind) {
    case 'int': case 'double': return Number(v);
    case 'long': return BigInt(v);
    case 'date': return Math.floor(parseTimestamp(v)! / 86400000);
    case 'timestamp': return parseTimestamp(v)!;
    default: return v;
  }
}
