/**
 * Several stateful operators in one query: what a chain costs beside one operator.
 *
 *   npx tsx bench/multi-op.ts [--rows 1000000] [--batches 10]
 *
 * The same events (one a millisecond, every tenth sent twice) through, in one run:
 * - chain:    dropDuplicatesWithinWatermark('id') -> count per 10-second window -> count per minute
 *             window of window_time(window): three operators, three stores;
 * - baseline: count per 10-second window alone (one operator, one store);
 * - dedup:    dropDuplicatesWithinWatermark('id') alone, to show which operator a chain's time goes to.
 * Memory source, foreachBatch sink, checkpoint on local disk, append mode. Prints one JSON line:
 * rows/s of each (input rows over the summed triggerExecution of their batches), each run's
 * how many operators and output rows each had, and the ratio.
 */
import { Session, MemoryStream, col, window, window_time, count, sum, types as T, type DataFrame } from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ROWS = arg('rows', 1_000_000), BATCHES = arg('batches', 10);
const session = Session.builder().appName('multi-op-bench').getOrCreate();
const schema = T.struct({ id: T.long, event_time: T.timestamp });
const t0 = Date.UTC(2024, 0, 1);

function batch(k: number): { id: bigint; event_time: Date }[] {
  const per = ROWS / BATCHES, out: { id: bigint; event_time: Date }[] = [];
  for (let i = k * per; i < (k + 1) * per; i++) {
    out.push({ id: BigInt(i), event_time: new Date(t0 + i) });
    if (i % 10 === 0) out.push({ id: BigInt(i), event_time: new Date(t0 + i) });
  }
  return out;
}
const data = Array.from({ length: BATCHES }, (_, k) => batch(k));

async function run(build: (df: DataFrame) => DataFrame): Promise<{ rowsPerSec: number; batchMs: number; stateOperators: number; outputRows: number }> {
  const stream = new MemoryStream(session, schema);
  let out = 0;
  const q = await build(stream.toDF().withWatermark('event_time', '5 seconds')).writeStream.outputMode('append')
    .option('checkpointLocation', tmpDir('multi-op-bench')).foreachBatch((b) => { out += b.collect().length; }).start();
  for (const b of data) { stream.addData(b); await q.processAllAvailable(); }
  await q.stop();
  const p = q.recentProgress;
  const ms = p.reduce((a, x) => a + (x.durationMs.triggerExecution ?? 0), 0);
  const input = p.reduce((a, x) => a + x.numInputRows, 0);
  return { rowsPerSec: Math.round(input / (ms / 1000)), batchMs: ms, stateOperators: p.at(-1)!.stateOperators.length, outputRows: out };
}

const tenSeconds = (df: DataFrame) => df.groupBy(window(col('event_time'), '10 seconds')).agg(count('*').alias('n'));
await run(tenSeconds); // warm-up: the first query of a process pays for JIT compilation
const baseline = await run(tenSeconds);
const dedup = await run((df) => df.dropDuplicatesWithinWatermark('id'));
const chain = await run((df) => tenSeconds(df.dropDuplicatesWithinWatermark('id'))
  .groupBy(window(window_time(col('window')), '1 minute')).agg(count('*').alias('windows'), sum('n').alias('n')));
console.log(JSON.stringify({
  rows: ROWS, duplicates: ROWS / 10, batches: BATCHES,
  chainRowsPerSec: chain.rowsPerSec, chainStateOperators: chain.stateOperators, chainOutputRows: chain.outputRows,
  baselineRowsPerSec: baseline.rowsPerSec, baselineStateOperators: baseline.stateOperators, baselineOutputRows: baseline.outputRows,
  dedupOnlyRowsPerSec: dedup.rowsPerSec,
  chainVsBaseline: +(chain.rowsPerSec / baseline.rowsPerSec).toFixed(3),
}));
process.exit(0);
