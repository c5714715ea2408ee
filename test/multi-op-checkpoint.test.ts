// A chain's checkpoint: one state/<id>/ per operator (Spark's ids: the last operator is 0), which
// `sluice checkpoint show|state` list and read, a restart continues (each store from its own
// version), and a restart with an operator removed is refused naming the one left over.
import { describe, expect, it, onTestFinished } from 'vitest';
import * as path from 'node:path';
import { Session, MemoryStream, col, window, count, timestamp_seconds, types as T, type DataFrame } from '../src/index.ts';
import { CheckpointError } from '../src/errors.ts';
import { runSluice } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';
import { duckQuery } from './support/duck.ts';

const session = Session.builder().appName('multi-op-checkpoint-test').getOrCreate();
const CLI_TIMEOUT_MS = 60_000;

/** dropDuplicatesWithinWatermark('value') -> count per 5-second window, watermark 5 s (a key is remembered 5 s past its event time). */
const chain = (input: MemoryStream, dedup = true): DataFrame => {
  let df = input.toDF().withColumn('eventTime', timestamp_seconds(col('value'))).withWatermark('eventTime', '5 seconds');
  if (dedup) df = df.dropDuplicatesWithinWatermark('value');
  return df.groupBy(window(col('eventTime'), '5 seconds')).agg(count('*').alias('count'));
};

describe('a checkpoint with several stateful operators', () => {
  it('restarts where it stopped, `sluice checkpoint show|state` read each operator, and a query with one less is refused', async () => {
    const cp = path.join(tmpDir('multi-op-cp'), 'cp');
    const input = new MemoryStream(session, T.struct({ value: T.long }));
    const rows: [number, number][] = [];
    const start = (df: DataFrame) => df.writeStream.outputMode('append').option('checkpointLocation', cp)
      .foreachBatch((b) => { for (const r of b.collect()) rows.push([(r.window as { start: Date }).start.getTime() / 1000, Number(r.count)]); }).start();
    const add = (values: number[]) => input.addData(values.map((v) => ({ value: BigInt(v) })));

    const q1 = await start(chain(input));
    add([1, 2, 2, 7, 12]); // 2 twice: the dedup drops one; W = 7 closes [0, 5) and forgets 1 and 2
    await q1.processAllAvailable();
    await q1.stop();
    expect(rows).toEqual([[0, 2]]);

    const q2 = await start(chain(input));
    onTestFinished(() => q2.stop());
    add([12, 13, 21]); // 12 again: a duplicate, remembered by the restored dedup state (expiry 17 s > W 7 s)
    await q2.processAllAvailable();
    await q2.stop();
    expect(rows, 'the restored stores: 12 counted once; W = 16 closes [5, 10) and [10, 15)').toEqual([[0, 2], [5, 1], [10, 2]]);
    const lastOps = q2.lastProgress!.stateOperators as { operatorName: string; numRowsTotal: number }[];
    expect(lastOps.map((o) => [o.operatorName, o.numRowsTotal])).toEqual([['stateStoreSave', 1], ['dedupeWithinWatermark', 3]]);

    const show = await runSluice(['checkpoint', 'show', cp]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/State operator 0 \(state\/0\/\)\n {2}operator {4}aggregate\n {2}keys {8}window: window\(eventTime, 5 seconds\)/);
    expect(show.stdout).toMatch(/State operator 1 \(state\/1\/\)\n {2}operator {4}dropDuplicatesWithinWatermark\n {2}keys {8}value: long/);
    expect(show.stdout).toContain('2 state operators');

    const dedupState = await runSluice(['checkpoint', 'state', cp, '--operator', '1', '--json']);
    expect(dedupState.code, dedupState.stderr).toBe(0);
    // W after the last batch is 16 s: the keys whose expiry (event time + 5 s) is after it.
    const dedup = JSON.parse(dedupState.stdout) as { operatorId: number; numRows: number; rows: unknown[] };
    expect(dedup.operatorId).toBe(1);
    expect(dedup.numRows).toBe(3);
    expect(JSON.stringify(dedup.rows)).toMatch(/12.*13.*21/);
    const aggState = await runSluice(['checkpoint', 'state', cp, '--operator', '0']);
    expect(aggState.code, aggState.stderr).toBe(0);
    expect(aggState.stdout).toContain('State of operator 0 (aggregate)');
    expect(aggState.stdout).toContain('{1970-01-01 00:00:20, 1970-01-01 00:00:25} |     1');

    const q3 = await start(chain(input, false));
    const err = await q3.awaitTermination().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const cause = (err as Error & { cause?: unknown }).cause ?? err;
    expect(cause).toBeInstanceOf(CheckpointError);
    expect((cause as Error).message).toContain('holds state of stateful operator 1 (dropDuplicatesWithinWatermark');
    expect((cause as Error).message).toContain('the query now has 1 stateful operator (aggregate)');
  }, CLI_TIMEOUT_MS * 3);

  it('lateRowsPath gets the late rows of every operator whose input is still the input rows: here the aggregation after a dropDuplicates', async () => {
    const dir = tmpDir('multi-op-late'), out = path.join(dir, 'out'), late = path.join(dir, 'late');
    const input = new MemoryStream(session, T.struct({ id: T.long, value: T.long }));
    // dropDuplicates('id') has no event-time key, so it drops nothing as late: the aggregation does.
    const q = await input.toDF().withColumn('eventTime', timestamp_seconds(col('value'))).withWatermark('eventTime', '0 seconds')
      .dropDuplicates('id').groupBy(window(col('eventTime'), '5 seconds')).agg(count('*').alias('count'))
      .writeStream.outputMode('append').format('parquet').option('checkpointLocation', path.join(dir, 'cp')).option('lateRowsPath', late).start(out);
    onTestFinished(() => q.stop());
    const add = async (rows: [number, number][]) => { input.addData(rows.map(([id, value]) => ({ id: BigInt(id), value: BigInt(value) }))); await q.processAllAvailable(); };
    await add([[1, 1], [2, 12]]); // W = 12 closes [0, 5) and [5, 10)
    await add([[3, 2], [4, 7], [5, 13]]); // 2 and 7: their windows are closed, late
    await q.stop();
    const dropped = q.recentProgress.map((p) => (p.stateOperators as { numRowsDroppedByWatermark: number }[]).map((o) => o.numRowsDroppedByWatermark));
    expect(dropped.reduce((a, d) => [a[0]! + d[0]!, a[1]! + d[1]!], [0, 0]), 'dropped by the aggregation (entry 0), not the dedup').toEqual([2, 0]);
    expect(await duckQuery(`SELECT id, value FROM read_parquet('${late}/**/*.parquet') ORDER BY id`)).toEqual([{ id: 3n, value: 2n }, { id: 4n, value: 7n }]);
    expect(await duckQuery(`SELECT epoch_ms("window".start) AS s, count FROM read_parquet('${out}/**/*.parquet') ORDER BY s`))
      .toEqual([{ s: 0n, count: 1n }]);
  }, CLI_TIMEOUT_MS);
});
