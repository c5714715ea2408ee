import type { Storage } from '../../storage/storage.ts';
import { joinPath } from '../../storage/storage.ts';
import { CheckpointError } from '../../errors.ts';
import { numberedEntries } from '../../checkpoint/checkpoint.ts';

/**
 * The Kafka sink's log in the checkpoint (sinks/<n>/<batchId>): batch N's transaction, written
 * once all its records are flushed and before EndTxn(commit). A restart that re-runs batch N (no
 * commits/N) and finds this entry does not know whether the commit reached Kafka, so it sends
 * EndTxn(commit) for exactly this producer id and epoch: the coordinator answers success for a
 * transaction that already committed with that epoch and commits one still open; it answers
 * fenced when the transaction timed out and was aborted. Without an entry the first attempt never
 * asked to commit, and the batch is produced anew.
 *
 * Once a restart has seen the transaction committed, it says so in the entry (`committed`).
 *
 * Only the newest entry can be undecided (batch N+1 starts only after commits/N), so older ones
 * are removed as new ones are written.
 */
export interface PreparedTransaction {
  readonly batchId: number;
  readonly transactionalId: string;
  /** int64, as a decimal string. */
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly records: number;
  /**
   * Set by a restart that found the transaction committed, before its own InitProducerId: that
   * bumps the epoch, after which the coordinator answers fenced to this entry's epoch whether
   * the transaction had committed or not, so a later restart must not ask again.
   */
  readonly committed?: boolean;
}

const VERSION = 'v1';

export class TransactionLog {
  /** Entries this instance has not removed yet (listed once, on the first write). */
  private older: number[] | null = null;

  constructor(private readonly storage: Storage, private readonly dir: string) {}

  private path(batchId: number): string { return joinPath(this.dir, String(batchId)); }

  async get(batchId: number): Promise<PreparedTransaction | null> {
    const bytes = await this.storage.read(this.path(batchId));
    if (!bytes) return null;
    const text = new TextDecoder().decode(bytes);
    const [version, json] = text.split('\n', 2);
    let entry: PreparedTransaction;
    try {
      if (version !== VERSION) throw new Error(`version '${version}'`);
      entry = JSON.parse(json!) as PreparedTransaction;
    } catch (e) {
      throw new CheckpointError(`The Kafka sink's log entry ${this.path(batchId)} cannot be read (${(e as Error).message}); it was written by another `
        + `version of sluice or damaged. Restore it, or start the query with a new checkpointLocation.`);
    }
    return entry;
  }

  /**
   * Record batch N's transaction as prepared (whole or not at all). A re-run of N whose earlier
   * transaction was aborted replaces the entry with its own; a restart that found it committed
   * rewrites it with `committed`.
   */
  async prepare(entry: PreparedTransaction): Promise<void> {
    await this.storage.write(this.path(entry.batchId), new TextEncoder().encode(`${VERSION}\n${JSON.stringify(entry)}\n`));
    this.older ??= numberedEntries(await this.storage.list(this.dir));
    const done = this.older.filter((id) => id < entry.batchId);
    for (const id of done) await this.storage.remove(this.path(id));
    this.older = [entry.batchId];
  }
}
