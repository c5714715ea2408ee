// Scale-out's pieces in one process (docs/design/scale-out.md): tasks' Parquet names keep one task's
// clean-up away from another's files, the fixed round-robin split, and the starts it refuses (topics not
// co-partitioned, a stateful query it cannot run as tasks, a checkpoint of the other kind). test/scale-out.test.ts runs the workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { commitBatch, readLogEntry } from '../src/sinks/parquet/sink-log.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { StaticAssignment } from '../src/runtime/scale-out/task-assignment.ts';
import { Session, col, AnalysisError, CheckpointError, OptionError } from '../src/index.ts';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { tmpDir } from './support/tmp.ts';

const file = (p: string) => ({ path: p, rows: 1, encode: () => new TextEncoder().encode(p) });

describe('Parquet output of scale-out tasks', () => {
  it("a task's re-run of batch N removes its own leftovers of N and nothing of another task or a plain query", async () => {
    const root = tmpDir('task-sink-log');
    const storage = new LocalStorage();
    // Task 0_1's batch 1 and a plain query's batch 1 share the batch id with task 0_0's.
    await commitBatch(storage, root, 1, [file('part-0_1-1-0.parquet'), file('k=a/part-0_1-1-1.parquet')], undefined, 'q', true, '0_1');
    await fs.writeFile(path.join(root, 'part-1-0.parquet'), 'plain');
    // Leftovers of a killed attempt of 0_0's batch 1 (more files than the re-run writes), and a temp file of 0_1 still writing.
    await fs.writeFile(path.join(root, 'part-0_0-1-3.parquet'), 'stale');
    await fs.writeFile(path.join(root, '.part-0_0-1-0.parquet.0123456789ab.tmp'), 'cut');
    await fs.writeFile(path.join(root, '.part-0_1-2-0.parquet.0123456789ab.tmp'), 'writing');
    await fs.mkdir(path.join(root, '_sluice_log', '0_1'), { recursive: true });
    await fs.writeFile(path.join(root, '_sluice_log', '0_1', '.2.0123456789ab.tmp'), 'writing');

    const entry = await commitBatch(storage, root, 1, [file('part-0_0-1-0.parquet')], undefined, 'q', true, '0_0');
    expect(entry).toEqual({ batchId: 1, files: [{ path: 'part-0_0-1-0.parquet', rows: 1, bytes: 20 }], numRows: 1, queryId: 'q', task: '0_0' });
    expect(readdirSync(root).sort()).toEqual(['.part-0_1-2-0.parquet.0123456789ab.tmp', '_sluice_log', 'k=a', 'part-0_0-1-0.parquet', 'part-0_1-1-0.parquet', 'part-1-0.parquet']);
    expect(readdirSync(path.join(root, '_sluice_log', '0_1')).sort()).toEqual(['.2.0123456789ab.tmp', '1']);
    expect(await readLogEntry(storage, root, 1, '0_0')).toEqual(entry);
    expect((await readLogEntry(storage, root, 1, '0_1'))?.files.map((f) => f.path)).toEqual(['part-0_1-1-0.parquet', 'k=a/part-0_1-1-1.parquet']);
    // A plain query's clean-up does not take a task's files for its own either.
    await commitBatch(storage, root, 1, [file('part-1-0.parquet')], undefined, 'q', true);
    expect(readdirSync(root)).toContain('part-0_0-1-0.parquet');
    await expect(commitBatch(storage, root, 1, [], undefined, 'q', true, '../x')).rejects.toThrow(/task id '\.\.\/x' is not of the form <stage>_<partition>/);
  });
});

describe('the fixed split of tasks', () => {
  it('worker i of n takes every n-th task from i, in task order', async () => {
    const tasks = Array.from({ length: 8 }, (_, p) => `0_${p}`);
    const shares = await Promise.all([0, 1, 2].map((i) => new StaticAssignment(tasks, i, 3).join()));
    expect(shares.map((s) => s.tasks)).toEqual([['0_0', '0_3', '0_6'], ['0_1', '0_4', '0_7'], ['0_2', '0_5']]);
    expect((await new StaticAssignment(tasks, 3, 9).join()).tasks).toEqual(['0_3']);
    expect((await new StaticAssignment(tasks, 8, 9).join()).tasks).toEqual([]);
  });
});

