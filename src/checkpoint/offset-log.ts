import { CheckpointError } from '../errors.ts';
import type { Checkpoint } from './checkpoint.ts';
import { MetadataLog } from './metadata-log.ts';

/** offsets/<N>: the write-ahead log, written before batch N reads anything. */
export interface OffsetSeq {
  readonly batchWatermarkMs: number;
  readonly batchTimestampMs: number;
  readonly conf: Readonly<Record<string, string>>;
  /** One per source, in the plan's source order; null for a source that has no offset yet. */
  readonly offsets: readonly unknown[];
}

export class OffsetLog {
  private readonly log: MetadataLog;
  constructor(checkpoint: Checkpoint) {
    this.log = new MetadataLog(checkpoint.storage, checkpoint.offsetsDir, 'Offset log file');
  }

  async add(batchId: number, seq: OffsetSeq): Promise<void> {
    const meta = { batchWatermarkMs: seq.batchWatermarkMs, batchTimestampMs: seq.batchTimestampMs, conf: seq.conf };
    const lines = ['v1', JSON.stringify(meta), ...seq.offsets.map((o) => (o === null || o === undefined ? '-' : JSON.stringify(o)))];
    await this.log.add(batchId, lines.join('\n'));
  }

  async get(batchId: number): Promise<OffsetSeq | null> {
    const text = await this.log.get(batchId);
    if (text === null) return null;
    const [version, meta, ...rest] = text.split('\n');
    if (version !== 'v1' || meta === undefined) {
      throw new CheckpointError(`${this.log.pathOf(batchId)}: unsupported offset log version '${version}'; this checkpoint was written by a newer sluice.`);
    }
    const m = JSON.parse(meta) as Omit<OffsetSeq, 'offsets'>;
    return { ...m, offsets: rest.filter((l) => l.length > 0).map((l) => (l === '-' ? null : JSON.parse(l))) };
  }

  latestId(): Promise<number | null> { return this.log.latestId(); }
  batchIds(): Promise<number[]> { return this.log.batchIds(); }
  purge(keepFrom: number): Promise<void> { return this.log.purge(keepFrom); }
  removeTempFiles(): Promise<void> { return this.log.removeTempFiles(); }
}
