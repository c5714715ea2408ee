/**
 * transformWithState's cost per row, next to the built-in aggregation doing the same work.
 *
 *   npx tsx bench/transform-with-state.ts [--rows 400000] [--keys 20000] [--batches 8]
 *
 * The same rows (user_id over `keys` users) in `batches` batches, through: a processor keeping a
 * running count in a ValueState (Spark's RunningCount, without the reset); the same with a
 * processing-time timer per key and a 24-hour TTL; and, as the same-run baseline,
 * groupBy('user_id').count() in update mode (the columnar hash aggregate, same store). Also a plain
 * Map count over the rows, the floor. Prints one JSON line: rows/s for each and state rows.
 */
import {
  Session, MemoryStream, StatefulProcessor, types as T,
  type DataFrame, type StatefulProcessorHandle, type TimerValues, type ValueState,
} from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ROWS = arg('rows', 400_000), KEYS = arg('keys', 20_000), BATCHES = arg('batches', 8);
const session = Session.builder().appName('tws-bench').getOrCreate();
const schema = T.struct({ user_id: T.string, amount: T.double });
const batches = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: ROWS / BATCHES }, (_, i) => ({ user_id: `user-${(b * 7919 + i * 31) % KEYS}`, amount: i % 100 })));

class RunningCount extends StatefulProcessor<{ user_id: string }, { user_id: string }, { user_id: string; count: bigint }> {
  private count!: ValueState<number>;
  constructor(private readonly withTtlAndTimer: boolean) { super(); }
  init(h: StatefulProcessorHandle): void { this.count = h.getValueState<number>('count', this.withTtlAndTimer ? { ttlMs: 86_400_000 } : undefined); }
  *handleInputRows(key: { user_id: string }, rows: readonly { user_id: string }[], t: TimerValues) {
    const prev = this.count.get();
    if (this.withTtlAndTimer && prev === undefined) this.getHandle().registerTimer(t.getCurrentProcessingTimeInMs() + 3_600_000);
    const n = (prev ?? 0) + rows.length;
    this.count.update(n);
    yield { user_id: key.user_id, count: BigInt(n) };
  }
}

async function run(name: string, build: (df: DataFrame) => DataFrame): Promise<{ rowsPerSec: number; stateRows: number; ms: number }> {
  const input = new MemoryStream(session, schema);
  const q = await build(input.toDF()).writeStream.outputMode('update').queryName(`tws-bench-${name}`)
    .option('checkpointLocation', tmpDir(`tws-bench-${name}`)).foreachBatch(() => undefined).start();
  const t0 = performance.now();
  for (const b of batches) { input.addData(b); await q.processAllAvailable(); }
  const ms = performance.now() - t0;
  const op = q.recentProgress.at(-1)!.stateOperators[0] as { numRowsTotal: number };
  await q.stop();
  return { rowsPerSec: Math.round(ROWS / (ms / 1000)), stateRows: op.numRowsTotal, ms: Math.round(ms) };
}

const tws = await run('value', (df) => df.groupBy('user_id').transformWithState(new RunningCount(false), { outputSchema: 'user_id STRING, count LONG', outputMode: 'update' }));
const twsTtl = await run('ttl-timer', (df) => df.groupBy('user_id').transformWithState(new RunningCount(true), { outputSchema: 'user_id STRING, count LONG', outputMode: 'update', timeMode: 'processingTime' }));
const agg = await run('agg', (df) => df.groupBy('user_id').count());
const m0 = performance.now(), m = new Map<string, number>();
for (const b of batches) for (const r of b) m.set(r.user_id, (m.get(r.user_id) ?? 0) + 1);
const mapMs = performance.now() - m0;
console.log(JSON.stringify({
  rows: ROWS, keys: KEYS, batches: BATCHES,
  transformWithState: tws, transformWithStateTtlAndTimer: twsTtl, baselineGroupByCount: agg,
  floorPlainMapRowsPerSec: Math.round(ROWS / (mapMs / 1000)),
  twsVsAggregate: +(tws.rowsPerSec / agg.rowsPerSec).toFixed(2),
}));
