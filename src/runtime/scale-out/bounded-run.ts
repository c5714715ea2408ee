import { CheckpointError } from '../../errors.ts';
import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import type { KafkaOffsets } from '../../sources/kafka/offsets.ts';
import { joinPath } from '../../storage/storage.ts';

const enc = new TextEncoder(), dec = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How often a downstream task looks for the upstream tasks' end files. */
const ENDS_POLL_MS = 200;

/**
 * One bounded run (availableNow, once) of a stateful scale-out query (docs/design/scale-out.md,
 * "Bounded runs"): a downstream task cannot see when the upstream tasks of other workers are
 * done, so they say so in the shared checkpoint, as the lease does, with no coordinator:
 *
 *   runs/<n>/start          created (exclusively) by the first worker of run n
 *   runs/<n>/ends/<task>    an upstream task ended run n: the repartition topic's last stable offsets after its last commit
 *   runs/<n>/done/<task>    a downstream task ended run n: it read up to the largest of those
 *
 * A worker joins the newest run until every downstream task is done in it, then starts the next.
 * A task ended in the run is not started again in it, so a restart inside a run goes on where
 * the run is, and every file is written after what it speaks for (end offsets after the commit),
 * so a crash between the two only repeats work the exactly-once sinks already absorb.
 */
export class BoundedRun {
  private constructor(private readonly checkpoint: Checkpoint, readonly run: number,
    private readonly upstream: readonly string[], private readonly downstream: readonly string[]) {}

  private get dir(): string { return joinPath(this.checkpoint.root, 'runs', String(this.run)); }
  private endPath(task: string): string { return joinPath(this.dir, 'ends', task); }
  private donePath(task: string): string { return joinPath(this.dir, 'done', task); }

  /** The run this start takes part in: the newest, or a new one when every downstream task is done in the newest. */
  static async join(checkpoint: Checkpoint, upstream: readonly string[], downstream: readonly string[]): Promise<BoundedRun> {
    const runs = (await checkpoint.storage.list(joinPath(checkpoint.root, 'runs'))).filter((n) => /^\d+$/.test(n)).map(Number);
    const newest = runs.length ? Math.max(...runs) : -1;
    if (newest >= 0) {
      const r = new BoundedRun(checkpoint, newest, upstream, downstream);
      const done = new Set(await checkpoint.storage.list(joinPath(r.dir, 'done')));
      if (!downstream.every((t) => done.has(t))) return r;
    }
    const r = new BoundedRun(checkpoint, newest + 1, upstream, downstream);
    // Workers starting together all try; one creates it, the others join it.
    await checkpoint.storage.create(joinPath(r.dir, 'start'), enc.encode(JSON.stringify({ startedMs: Date.now() }) + '\n'));
    return r;
  }

  /** Whether `task` already ended this run (its end or done file is there). */
  async ended(task: string): Promise<boolean> {
    const s = this.checkpoint.storage;
    return await s.exists(this.endPath(task)) || await s.exists(this.donePath(task));
  }

  /** Upstream task `task` ended the run with everything it wrote below `offsets` (its topic's last stable offsets, read after its last commit). */
  async upstreamEnded(task: string, offsets: KafkaOffsets): Promise<void> {
    await this.checkpoint.storage.create(this.endPath(task), enc.encode(JSON.stringify(offsets) + '\n'));
  }

  async downstreamEnded(task: string): Promise<void> {
    await this.checkpoint.storage.create(this.donePath(task), enc.encode('{}\n'));
  }

  /**
   * A downstream task's availableNow target for partition `partition` of `topic`: once every upstream
   * task has ended the run, the largest end offset they read. The last upstream task to read its end
   * offsets did so after every other upstream task's last commit, so its offset is past every row of
   * the run. Null when `signal` aborts the wait (the task is being stopped).
   */
  async target(topic: string, partition: number, signal: AbortSignal): Promise<KafkaOffsets | null> {
    const s = this.checkpoint.storage, dir = joinPath(this.dir, 'ends');
    while (!signal.aborted) {
      const have = new Set(await s.list(dir));
      if (this.upstream.every((t) => have.has(t))) {
        let max = 0;
        for (const t of this.upstream) {
          const path = this.endPath(t), bytes = await s.read(path);
          let o: KafkaOffsets;
          try { o = JSON.parse(dec.decode(bytes!)) as KafkaOffsets; } catch (e) {
            throw new CheckpointError(`${path} is not an upstream task's end offsets (JSON {"topic":{"partition":offset}}); the checkpoint is damaged.`, { cause: e });
          }
          max = Math.max(max, o[topic]?.[String(partition)] ?? 0);
        }
        return { [topic]: { [String(partition)]: max } };
      }
      await sleep(ENDS_POLL_MS);
    }
    return null;
  }
}
