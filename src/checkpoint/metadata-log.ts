import type { Storage } from '../storage/storage-for.ts';
import { isTempFileOf, joinPath } from '../storage/storage-for.ts';
import { CheckpointError } from '../errors.ts';
import { numberedEntries } from './checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** A log file staged by MetadataLog.stage: published (added) or discarded, once. */
export interface StagedLogEntry {
  publish(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * A directory of files named by batch id, each written whole and never overwritten
 * (Spark's HDFSMetadataLog). Finding a file already there means another query wrote it.
 */
export class MetadataLog {
  constructor(private readonly storage: Storage, readonly dir: string, private readonly what: string) {}

  /** The file of batch `batchId`. */
  pathOf(batchId: number): string { return joinPath(this.dir, String(batchId)); }

  async add(batchId: number, text: string): Promise<void> {
    const path = this.pathOf(batchId);
    if (!(await this.storage.create(path, enc.encode(text)))) throw this.alreadyExists(path);
  }

  /**
   * `add` in two halves (Storage.stage): the file made durable out of sight now, so its fsync
   * overlaps other work of the batch; `publish` then adds it, failing as `add` does.
   */
  async stage(batchId: number, text: string): Promise<StagedLogEntry> {
    const path = this.pathOf(batchId);
    const staged = await this.storage.stage(path, enc.encode(text));
    return {
      publish: async () => { if (!(await staged.publishNew())) throw this.alreadyExists(path); },
      discard: () => staged.discard(),
    };
  }

  /**
   * Removes the temp files of this log's writes that a kill cut short: a commits/<N> staged while
   * its batch's sink ran is one. Called on start, before this query writes any (S3 stages in memory: none).
   */
  async removeTempFiles(): Promise<void> {
    for (const p of await this.storage.listRecursive(this.dir)) {
      if (isTempFileOf(p.slice(p.lastIndexOf('/') + 1), /^\d+$/)) await this.storage.remove(p);
    }
  }

  private alreadyExists(path: string): CheckpointError {
    return new CheckpointError(`${this.what} ${path} already exists: another query is writing to this checkpoint, `
      + `or it was started twice. Stop the other query, or use a different checkpointLocation.`);
  }

  async get(batchId: number): Promise<string | null> {
    const bytes = await this.storage.read(this.pathOf(batchId));
    return bytes ? dec.decode(bytes) : null;
  }

  async batchIds(): Promise<number[]> {
    return numberedEntries(await this.storage.list(this.dir));
  }

  async latestId(): Promise<number | null> {
    const ids = await this.batchIds();
    return ids.length ? ids[ids.length - 1]! : null;
  }

  /** Every id below this is gone (this instance removed them): later purges need no listing. */
  private purgedBelow: number | null = null;

  /**
   * Remove every batch below `keepFrom`. The first call lists the directory; later ones remove
   * just the ids since the last call's bound by name (a missing one is no error), so a batch's purge
   * costs one remove per log instead of a listing that grows with minBatchesToRetain (one LIST on S3).
   */
  async purge(keepFrom: number): Promise<void> {
    const from = this.purgedBelow;
    const ids = from === null ? (await this.batchIds()).filter((id) => id < keepFrom) : Array.from({ length: Math.max(0, keepFrom - from) }, (_, k) => from + k);
    for (const id of ids) await this.storage.remove(this.pathOf(id));
    this.purgedBelow = Math.max(from ?? 0, keepFrom);
  }
}
