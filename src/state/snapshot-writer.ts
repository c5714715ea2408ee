import * as A from 'apache-arrow';
import type { Struct } from '../data/types.ts';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { encodeStateRows, type StateColumn } from './state-file-encode.ts';
import { SealedStreamWriter } from './state-file-seal.ts';
import { stateFileName } from './state-files.ts';

/**
 * What a snapshot is written from: the store's key-then-value columns and its live slots as of one
 * version. For a background snapshot these are copies taken when the version committed
 * (StateStore.snapshotView), so the batches that run meanwhile cannot change what it holds.
 */
export interface StateView {
  readonly version: number;
  readonly cols: readonly StateColumn[];
  readonly numKeys: number;
  readonly slots: Int32Array;
  /** Rows of a spilling store held in its local store, not in `cols` (written after the slots). */
  readonly spilled?: { readonly batches: Iterable<A.RecordBatch>; readonly rows: number };
}

/** One snapshot written, for the progress record of the batch during which it was sealed. */
export interface SnapshotReport {
  readonly version: number;
  /** 'batch': the commit wrote it (the batch waited for all of it); 'background': batches ran meanwhile. */
  readonly writtenIn: 'batch' | 'background';
  /** What the committing batch paid to take the view (a copy of the columns; 0 in the batch mode). */
  readonly viewMs: number;
  /** Time spent turning rows into Arrow IPC (summed over its slices when in the background). */
  readonly encodeMs: number;
  /** Time from the first byte written to the file being in place. */
  readonly writeMs: number;
  /** From the commit that asked for it to the file being in place. */
  readonly totalMs: number;
  readonly bytes: number;
  readonly rows: number;
}

/** Test hook: crash tests kill the process at these points of a snapshot (crash-hook.ts). */
export type SnapshotPhase = 'snapshotView' | 'snapshotHalfWritten' | 'snapshotWritten';
export type SnapshotPhaseHook = (phase: SnapshotPhase, version: number) => void | Promise<void>;

/**
 * Rows per record batch of a snapshot. In the background the encoder yields to the event loop
 * after each, so the next batches' I/O waits (Kafka, sink, fsync) go on while it runs; measured on
 * this machine, encoding a million keys took 2.5–3.9 s in one go, so ~16k rows is ~50 ms of holding
 * the loop at a time. The encoding stays on this thread: handing the copied columns to a worker
 * costs a structured clone on this thread first, measured at 0.8–1.2 s for 1M keys (strings,
 * doubles, bigints; load average ~25), a third of the encoding it would move. Columns in typed
 * arrays could be transferred instead, which would make a worker worth it.
 */
const SLICE_ROWS = 16_384;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Write `<version>.snapshot` of `view` into `dir`: Arrow IPC in slices of SLICE_ROWS, sealed, and
 * written whole-or-nothing (temp file + rename, or one PUT), so a snapshot cut short by a crash is
 * never seen under its name and recovery falls back to the deltas (which every version has).
 */
export async function writeSnapshot(storage: Storage, dir: string, schema: Struct, view: StateView,
  mode: SnapshotReport['writtenIn'], viewMs: number, onPhase?: SnapshotPhaseHook): Promise<SnapshotReport> {
  const t0 = performance.now();
  const writer = new SealedStreamWriter();
  let encodeMs = 0;
  for (let from = 0; from === 0 || from < view.slots.length; from += SLICE_ROWS) {
    // In the background every slice waits its turn, the first too: the committing batch's caller goes on first.
    if (mode === 'background') await nextTick();
    const e0 = performance.now();
    const slots = Array.from(view.slots.subarray(from, from + SLICE_ROWS));
    // Batch by batch: given a Table, the writer writes it and finishes the stream.
    for (const b of encodeStateRows(schema, view.cols, view.numKeys, slots).batches) writer.write(b);
    encodeMs += performance.now() - e0;
  }
  if (view.spilled) { const s0 = performance.now(); for (const b of view.spilled.batches) writer.write(b); encodeMs += performance.now() - s0; }
  const e0 = performance.now();
  const bytes = writer.sealedParts();
  encodeMs += performance.now() - e0;
  const w0 = performance.now();
  await storage.write(joinPath(dir, stateFileName(view.version, 'snapshot')), bytes,
    onPhase ? { halfWritten: () => onPhase('snapshotHalfWritten', view.version) } : undefined);
  const done = performance.now();
  await onPhase?.('snapshotWritten', view.version);
  return { version: view.version, writtenIn: mode, viewMs, encodeMs, writeMs: done - w0, totalMs: viewMs + done - t0, bytes: bytes.reduce((n, p) => n + p.byteLength, 0), rows: view.slots.length + (view.spilled?.rows ?? 0) };
}
