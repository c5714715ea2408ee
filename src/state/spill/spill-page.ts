import * as A from 'apache-arrow';
import type { Struct } from '../../data/types.ts';
import { fromArrowTable, type Batch } from '../../data/batch.ts';
import { cellReader, type Cell } from '../../data/cells.ts';
import { encodeStateRows, type StateColumn } from '../state-file-encode.ts';

/**
 * A spill page: a few thousand state rows as one LMDB value. Layout: row count (u32), 4 bytes
 * of padding, the rows' key hashes (Int32, ascending: a lookup is a binary search), padding to
 * 8 bytes, then the rows as an Arrow IPC stream written by the state files' encoder (one
 * record batch, key then value columns; NumberColumns copied whole, no cell per number).
 */
export function encodePage(schema: Struct, cols: readonly StateColumn[], numKeys: number, slots: readonly number[], hashes: Int32Array): Uint8Array {
  const ipc = A.tableToIPC(encodeStateRows(schema, cols, numKeys, slots), 'stream');
  const head = (8 + 4 * slots.length + 7) & ~7;
  const out = new Uint8Array(head + ipc.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, slots.length, true);
  new Int32Array(out.buffer, 8, slots.length).set(hashes);
  out.set(ipc, head);
  return out;
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

export function decodePage(id: number, bytes: Uint8Array, live: Uint8Array): Page {
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0, true);
  const head = (8 + 4 * n + 7) & ~7;
  // Copied out: the LMDB buffer's offset need not be 4-aligned.
  const hashes = new Int32Array(n);
  new Uint8Array(hashes.buffer).set(bytes.subarray(8, 8 + 4 * n));
  const batch = fromArrowTable(A.tableFromIPC(bytes.subarray(head)))[0]!;
  const cell = batch.columns.map((d, k) => cellReader(d, batch.schema.fields[k]!.type));
  return { id, hashes, batch, cell, live, bytes: bytes.length };
}

/** The first row of `hashes` (ascending) whose hash is `h`, or -1. */
export function firstWithHash(hashes: Int32Array, h: number): number {
  let lo = 0, hi = hashes.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (hashes[mid]! < h) lo = mid + 1; else hi = mid; }
  return lo < hashes.length && hashes[lo] === h ? lo : -1;
}
