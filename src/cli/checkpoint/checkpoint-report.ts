import type { Storage } from '../../storage/storage-for.ts';
import { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { OffsetLog } from '../../checkpoint/offset-log.ts';
import { CommitLog } from '../../checkpoint/commit-log.ts';
import { readQueryId as readCheckpointQueryId, readSourceStart } from '../../checkpoint/query-metadata.ts';
import { describeStateFiles, readableVersions, readStateAt, type StateFileInfo } from '../../state/state-reader.ts';
import { isOffsetsByPartition } from '../../runtime/offsets-behind.ts';
import { readLeaseHolder, type LeaseRecord } from '../../checkpoint/query-lease.ts';
import { readScaleOutLayout, type ScaleOutLayout } from '../../runtime/scale-out/scale-out-file.ts';
import { CliError } from '../cli-error.ts';
import { readOperatorShape, type OperatorShape } from './operator-shape.ts';

export interface BatchReport {
  readonly batchId: number;
  /** W(N), the watermark the batch ran with (0: none yet). */
  readonly batchWatermarkMs: number;
  /** When the batch was planned. */
  readonly batchTimestampMs: number;
  readonly conf: Readonly<Record<string, string>>;
  /** Per source: where the batch starts (the previous batch's end, or sources/<i>/0); null when that file was purged. */
  readonly startOffsets: readonly unknown[];
  readonly endOffsets: readonly unknown[];
  /** Records read, when the offsets are Kafka's (or plain numbers); null otherwise. */
  readonly numInputRecords: number | null;
  readonly committed: boolean;
  readonly nextBatchWatermarkMs: number | null;
  /** When commits/<N> was written; null when not committed, or written before sluice recorded it. */
  readonly commitTimestampMs: number | null;
}

export interface StateOperatorReport {
  readonly operatorId: number;
  readonly shape: OperatorShape | null;
  readonly files: readonly StateFileInfo[];
  readonly readableVersions: readonly number[];
  /** The newest committed batch's version, and how many keys it holds (null: not readable). */
  readonly latestVersion: number | null;
  readonly numRowsAtLatest: number | null;
}

/** A scale-out task's checkpoint (tasks/<task>/), in the query's report. */
export interface TaskReport {
  readonly task: string;
  readonly report: CheckpointReport;
  /** The run holding the task's lease, when one does (held: its process lives, or it renewed lately). */
  readonly lease: (LeaseRecord & { readonly held: boolean }) | null;
}

export interface CheckpointReport {
  readonly checkpoint: string;
  readonly queryId: string;
  /** With scale-out (docs/design/scale-out.md): the stages fixed at the first start, and each task's own checkpoint. */
  readonly scaleOut?: { readonly layout: ScaleOutLayout; readonly tasks: readonly TaskReport[] };
  readonly sources: readonly { readonly index: number; readonly start: unknown }[];
  readonly batches: readonly BatchReport[];
  readonly stateOperators: readonly StateOperatorReport[];
  readonly totals: {
    readonly batches: number; readonly committedBatches: number; readonly inputRecords: number;
    readonly stateFiles: number; readonly stateBytes: number;
  };
}


/** The query id in `<checkpoint>/metadata`; what tells a checkpoint from any other directory. */
export async function readQueryId(checkpoint: Checkpoint): Promise<string> {
  const id = await readCheckpointQueryId(checkpoint);
  if (id === null) {
    throw new CliError(`${checkpoint.root} is not a sluice checkpoint: it has no metadata file (${checkpoint.metadataPath}, which holds the query id). `
      + `Give the directory a query's checkpointLocation option points at.`);
  }
  return id;
}

/** The newest batch with a commits/<N> file: the state version a restart would load. */
export async function latestCommitted(checkpoint: Checkpoint): Promise<number | null> {
  return new CommitLog(checkpoint).latestId();
}

/** Everything `sluice checkpoint show` prints, read without changing a byte of the checkpoint. */
export async function checkpointReport(storage: Storage, root: string): Promise<CheckpointReport> {
  const checkpoint = new Checkpoint(storage, root);
  const queryId = await readQueryId(checkpoint);
  const sources: { index: number; start: unknown }[] = [];
  for (const i of await checkpoint.sourceIds()) {
    sources.push({ index: i, start: (await readSourceStart(checkpoint, i)) ?? null });
  }

  const offsets = new OffsetLog(checkpoint), commits = new CommitLog(checkpoint);
  const batches: BatchReport[] = [];
  let prev: readonly unknown[] | null = null, prevId = -2;
  for (const id of await offsets.batchIds()) {
    const seq = (await offsets.get(id))!;
    const commit = await commits.get(id);
    const start = prevId === id - 1 && prev ? prev : id === 0 ? sources.map((s) => s.start) : seq.offsets.map(() => null);
    let records: number | null = 0;
    for (let i = 0; i < seq.offsets.length; i++) {
      const n = countRecords(start[i] ?? null, seq.offsets[i] ?? null);
      records = records === null || n === null ? null : records + n;
    }
    batches.push({
      batchId: id, batchWatermarkMs: seq.batchWatermarkMs, batchTimestampMs: seq.batchTimestampMs, conf: seq.conf,
      startOffsets: start, endOffsets: seq.offsets, numInputRecords: records,
      committed: commit !== null, nextBatchWatermarkMs: commit?.nextBatchWatermarkMs ?? null,
      commitTimestampMs: commit?.commitTimestampMs ?? null,
    });
    prev = seq.offsets; prevId = id;
  }

  const latest = await commits.latestId();
  const stateOperators: StateOperatorReport[] = [];
  for (const op of await checkpoint.stateOperatorIds()) {
    const dir = checkpoint.stateDir(op);
    const shape = await readOperatorShape(checkpoint, op);
    const files = await describeStateFiles(storage, dir);
    const readable = readableVersions(files.map((f) => f.name));
    let rows: number | null = null;
    if (shape && latest !== null && readable.includes(latest)) rows = (await readStateAt(storage, dir, latest, shape.keys.length)).numRows;
    stateOperators.push({ operatorId: op, shape, files, readableVersions: readable, latestVersion: latest, numRowsAtLatest: rows });
  }

  const allFiles = stateOperators.flatMap((o) => o.files);
  const own = {
    batches: batches.length, committedBatches: batches.filter((b) => b.committed).length,
    inputRecords: batches.reduce((s, b) => s + (b.numInputRecords ?? 0), 0),
    stateFiles: allFiles.length, stateBytes: allFiles.reduce((s, f) => s + f.bytes, 0),
  };
  const layout = await readScaleOutLayout(checkpoint);
  if (!layout) return { checkpoint: root, queryId, sources, batches, stateOperators, totals: own };
  // Each task's directory is an ordinary checkpoint; the query's totals are theirs.
  const tasks: TaskReport[] = [];
  for (const task of await checkpoint.taskIds()) {
    const taskCheckpoint = checkpoint.taskCheckpoint(task);
    tasks.push({ task, report: await checkpointReport(storage, taskCheckpoint.root), lease: await readLeaseHolder(taskCheckpoint) });
  }
  const sum = (k: keyof CheckpointReport['totals']): number => tasks.reduce((s, t) => s + t.report.totals[k], own[k]);
  return {
    checkpoint: root, queryId, scaleOut: { layout, tasks }, sources, batches, stateOperators,
    totals: { batches: sum('batches'), committedBatches: sum('committedBatches'), inputRecords: sum('inputRecords'), stateFiles: sum('stateFiles'), stateBytes: sum('stateBytes') },
  };
}

/**
 * Records between two offsets of one source: Kafka's {"topic": {"partition": offset}} summed
 * over partitions (a partition new in `end` counts from 0), or two plain numbers.
 */
function countRecords(start: unknown, end: unknown): number | null {
  if (typeof start === 'number' && typeof end === 'number') return end - start;
  if (!isOffsetsByPartition(end) || !isOffsetsByPartition(start)) return null;
  let n = 0;
  for (const [topic, parts] of Object.entries(end)) {
    for (const [p, e] of Object.entries(parts)) n += e - (start[topic]?.[p] ?? 0);
  }
  return n;
}