describe('starts scale-out refuses', () => {
  let broker: TestBroker;
  let session: Session;
  const eight = uniqueTopic('sc-eight'), four = uniqueTopic('sc-four');
  beforeAll(async () => {
    broker = await startBroker();
    await broker.createTopic(eight, 8);
    await broker.createTopic(four, 4);
    await produce(broker.bootstrap, eight, [{ value: '1', partition: 3 }]);
    session = Session.builder().appName('scale-out-tasks-test').getOrCreate();
  }, 60_000);
  afterAll(async () => { await broker?.stop(); });

  const read = (topics: string) => session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap)
    .option('subscribe', topics).option('startingOffsets', 'earliest').load();
  const start = (df: ReturnType<typeof read>, dir: string, scaleOut: boolean) => df.select(col('value').cast('string').alias('v'))
    .writeStream.format('parquet').option('sluice.scaleOut', String(scaleOut)).option('checkpointLocation', path.join(dir, 'cp'))
    .trigger({ availableNow: true }).start(path.join(dir, 'out'));

  it('topics with different partition counts, naming them', async () => {
    await expect(start(read(`${eight},${four}`), tmpDir('sc-copart'), true)).rejects.toThrow(AnalysisError);
    await expect(start(read(`${eight},${four}`), tmpDir('sc-copart'), true)).rejects.toThrow(`'${eight}' has 8, '${four}' has 4`);
  });

  it('a stream-stream join on a condition, and a repartition topic of another count', async () => {
    const counted = (trigger: { availableNow: true } | { processingTime: number }, dir: string) => read(eight).groupBy('partition').count().writeStream.format('console')
      .outputMode('complete').option('sluice.scaleOut', 'true').option('checkpointLocation', path.join(dir, 'cp')).trigger(trigger).start();
    // The test broker cannot create the topic with 8 partitions (no CreateTopics) and auto-creates it with 4: the shuffle's error names both counts.
    await expect(counted({ processingTime: 100 }, tmpDir('sc-count'))).rejects.toThrow(/topic 'sluice-[-0-9a-f]+-repartition-0' has 4 partition\(s\), but the query needs 8/);
    await expect(counted({ availableNow: true }, tmpDir('sc-count-now'))).rejects.toThrow(/topic 'sluice-[-0-9a-f]+-repartition-0' has 4 partition\(s\), but the query needs 8/);
    const side = (c: string) => read(eight).select(col('value').cast('string').alias(`id_${c}`), col('timestamp').alias(c)).withWatermark(c, '10 seconds');
    const joined = side('a').join(side('b'), col('id_a').equalTo(col('id_b'))).writeStream.format('console').option('sluice.scaleOut', 'true')
      .option('checkpointLocation', path.join(tmpDir('sc-join'), 'cp')).trigger({ processingTime: 100 }).start();
    await expect(joined).rejects.toThrow(/A stream-stream join on a condition cannot run shuffled yet/);
  }, 120_000);

  it('a bad option value, and the other kind of checkpoint', async () => {
    const dir = tmpDir('sc-kinds');
    await expect(read(eight).writeStream.format('parquet').option('sluice.scaleOut', 'yes').option('checkpointLocation', path.join(dir, 'cp')).start(path.join(dir, 'out')))
      .rejects.toThrow(OptionError);
    const q = await start(read(eight), dir, true);
    await q.awaitTermination();
    expect(readdirSync(path.join(dir, 'cp', 'tasks')).sort()).toEqual(['0_0', '0_1', '0_2', '0_3', '0_4', '0_5', '0_6', '0_7']);
    // Without scale-out the query would start over from its sources' beginning and write every row again.
    await expect(start(read(eight), dir, false)).rejects.toThrow(CheckpointError);
    await expect(start(read(eight), dir, false)).rejects.toThrow(/was written by a scale-out run .*Start the query with \.option\('sluice\.scaleOut', 'true'\)/);
    const plain = tmpDir('sc-kinds-plain');
    await (await start(read(eight), plain, false)).awaitTermination();
    await expect(start(read(eight), plain, true)).rejects.toThrow(/was written by a run without scale-out \(it has offsets\/\)/);
  }, 120_000);
});
