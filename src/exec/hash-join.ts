import type * as A from 'apache-arrow';
import type { DataType, Struct } from '../data/types.ts';
import { isValid, makeBatch, type Batch } from '../data/batch.ts';
import { nullColumn } from '../data/builders.ts';
import { concatBatches } from '../data/concat.ts';
import { take } from '../data/take.ts';
import { BytesKeyIndex } from './bytes-key-index.ts';
import { viewOver } from '../util/byte-words.ts';

/**
 * How both sides of one join key are read so that equal SQL values give equal JS keys:
 *  - 'number': int, date, double, boolean, timestamp, and a long compared with a double
 *    (Spark casts the long to double too). Map keys compare with SameValueZero, so
 *    NaN matches NaN and -0 matches 0, as in Spark's normalized join keys;
 *  - 'integer': int and long (also mixed): a JS number while exact, else the bigint;
 *  - 'bytes': string or binary, compared on their bytes, never decoded as UTF-8 (one such key
 *    through BytesKeyIndex; in a composite key, the latin1 text of the bytes).
 */
export type KeyDomain = 'number' | 'integer' | 'bytes';

type Key = number | bigint | string;

export type JoinHow = 'inner' | 'left';

export interface HashJoinSpec {
  readonly how: JoinHow;
  /** Key column positions in the left chunk and in the right side, pairwise. */
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly keyTypes: readonly { readonly left: DataType; readonly right: DataType; readonly domain: KeyDomain }[];
  /** Right columns in the output, after every left column. */
  readonly rightOutput: readonly number[];
  readonly schema: Struct;
}

/** Reads row i of a key column as a key, or null when the value is null. */
function keyReader(d: A.Data, type: DataType, domain: KeyDomain): (i: number) => Key | null {
  const nulls = d.nullCount > 0;
  switch (type.kind) {
    case 'string': case 'binary': {
      const v = d.values as Uint8Array, o = d.valueOffsets as Int32Array;
      const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      return (i) => (nulls && !isValid(d, i) ? null : buf.toString('latin1', o[i]!, o[i + 1]!));
    }
    case 'boolean': {
      const v = d.values as Uint8Array;
      return (i) => (nulls && !isValid(d, i) ? null : (v[i >> 3]! >> (i & 7)) & 1);
    }
    case 'long': case 'timestamp': {
      const v = d.values as BigInt64Array;
      if (domain === 'integer') {
        return (i) => {
          if (nulls && !isValid(d, i)) return null;
          const x = v[i]!;
          // Numbers hash faster than bigints; past 2^53 the bigint itself keeps it exact.
          return x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x;
        };
      }
      return (i) => (nulls && !isValid(d, i) ? null : Number(v[i]!));
    }
    default: {
      const v = d.values as Int32Array | Float64Array;
      return (i) => (nulls && !isValid(d, i) ? null : v[i]!);
    }
  }
}

/** One key per row for several columns: a string that two rows share only when every part is equal. */
function compositeReader(parts: readonly ((i: number) => Key | null)[], domains: readonly KeyDomain[]): (i: number) => Key | null {
  return (i) => {
    let k = '';
    for (let c = 0; c < parts.length; c++) {
      const v = parts[c]!(i);
      if (v === null) return null;
      // Byte strings are length-prefixed and number text never holds ';', so parts cannot run together.
      k += domains[c] === 'bytes' ? `${(v as string).length}:${v as string}` : `${String(v)};`;
    }
    return k;
  };
}

function rowKeyReader(b: Batch, cols: readonly number[], types: readonly DataType[], domains: readonly KeyDomain[]): (i: number) => Key | null {
  const parts = cols.map((c, k) => keyReader(b.columns[c]!, types[k]!, domains[k]!));
  return parts.length === 1 ? parts[0]! : compositeReader(parts, domains);
}

/**
 * The build side: every right row plus one all-null row at the end, so that a left row
 * without a match gathers its right columns with plain take() at that index.
 */
interface BuildSide {
  readonly rows: Batch;
  readonly nullRow: number;
  /** Key -> first right row with that key; `next` chains the others in row order (-1 ends). */
  readonly head: Map<Key, number>;
  readonly next: Int32Array;
  /** One string/binary key: the index by bytes that replaces `head` (no JS string per probed row). */
  readonly bytes: BytesKeyIndex | null;
}

const isBytes = (t: DataType): boolean => t.kind === 'string' || t.kind === 'binary';

