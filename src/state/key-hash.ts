import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import { isValid } from '../data/batch.ts';
import { cellReader, type Cell } from '../data/cells.ts';
import { cellKeyPart } from './key-encoding.ts';

/**
 * Hashing and equality of state keys, the same whether a key comes as cells (a key the store
 * holds, or one an operator passes) or as row i of Arrow columns (a batch being aggregated, a
 * state file being loaded), so a group found while a batch runs and one rebuilt from a file
 * after a restart land on the same slot. Arrow rows are hashed a column at a time from the
 * buffers, with no string or cell made per row; a cell is decoded only for a new key.
 *
 * Equal keys are those the string encoding (key-encoding.ts) made equal: -0 is 0, NaN is NaN,
 * strings compare by their UTF-8 bytes.
 */

const SEED = 0x2f0b3c1d;
const NULL_WORD = 0x6a09e667 | 0;

export function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x5bd1e995);
  return h ^ (h >>> 15);
}

/** The final avalanche (murmur3's fmix32), so that linear probing sees spread low bits. */
export function finish(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const f64 = new Float64Array(1), f64w = new Int32Array(f64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

export function hashNumber(h: number, v: number): number {
  if (v !== v) return mix(h, 0x7ff80000);
  f64[0] = v === 0 ? 0 : v; // -0 is 0
  return mix(mix(h, f64w[LO]!), f64w[1 - LO]!);
}

function hashBytes(h: number, b: Uint8Array, start: number, end: number): number {
  for (let j = start; j < end; j++) h = mix(h, b[j]!);
  return mix(h, end - start);
}

const enc = new TextEncoder();
function hashString(h: number, s: string): number {
  let x = h;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    // Not ASCII: hash the UTF-8 bytes, as an Arrow row's are.
    if (c >= 0x80) { const b = enc.encode(s); return hashBytes(h, b, 0, b.length); }
    x = mix(x, c);
  }
  return mix(x, s.length);
}

const big = new BigInt64Array(1), bigw = new Int32Array(big.buffer);

/** Fold one key cell of type `type` into `h`. */
export function hashCell(h: number, v: Cell, type: DataType): number {
  if (v === null) return mix(h, NULL_WORD);
  switch (type.kind) {
    case 'string': return hashString(h, v as string);
    case 'binary': { const b = v as Uint8Array; return hashBytes(h, b, 0, b.length); }
    case 'int': case 'date': case 'double': case 'timestamp': return hashNumber(h, v as number);
    case 'long': big[0] = v as bigint; return mix(mix(h, bigw[LO]!), bigw[1 - LO]!);
    case 'boolean': return mix(h, v ? 1 : 2);
    default: return hashString(h, cellKeyPart(v, type));
  }
}

/** The finished hash of a whole key. */
export function hashCells(cells: readonly Cell[], types: readonly DataType[]): number {
  let h = SEED;
  for (let k = 0; k < cells.length; k++) h = hashCell(h, cells[k]!, types[k]!);
  return finish(h);
}

export function numbersEqual(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * The key columns of one batch: `hashes[i]` is row i's hash over every column, not yet
 * finished (an operator may fold in a window start, then calls finish()).
 */
export class BatchKeys {
  readonly hashes: Int32Array;
  private readonly readers: ((i: number) => Cell)[];

  /**
   * Whether column k has nulls, read once: Arrow's nullCount is a getter (a union check, a bitmap
   * count) that a check per row and key column paid again (profiled on a 1M-key batch).
   */
  readonly nulls: readonly boolean[];

  /** `into`: an array of at least n to hash into (an operator's scratch, kept from batch to batch) instead of a new one. */
  constructor(readonly cols: readonly A.Data[], readonly types: readonly DataType[], readonly n: number, into?: Int32Array) {
    this.nulls = cols.map((d) => d.nullCount > 0);
    const h = this.hashes = (into ? into.subarray(0, n) : new Int32Array(n)).fill(SEED);
    this.readers = cols.map((d, k) => cellReader(d, types[k]!));
    cols.forEach((d, k) => hashColumn(h, d, types[k]!, n, this.readers[k]!));
  }

  private readonly nums: (Float64Array | Int32Array | undefined)[] = [];
  /** Column k's values as its key cells' numbers (int, date, double as they are; timestamps' ms as doubles), made once per batch. */
  numbers(k: number): Float64Array | Int32Array {
    let v = this.nums[k];
    if (v === undefined) {
      const d = this.cols[k]!;
      if (this.types[k]!.kind === 'timestamp') {
        const b = d.values as BigInt64Array, w = new Int32Array(b.buffer, b.byteOffset, this.n * 2), f = new Float64Array(this.n);
        for (let i = 0; i < this.n; i++) f[i] = w[2 * i + 1 - LO]! * 4294967296 + (w[2 * i + LO]! >>> 0);
        v = f;
      } else v = d.values as Float64Array | Int32Array;
      this.nums[k] = v;
    }
    return v;
  }

  /** Row i's key cell of column k, decoded (for a new key). */
  cell(i: number, k: number): Cell {
    const d = this.cols[k]!;
    if (this.types[k]!.kind === 'string' && !(this.nulls[k] && !isValid(d, i))) {
      // ASCII: latin1 is the same text, and Node makes it without TextDecoder's per-call cost.
      const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array, start = o[i]!, end = o[i + 1]!;
      let j = start;
      while (j < end && b[j]! < 0x80) j++;
      if (j === end) return Buffer.prototype.latin1Slice.call(b, start, end) as string;
    }
    return this.readers[k]!(i);
  }

  /** Is row i's value of column k the key cell `v`? */
  equals(i: number, k: number, v: Cell): boolean {
    const d = this.cols[k]!, type = this.types[k]!;
    if (this.nulls[k] && !isValid(d, i)) return v === null;
    if (v === null || v === undefined) return false;
    switch (type.kind) {
      case 'string': {
        const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array, s = v as string;
        const start = o[i]!, len = o[i + 1]! - start;
        // Same length in bytes and in UTF-16 units: both are ASCII if equal, so compare units to bytes.
        if (len === s.length) { for (let j = 0; j < len; j++) if (s.charCodeAt(j) !== b[start + j]) return false; return true; }
        return len > s.length && this.readers[k]!(i) === s;
      }
      case 'binary': {
        const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array, c = v as Uint8Array;
        const start = o[i]!, len = o[i + 1]! - start;
        if (len !== c.length) return false;
        for (let j = 0; j < len; j++) if (c[j] !== b[start + j]) return false;
        return true;
      }
      case 'int': case 'date': case 'double': return numbersEqual((d.values as Int32Array | Float64Array)[i]!, v as number);
      case 'timestamp': return Number((d.values as BigInt64Array)[i]!) === v;
      case 'long': return (d.values as BigInt64Array)[i] === v;
      case 'boolean': return this.readers[k]!(i) === v;
      default: return cellKeyPart(this.readers[k]!(i), type) === cellKeyPart(v, type);
    }
  }
}

/** The finished hash of row i of `rows`, with `last` (a window start) folded in as one more key column when given. */
export function rowHash(rows: BatchKeys, i: number, last?: number): number {
  return finish(last === undefined ? rows.hashes[i]! : hashNumber(rows.hashes[i]!, last));
}

/** Fold column `d` into every row's hash, reading its buffers directly where the type allows. */
function hashColumn(h: Int32Array, d: A.Data, type: DataType, n: number, read: (i: number) => Cell): void {
  const nulls = d.nullCount > 0;
  switch (type.kind) {
    case 'string': case 'binary': {
      const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array;
      for (let i = 0; i < n; i++) h[i] = nulls && !isValid(d, i) ? mix(h[i]!, NULL_WORD) : hashBytes(h[i]!, b, o[i]!, o[i + 1]!);
      return;
    }
    case 'int': case 'date': case 'double': {
      const v = d.values as Int32Array | Float64Array;
      for (let i = 0; i < n; i++) h[i] = nulls && !isValid(d, i) ? mix(h[i]!, NULL_WORD) : hashNumber(h[i]!, v[i]!);
      return;
    }
    case 'long': case 'timestamp': {
      const bv = d.values as BigInt64Array;
      const w = new Int32Array(bv.buffer, bv.byteOffset, bv.length * 2);
      for (let i = 0; i < n; i++) {
        if (nulls && !isValid(d, i)) { h[i] = mix(h[i]!, NULL_WORD); continue; }
        // A timestamp cell is its milliseconds as a number, hashed as one (exact below 2^53 ms).
        h[i] = type.kind === 'long' ? mix(mix(h[i]!, w[2 * i + LO]!), w[2 * i + 1 - LO]!) : hashNumber(h[i]!, w[2 * i + 1 - LO]! * 4294967296 + (w[2 * i + LO]! >>> 0));
      }
      return;
    }
    default:
      for (let i = 0; i < n; i++) h[i] = hashCell(h[i]!, read(i), type);
  }
}
