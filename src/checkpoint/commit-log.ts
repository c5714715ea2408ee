import type { Checkpoint } from './checkpoint.ts';
import { MetadataLog, type StagedLogEntry } from './metadata-log.ts';

/** commits/<N>: batch N is done (sink written, state committed); holds the next watermark. */
export interface CommitMetadata {
  readonly nextBatchWatermarkMs: number;
  /**
   * When the batch committed (ms since the epoch): when its file was written, while the sink ran
   * (the file is added once the sink and the state are durable). Not in Spark's commit log; for
   * `sluice checkpoint show`. Absent in checkpoints written before sluice recorded it.
   */
  readonly commitTimestampMs?: number;
}

const text = (c: CommitMetadata): string => `v1\n${JSON.stringify(c)}`;

export class CommitLog {
  private readonly log: MetadataLog;
  constructor(checkpoint: Checkpoint) {
    this.log = new MetadataLog(checkpoint.storage, checkpoint.commitsDir, 'Commit log file');
  }

  async add(batchId: number, c: CommitMetadata): Promise<void> {
    await this.log.add(batchId, text(c));
  }

  /** commits/<N> made durable out of sight while the batch's sink runs; its publish is the commit. */
  stage(batchId: number, c: CommitMetadata): Promise<StagedLogEntry> {
    return this.log.stage(batchId, text(c));
  }

  async get(batchId: number): Promise<CommitMetadata | null> {
    const text = await this.log.get(batchId);
    if (text === null) return null;
    return JSON.parse(text.split('\n')[1] ?? '{}') as CommitMetadata;
  }

  latestId(): Promise<number | null> { return this.log.latestId(); }
  purge(keepFrom: number): Promise<void> { return this.log.purge(keepFrom); }
  removeTempFiles(): Promise<void> { return this.log.removeTempFiles(); }
}