function buildSide(spec: HashJoinSpec, rightSchema: Struct, right: readonly Batch[]): BuildSide {
  const nulls = makeBatch(rightSchema, rightSchema.fields.map((f) => nullColumn(f.type, 1)), 1);
  const rows = concatBatches(rightSchema, [...right.filter((b) => b.numRows > 0), nulls]);
  const n = rows.numRows - 1;
  const [only] = spec.keyTypes;
  if (spec.rightKeys.length === 1 && only!.domain === 'bytes' && isBytes(only!.left) && isBytes(only!.right)) {
    const bytes = new BytesKeyIndex(rows.columns[spec.rightKeys[0]!]!, n);
    return { rows, nullRow: n, head: new Map(), next: bytes.next, bytes };
  }
  const key = rowKeyReader(rows, spec.rightKeys, spec.keyTypes.map((t) => t.right), spec.keyTypes.map((t) => t.domain));
  const head = new Map<Key, number>();
  const next = new Int32Array(n);
  // Backwards, so each chain runs in row order: matches come out in the right side's order.
  for (let r = n - 1; r >= 0; r--) {
    const k = key(r);
    if (k === null) continue; // a null key matches nothing, as in SQL
    const h = head.get(k);
    next[r] = h === undefined ? -1 : h;
    head.set(k, r);
  }
  return { rows, nullRow: n, head, next, bytes: null };
}

/** The first right row matching left row i, or -1: through the Map index. */
function mapFirst(key: (i: number) => Key | null, head: Map<Key, number>): (i: number) => number {
  return (i) => {
    const kv = key(i);
    const r = kv === null ? undefined : head.get(kv);
    return r === undefined ? -1 : r;
  };
}

/** The same through the bytes index, reading the left key column's bytes in place. */
function bytesFirst(d: A.Data, index: BytesKeyIndex): (i: number) => number {
  const v = viewOver(d.values as Uint8Array), o = d.valueOffsets as Int32Array, nulls = d.nullCount > 0;
  return (i) => (nulls && !isValid(d, i) ? -1 : index.find(v, o[i]!, o[i + 1]!));
}

/** (left row, right row) per output row. */
interface Pairs { readonly left: Int32Array; readonly right: Int32Array }

/** Every left row's matches, in left-row order then right-row order; `unmatched` (or -1 to drop) for rows without one. */
function probe(n: number, first: (i: number) => number, next: Int32Array, unmatched: number): Pairs {
  let left = new Int32Array(n + 16), right = new Int32Array(n + 16);
  let k = 0;
  for (let i = 0; i < n; i++) {
    let r = first(i);
    if (r < 0) {
      if (unmatched < 0) continue;
      r = unmatched;
    }
    do {
      if (k === left.length) {
        // More matches than rows: double, so a one-to-many chunk costs few copies.
        const L = new Int32Array(k * 2), R = new Int32Array(k * 2);
        L.set(left); R.set(right);
        left = L; right = R;
      }
      left[k] = i;
      right[k++] = r;
      r = r === unmatched ? -1 : next[r]!;
    } while (r !== -1);
  }
  return { left: left.subarray(0, k), right: right.subarray(0, k) };
}

/**
 * An equi-join of each chunk against a bounded right side. The hash table is built on the
 * first chunk (`right` is called once), so planning a query, which also happens for
 * `df.schema`, costs nothing. Output: left columns, then `rightOutput`; one row per match,
 * in left-row order then right-row order; a left join keeps unmatched left rows with nulls.
 */
export function hashJoin(spec: HashJoinSpec, rightSchema: Struct, right: () => readonly Batch[]): (b: Batch) => Batch {
  let side: BuildSide | null = null;
  const leftTypes = spec.keyTypes.map((t) => t.left), domains = spec.keyTypes.map((t) => t.domain);
  return (b) => {
    side ??= buildSide(spec, rightSchema, right());
    const { head, next, nullRow, rows, bytes } = side;
    const { left: li, right: ri } = probe(b.numRows, bytes ? bytesFirst(b.columns[spec.leftKeys[0]!]!, bytes) : mapFirst(rowKeyReader(b, spec.leftKeys, leftTypes, domains), head),
      next, spec.how === 'left' ? nullRow : -1);
    const n = li.length;
    // One match per row in order (a lookup-table join, the usual case): the left columns stand as they are.
    const identity = n === b.numRows && isIdentity(li);
    const cols = [
      ...b.columns.map((c) => (identity ? c : take(c, li))),
      ...spec.rightOutput.map((c) => take(rows.columns[c]!, ri)),
    ];
    return makeBatch(spec.schema, cols, n);
  };
}

function isIdentity(idx: Int32Array): boolean {
  for (let i = 0; i < idx.length; i++) if (idx[i] !== i) return false;
  return true;
}
