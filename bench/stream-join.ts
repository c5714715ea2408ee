/**
 * Stream-stream join throughput: Spark's ad-monetization join (impressions left outer join clicks
 * within an hour, both watermarked) over MemoryStreams, in micro-batches.
 *
 *   npx tsx bench/stream-join.ts [--rows 200000] [--batches 20]     (--rows per side)
 *
 * Each batch adds rows/batches impressions and as many clicks, event time rising so the watermark
 * cleans state as it goes. Prints one JSON line: input rows/s through the join, output rows, state
 * rows at the end, and, as the same-run baseline, the same rows through a stateless union of the
 * two streams (what reading, batching and the sink cost without the join).
 */
import os from 'node:os';
import { Session, MemoryStream, col, expr, lit, types as T, type DataFrame } from '../src/index.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ROWS = arg('rows', 200_000), BATCHES = arg('batches', 20);
const session = Session.builder().appName('stream-join-bench').getOrCreate();
const impSchema = T.struct({ adId: T.long, impressionTime: T.timestamp });
const clickSchema = T.struct({ clickAdId: T.long, clickTime: T.timestamp });
const per = Math.floor(ROWS / BATCHES), t0 = Date.UTC(2026, 0, 1);
// One impression a second; two thirds of them get a click 0-40 minutes later.
const imps = (b: number) => Array.from({ length: per }, (_, i) => { const n = b * per + i; return { adId: BigInt(n), impressionTime: new Date(t0 + n * 1000) }; });
const clicks = (b: number) => Array.from({ length: per }, (_, i) => { const n = b * per + i; return { clickAdId: BigInt(n % 3 === 0 ? -n : n - 1200), clickTime: new Date(t0 + n * 1000) }; });

async function run(build: (a: DataFrame, b: DataFrame) => DataFrame): Promise<{ rowsPerSec: number; rowsPerCpuSec: number; outputRows: number; stateRows: number }> {
  const a = new MemoryStream(session, impSchema), b = new MemoryStream(session, clickSchema);
  let outputRows = 0;
  const q = await build(a.toDF(), b.toDF()).writeStream.foreachBatch((df) => { outputRows += df.count(); }).start();
  const data = Array.from({ length: BATCHES }, (_, k) => [imps(k), clicks(k)] as const);
  const start = performance.now(), cpu0 = process.cpuUsage();
  for (const [x, y] of data) { a.addData(x); b.addData(y); await q.processAllAvailable(); }
  const secs = (performance.now() - start) / 1000;
  // CPU seconds too: on a shared machine (load 10-30 on 2 cores) wall time mostly measures the neighbours.
  const cpu = process.cpuUsage(cpu0), cpuSecs = (cpu.user + cpu.system) / 1e6;
  await q.stop();
  const op = q.lastProgress?.stateOperators[0] as { numRowsTotal: number } | undefined;
  return { rowsPerSec: Math.round((2 * per * BATCHES) / secs), rowsPerCpuSec: Math.round((2 * per * BATCHES) / cpuSecs), outputRows, stateRows: op?.numRowsTotal ?? 0 };
}

const join = await run((a, b) => a.withWatermark('impressionTime', '10 minutes').join(b.withWatermark('clickTime', '20 minutes'),
  expr('clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'), 'leftOuter'));
const union = await run((a, b) => a.select(col('adId').alias('id'), col('impressionTime').alias('t'), lit('i').alias('kind'))
  .union(b.select(col('clickAdId').alias('id'), col('clickTime').alias('t'), lit('c').alias('kind'))));
console.log(JSON.stringify({
  rows: 2 * per * BATCHES, batches: BATCHES, joinRowsPerSec: join.rowsPerSec, joinOutputRows: join.outputRows, joinStateRowsAtEnd: join.stateRows,
  baselineUnionRowsPerSec: union.rowsPerSec, joinVsUnion: +(join.rowsPerSec / union.rowsPerSec).toFixed(3),
  joinRowsPerCpuSec: join.rowsPerCpuSec, baselineUnionRowsPerCpuSec: union.rowsPerCpuSec, joinVsUnionCpu: +(join.rowsPerCpuSec / union.rowsPerCpuSec).toFixed(3),
  loadAverage: os.loadavg().map((x) => +x.toFixed(1)),
}));
process.exit(0);
