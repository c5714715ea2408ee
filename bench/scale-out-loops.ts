/**
 * What one scale-out worker's concurrent task loops cost against the plain query's one loop
 * (docs/design/scale-out.md; runtime/scale-out/worker.ts chose concurrent loops):
 *
 *   npx tsx bench/scale-out-loops.ts [--events 400000] [--partitions 8] [--rounds 3] [--idle-secs 3]
 *
 * Produces N purchase events over P partitions (set-up, not timed), then in this one process, order
 * alternating each round: the plain query (the baseline: one trigger loop reading every partition per
 * batch) and the same query with option sluice.scaleOut (one worker running P tasks, each its own
 * loop over one partition); readStream kafka -> from_json -> filter -> parquet, availableNow,
 * start() .. awaitTermination(), output checked with DuckDB. Then the idle cost: each query with the
 * default trigger on the drained topic, process CPU time over --idle-secs (every loop polls its
 * source every spark.sql.streaming.pollingDelay, 10 ms). Prints one JSON line on stdout.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { producePartitioned } from './support/kafka.ts';
import { purchaseEvents, purchaseSchema } from './support/purchase-query.ts';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { Session, col, from_json, type StreamingQuery } from '../src/index.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '400000' }, partitions: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' }, 'idle-secs': { type: 'string', default: '3' } },
});
const N = Number(args.events), PARTITIONS = Number(args.partitions), ROUNDS = Number(args.rounds), IDLE_MS = Number(args['idle-secs']) * 1000;
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const session = Session.builder().appName('bench-scale-out-loops').getOrCreate();

function start(bootstrap: string, topic: string, dir: string, scaleOut: boolean, bounded: boolean): Promise<StreamingQuery> {
  const w = session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
    .select(from_json(col('value').cast('string'), purchaseSchema).alias('d')).select('d.*')
    .filter(col('type').equalTo('purchase'))
    .writeStream.format('parquet').option('checkpointLocation', join(dir, 'cp')).option('sluice.scaleOut', String(scaleOut));
  return (bounded ? w.trigger({ availableNow: true }) : w).start(join(dir, 'out'));
}

async function timed(bootstrap: string, topic: string, scaleOut: boolean, purchases: number): Promise<number> {
  const dir = tmpDir('bench-scale-out');
  try {
    const t0 = performance.now();
    await (await start(bootstrap, topic, dir, scaleOut, true)).awaitTermination();
    const secs = (performance.now() - t0) / 1000;
    const [r] = await duckQuery(`select count(*)::BIGINT n, count(distinct event_id)::BIGINT d from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
    if (Number(r!.n) !== purchases || Number(r!.d) !== purchases) throw new Error(`${scaleOut ? 'scale-out' : 'plain'} output: ${r!.n} rows, ${r!.d} distinct, expected ${purchases}`);
    return secs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU ms per wall second of the process while the query idles on a drained topic (after it has caught up). */
async function idleCpu(bootstrap: string, topic: string, scaleOut: boolean): Promise<number> {
  const dir = tmpDir('bench-scale-out-idle');
  try {
    const q = await start(bootstrap, topic, dir, scaleOut, false);
    await q.processAllAvailable();
    const c0 = process.cpuUsage(), t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const c = process.cpuUsage(c0), ms = performance.now() - t0;
    await q.stop();
    return Math.round(((c.user + c.system) / 1000 / ms) * 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 400) / PARTITIONS / (1 << 20)) * 2) });
try {
  const topic = uniqueTopic('bench-scale-out');
  await broker.createTopic(topic, PARTITIONS);
  const make = purchaseEvents();
  const perPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
  let purchases = 0;
  for (let i = 0; i < N; i++) { const e = make(i); if (e.purchase) purchases++; perPartition[i % PARTITIONS]!.push(Buffer.from(e.value)); }
  await producePartitioned(broker.bootstrap, topic, perPartition);
  log(`produced ${N} events over ${PARTITIONS} partitions (${purchases} purchases)`);
  const best = { plain: Infinity, tasks: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of round % 2 ? ['tasks', 'plain'] as const : ['plain', 'tasks'] as const) {
      const secs = await timed(broker.bootstrap, topic, v === 'tasks', purchases);
      log(`round ${round} ${v}: ${secs.toFixed(2)} s`);
      best[v] = Math.min(best[v], secs);
    }
  }
  const idle = { plain: await idleCpu(broker.bootstrap, topic, false), tasks: await idleCpu(broker.bootstrap, topic, true) };
  process.stdout.write(JSON.stringify({
    bench: 'scale-out-loops', events: N, partitions: PARTITIONS, rounds: ROUNDS,
    baseline_plain_secs: +best.plain.toFixed(2), baseline_plain_events_per_sec: Math.round(N / best.plain),
    tasks_secs: +best.tasks.toFixed(2), tasks_events_per_sec: Math.round(N / best.tasks), tasks_vs_plain: +(best.plain / best.tasks).toFixed(2),
    idle_cpu_ms_per_sec: { plain: idle.plain, tasks: idle.tasks },
  }) + '\n');
} finally {
  await broker.stop();
}
