import type { Checkpoint } from './checkpoint.ts';
import { MetadataLog } from './metadata-log.ts';

/** commits/<N>: batch N is done (sink written, state committed); holds the next watermark. */
export interface CommitMetadata {
  readonly nextBatchWatermarkMs: number;
  /**
   * When the batch committed (ms since the epoch). Not in Spark's commit log; for
   * `sluice checkpoint show`. Absent in checkpoints written before sluice recorded it.
   */
  readonly commitTimestampMs?: number;
}

export class CommitLog {
  private readonly log: MetadataLog;
  constructor(checkpoint: Checkpoint) {
    this.log = new MetadataLog(checkpoint.storage, checkpoint.commitsDir, 'Commit log file');
  }

  async add(batchId: number, c: CommitMetadata): Promise<void> {
    await this.log.add(batchId, `v1\n${JSON.stringify(c)}`);
  }

  async get(batchId: number): Promise<CommitMetadata | null> {
    const text = await this.log.get(batchId);
    if (text === null) return null;
    return JSON.parse(text.split('\n')[1] ?? '{}') as CommitMetadata;
  }

  latestId(): Promise<number | null> { return this.log.latestId(); }
  purge(keepFrom: number): Promise<void> { return this.log.purge(keepFrom); }
}
