// The kill schedule the stateful crash tests share (dedup-crash, tws-crash, multi-op-crash): four
// stages of input into one checkpoint, a query child SIGKILLed in each phase of the trigger loop,
// in a data batch and in the no-data batch where state is evicted, then at random, and a last
// stage run clean. After every kill the visible output has nothing twice; after every clean run it
// is whole. Each test brings its input, its output check and its own asserts on the runs this returns.
import { expect } from 'vitest';
import { type ChildResult, type ChildRunOptions, describeRun, lastCommittedBatch } from './query-child.ts';

interface StageProgress { batchId: number; numInputRows: number }

export interface CrashStagesQuery<P extends StageProgress> {
  checkpoint: string;
  /** One run of the query child to its end (availableNow), or to its kill. */
  run(o?: ChildRunOptions): Promise<ChildResult<P>>;
  /** Sends the next stage's input; how many data batches it makes. */
  produceStage(): Promise<number>;
  /** After a kill: what is visible has no row twice and none partial (a re-run rewrites its batch's files). */
  noDuplicate(where: string): Promise<void>;
  /** After a clean run: the whole output the test expects. */
  checkOutput(where: string): Promise<void>;
}

/** Runs the four stages; their clean runs (stage 1's restart, stage 2's restart, stage 4's run) for the test's own asserts. */
export async function crashInStages<P extends StageProgress>(q: CrashStagesQuery<P>): Promise<{ first: ChildResult<P>; second: ChildResult<P>; last: ChildResult<P> }> {
  const crash = async (phase: string, batchId: number) => {
    const r = await q.run({ crashAt: `${phase}:${batchId}` });
    expect(r.signal, `kill at ${phase}:${batchId}: ${describeRun(r)}`).toBe('SIGKILL');
    await q.noDuplicate(`after the kill at ${phase}:${batchId}`);
  };
  const clean = async (where: string) => {
    const r = await q.run();
    expect(r.code, `${where}: ${describeRun(r)}`).toBe(0);
    await q.checkOutput(where);
    return r;
  };

  // Stage 1: batch 0 of a new checkpoint, then a batch killed before its commit and again inside the re-run's sink.
  let c = await lastCommittedBatch(q.checkpoint);
  let dataBatches = await q.produceStage();
  await crash('afterOffsetLog', 0);
  await crash('beforeCommit', 2);
  await crash('beforeSink', 2);
  const first = await clean('stage 1 restart');
  expect(first.progress[0]!.batchId, 'the restart re-runs batch 2 first').toBe(2);
  expect(first.progress.at(-1), 'the run ends with a no-data batch').toMatchObject({ batchId: c + dataBatches + 1, numInputRows: 0 });

  // Stage 2: a kill after a commit, then in the no-data batch (where state is evicted and emitted).
  c = await lastCommittedBatch(q.checkpoint);
  dataBatches = await q.produceStage();
  await crash('afterCommit', c + 2);
  await crash('beforeCommit', c + dataBatches + 1);
  const second = await clean('stage 2 restart');
  expect(second.progress[0]!.batchId, 'the restart re-runs the no-data batch').toBe(c + dataBatches + 1);
  expect(second.progress[0]!.numInputRows).toBe(0);

  // Stage 3: random kills by the parent. A kill may come after the stage's last batch (a fast
  // machine), so the clean run that ends the test gets a stage of its own: it always runs data
  // batches and the no-data batch, whose progress the tests read.
  await q.produceStage();
  for (const n of [1, 3]) {
    const r = await q.run({ killAfterProgress: { n, delayMs: 20 } });
    if (r.killedByParent) expect(r.signal, describeRun(r)).toBe('SIGKILL'); else expect(r.code, describeRun(r)).toBe(0);
    await q.noDuplicate(`after a random kill (progress #${n})`);
  }
  c = await lastCommittedBatch(q.checkpoint);
  dataBatches = await q.produceStage();
  const last = await clean('stage 4 end');
  // It may also run what the last random kill left of stage 3, so its batches are at least these.
  expect(last.progress.at(-1)?.numInputRows, `the last run ends with a no-data batch: ${describeRun(last)}`).toBe(0);
  expect(last.progress.at(-1)!.batchId).toBeGreaterThanOrEqual(c + dataBatches + 1);
  return { first, second, last };
}
