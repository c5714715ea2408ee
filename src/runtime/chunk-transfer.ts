import * as A from 'apache-arrow';
import { type Struct, type StructType, struct } from '../data/types.ts';
import { type Batch, emptyBatch, makeBatch, toArrowTable } from '../data/batch.ts';
import type { EventTimeStats } from '../exec/compiled-expr.ts';
import type { OperatorSpec } from '../plan/operator-spec.ts';

/**
 * What crosses between the trigger loop and a chunk worker (chunk-workers.ts, chunk-worker.ts).
 * A chunk travels as one Arrow IPC stream: one copy of its buffers into a transferable
 * ArrayBuffer, read on the other side as views of it (no per-row work either way).
 */
export interface ChunkRequest {
  readonly id: number;
  /** The operators' key: a worker plans `specs` once per plan and keeps them. */
  readonly plan: number;
  readonly specs: readonly OperatorSpec[];
  readonly watermarks: number;
  readonly batchTimestampMs: number;
  readonly schema: StructType;
  readonly ipc: Uint8Array;
}

export type ChunkReply =
  | { readonly id: number; readonly ok: true; readonly schema: StructType; readonly ipc: Uint8Array; readonly malformedRowsDropped: number; readonly eventTime: readonly EventTimeStats[] }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly stack?: string };

/** A batch as an IPC stream in a buffer of its own (transferable). */
export function batchToIpc(b: Batch): Uint8Array {
  const ipc = A.tableToIPC(toArrowTable(b), 'stream');
  // Transferring detaches the whole ArrayBuffer: it must hold this stream and nothing else.
  return ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? ipc : ipc.slice();
}

/** The batch of `batchToIpc`, in `schema` (sent alongside: IPC's own schema is Arrow's, not sluice's). */
export function batchFromIpc(schema: StructType, ipc: Uint8Array): Batch {
  const s: Struct = struct(schema.fields);
  const rb = A.tableFromIPC(ipc).batches[0];
  if (!rb || rb.numRows === 0) return emptyBatch(s);
  return makeBatch(s, rb.data.children, rb.numRows);
}
