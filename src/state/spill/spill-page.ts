import * as A from 'apache-arrow';
import { toArrowType, type Struct } from '../../data/types.ts';
import { fromArrowTable, makeBatch, type Batch } from '../../data/batch.ts';
import { cellReader, type Cell } from '../../data/cells.ts';
import { encodeStateRows, type StateColumn } from '../state-file-encode.ts';

/**
 * A spill page: a few thousand state rows as one LMDB value, the state files' encoder's Arrow
 * columns (encodeStateRows: NumberColumns copied whole, no cell per number) laid out as their
 * raw buffers. Arrow IPC would be the library's way, but reading it back is the cost of every
 * spilled key a batch touches, and tableFromIPC took 3.2 ms for a 2048-row page against 0.66 ms
 * for LMDB's read of it (bench/state-at-scale.ts's shape, load average ~36); rebuilding the
 * columns from their buffers parses nothing. Nested columns (lists, structs, maps) keep the
 * IPC form (the page's first byte says which).
 *
 * Raw layout, every part 8-aligned: u8 form (0 raw, 1 IPC), 3 padding, u32 row count n; the
 * rows' key hashes (Int32 ascending: a lookup is a binary search); then per column: u32 null
 * count, u32 values byte length, u8 values array kind, 7 padding, the validity bits (only if
 * nulls), n+1 Int32 offsets (strings, binaries), the values.
 */
const RAW = 0, IPC = 1;
const KINDS = [Uint8Array, Int32Array, Float64Array, BigInt64Array, Uint32Array, Int16Array, Int8Array, Float32Array, Uint16Array, BigUint64Array] as const;
type Values = InstanceType<(typeof KINDS)[number]>;
const pad8 = (x: number): number => (x + 7) & ~7;

export function encodePage(schema: Struct, cols: readonly StateColumn[], numKeys: number, slots: readonly number[], hashes: Int32Array): Uint8Array {
  const n = slots.length, table = encodeStateRows(schema, cols, numKeys, slots);
  const data = table.batches[0]!.data.children;
  const head = pad8(8 + 4 * n);
  if (!data.every((d) => d.children.length === 0 && d.offset === 0 && d.values && KINDS.some((K) => d.values instanceof K))) {
    const ipc = A.tableToIPC(table, 'stream');
    const out = new Uint8Array(head + ipc.length);
    writeHead(out, IPC, hashes);
    out.set(ipc, head);
    return out;
  }
  const parts = data.map((d) => ({ d, bits: d.nullCount > 0 ? (d.nullBitmap as Uint8Array).subarray(0, (n + 7) >> 3) : null, offsets: d.valueOffsets as Int32Array | undefined, values: d.values as Values }));
  let size = head;
  for (const p of parts) size += 16 + (p.bits ? pad8(p.bits.length) : 0) + (p.offsets ? pad8(4 * (n + 1)) : 0) + pad8(p.values.byteLength);
  const out = new Uint8Array(size), v = new DataView(out.buffer);
  writeHead(out, RAW, hashes);
  let at = head;
  for (const p of parts) {
    v.setUint32(at, p.d.nullCount, true); v.setUint32(at + 4, p.values.byteLength, true); out[at + 8] = KINDS.findIndex((K) => p.values instanceof K);
    at += 16;
    if (p.bits) { out.set(p.bits, at); at += pad8(p.bits.length); }
    if (p.offsets) { out.set(new Uint8Array(p.offsets.buffer, p.offsets.byteOffset, 4 * (n + 1)), at); at += pad8(4 * (n + 1)); }
    out.set(new Uint8Array(p.values.buffer, p.values.byteOffset, p.values.byteLength), at); at += pad8(p.values.byteLength);
  }
  return out;
}

function writeHead(out: Uint8Array, form: number, hashes: Int32Array): void {
  out[0] = form;
  new DataView(out.buffer).setUint32(4, hashes.length, true);
  new Int32Array(out.buffer, 8, hashes.length).set(hashes);
}

/** A page read back: its hashes, its rows as columns, and a cell reader for each column. */
export interface Page {
  readonly id: number;
  readonly hashes: Int32Array;
  readonly batch: Batch;
  readonly cell: readonly ((r: number) => Cell)[];
  /** 1 for a row still spilled (0: read back into memory since). */
  readonly live: Uint8Array;
  readonly bytes: number;
}

/** Page `id` from its bytes (`schema`: the state files' key-then-value schema it was written with). */
export function decodePage(id: number, schema: Struct, bytes: Uint8Array, live: Uint8Array): Page {
  // LMDB's copy need not be 8-aligned; the typed arrays below must be.
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint32(4, true), head = pad8(8 + 4 * n);
  const hashes = new Int32Array(buf.buffer, buf.byteOffset + 8, n);
  let batch: Batch;
  if (buf[0] === IPC) batch = fromArrowTable(A.tableFromIPC(buf.subarray(head)))[0]!;
  else {
    let at = head;
    const cols = schema.fields.map((f) => {
      const nullCount = v.getUint32(at, true), len = v.getUint32(at + 4, true), K = KINDS[buf[at + 8]!]!;
      at += 16;
      let nullBitmap: Uint8Array | undefined, valueOffsets: Int32Array | undefined;
      if (nullCount > 0) { nullBitmap = buf.subarray(at, at + ((n + 7) >> 3)); at += pad8((n + 7) >> 3); }
      const type = toArrowType(f.type);
      if (A.DataType.isUtf8(type) || A.DataType.isBinary(type)) { valueOffsets = new Int32Array(buf.buffer, buf.byteOffset + at, n + 1); at += pad8(4 * (n + 1)); }
      const data = new K(buf.buffer as ArrayBuffer, buf.byteOffset + at, len / K.BYTES_PER_ELEMENT);
      at += pad8(len);
      return A.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets, data } as never) as A.Data;
    });
    batch = makeBatch(schema, cols, n);
  }
  const cell = batch.columns.map((d, k) => cellReader(d, schema.fields[k]!.type));
  return { id, hashes, batch, cell, live, bytes: bytes.length };
}

/** The first row of `hashes` (ascending) whose hash is `h`, or -1. */
export function firstWithHash(hashes: Int32Array, h: number): number {
  let lo = 0, hi = hashes.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (hashes[mid]! < h) lo = mid + 1; else hi = mid; }
  return lo < hashes.length && hashes[lo] === h ? lo : -1;
}
