import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';

/** Entries of a directory named by a whole number (batch ids, source and operator indexes), ascending. */
export function numberedEntries(names: readonly string[]): number[] {
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/**
 * A query's checkpoint directory and its layout (DESIGN §5). This is the only code that knows
 * where each part lives, so the engine, the lease and the `sluice checkpoint` tools cannot come
 * to disagree about it. What a file holds, and how the files inside offsets/, commits/, lease/
 * and state/<op>/ are named, is up to the module that reads and writes them.
 *
 * ```
 * metadata                      the query id (query-metadata.ts)
 * offsets/<batchId>             the write-ahead log (offset-log.ts)
 * commits/<batchId>             batches done (commit-log.ts)
 * sources/<i>/0                 source i's resolved starting offsets (query-metadata.ts)
 * state/<op>/_metadata          the stateful operator's shape (operator-metadata.ts)
 * state/<op>/<v>.delta|snapshot its state versions (state/state-store.ts)
 * lease/<generation>            which run holds the checkpoint (query-lease.ts)
 * sinks/<n>/                    sink n's own log (0: the query's sink, 1: its late-rows sink), e.g. the
 *                               Kafka sink's prepared transactions (sinks/kafka/transaction-log.ts)
 * ```
 *
 * A query run with scale-out (docs/design/scale-out.md) keeps, instead of the files above but
 * `metadata`, one ordinary checkpoint of the layout above per task (taskCheckpoint), whose own
 * `metadata` repeats the query id:
 *
 * ```
 * metadata                      the query id, shared by every task and worker
 * scale-out                     stages and their task counts, created exclusively at the first start
 *                               (runtime/scale-out/scale-out-file.ts)
 * tasks/<stage>_<p>/            task <stage>_<p>'s checkpoint: offsets/, commits/, sources/, state/, lease/, sinks/
 * ```
 */
export class Checkpoint {
  constructor(readonly storage: Storage, readonly root: string) {}

  get metadataPath(): string { return joinPath(this.root, 'metadata'); }
  get offsetsDir(): string { return joinPath(this.root, 'offsets'); }
  get commitsDir(): string { return joinPath(this.root, 'commits'); }
  get leaseDir(): string { return joinPath(this.root, 'lease'); }
  /** scale-out: the query's stages and task counts, present only when it ran with scale-out. */
  get scaleOutPath(): string { return joinPath(this.root, 'scale-out'); }

  /** tasks/<task>/: a scale-out task's own checkpoint, in the same storage. */
  taskCheckpoint(task: string): Checkpoint { return new Checkpoint(this.storage, joinPath(this.root, 'tasks', task)); }
  /** The task ids with a directory (tasks/<task>/), in stage then partition order. */
  async taskIds(): Promise<string[]> {
    const ids = (await this.storage.list(joinPath(this.root, 'tasks'))).filter((n) => /^\d+_\d+$/.test(n));
    const key = (t: string): number[] => t.split('_').map(Number);
    return ids.sort((a, b) => key(a)[0]! - key(b)[0]! || key(a)[1]! - key(b)[1]!);
  }

  /** sources/<i>/: source i's own directory (a source may keep more there; sluice's write only 0). */
  sourceDir(source: number): string { return joinPath(this.root, 'sources', String(source)); }
  /** sources/<i>/0: source i's resolved starting offsets. */
  sourceStartPath(source: number): string { return joinPath(this.sourceDir(source), '0'); }
  /** The source indexes with a directory (sources/<i>/). */
  async sourceIds(): Promise<number[]> { return numberedEntries(await this.storage.list(joinPath(this.root, 'sources'))); }

  /** sinks/<n>/: sink n's own directory (0: the query's sink, 1: the late-rows sink). */
  sinkDir(sink: number): string { return joinPath(this.root, 'sinks', String(sink)); }

  /** state/<op>/: the state store's directory for stateful operator `op`. */
  stateDir(operatorId: number): string { return joinPath(this.root, 'state', String(operatorId)); }
  /** state/<op>/_metadata: the shape of the operator that wrote the state. */
  operatorMetadataPath(operatorId: number): string { return joinPath(this.stateDir(operatorId), '_metadata'); }
  /** The stateful operator ids with a directory (state/<op>/). */
  async stateOperatorIds(): Promise<number[]> { return numberedEntries(await this.storage.list(joinPath(this.root, 'state'))); }
}
