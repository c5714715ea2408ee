/**
 * What includeHeaders costs: the same topic read with includeHeaders=false and =true, in one run.
 *
 *   npx tsx bench/kafka-headers.ts [--events 1000000] [--partitions 4] [--headers 3] [--rounds 3]
 *
 * Starts the project's mock broker and writes N events of ~60 B, each with `--headers` record headers
 * (`kcat -P -H k<i>=value-<i>`: librdkafka's batches, as a producer writes them; set-up, not timed).
 * Then, rounds alternating, times an availableNow query (start() .. awaitTermination()) that reads
 * every record and counts rows in foreachBatch: without headers (selecting value), and with them
 * (selecting value and size(headers), so the headers column is decoded and read). Each variant's best
 * round is reported with its events/s and the headers run's rate relative to the plain one. Every run
 * must see N rows (and N x headers headers). Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { haveKcat, kcatProduce } from '../test/support/kcat.ts';
import { Session, col, size } from '../src/index.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '4' },
    headers: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(args.events), PARTITIONS = Number(args.partitions), HEADERS = Number(args.headers), ROUNDS = Number(args.rounds);
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
if (!haveKcat()) throw new Error('kcat is not installed: run `node scripts/setup.mjs --test` (Debian package kcat)');

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 200) / PARTITIONS / (1 << 20)) * 2) });
const session = Session.builder().appName('bench-kafka-headers').getOrCreate();
try {
  const topic = uniqueTopic('bench-headers');
  await broker.createTopic(topic, PARTITIONS);
  const hdrs = Array.from({ length: HEADERS }, (_, i) => ['-H', `k${i}=value-${i}`]).flat();
  const t0 = performance.now();
  await kcatProduce(broker.bootstrap, topic, 'none',
    Array.from({ length: N }, (_, i) => ({ key: `u${i % 1000}`, value: `{"id":${i},"user":"u${i % 1000}","amount":${i % 997}}` })),
    [...hdrs, '-X', 'batch.num.messages=10000']);
  log(`produced ${N} events with ${HEADERS} headers each in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const run = async (withHeaders: boolean): Promise<number> => {
    let rows = 0, headers = 0;
    const df = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').option('includeHeaders', String(withHeaders)).load();
    const started = performance.now();
    const q = await (withHeaders ? df.select(col('value'), size(col('headers')).alias('h')) : df.select('value'))
      .writeStream.foreachBatch(async (b) => {
        rows += b.count();
        if (withHeaders) for (const v of b.toArrow().getChild('h')!.toArray() as Int32Array) headers += v;
      }).trigger({ availableNow: true }).start();
    await q.awaitTermination();
    const ms = performance.now() - started;
    if (rows !== N || (withHeaders && headers !== N * HEADERS)) throw new Error(`read ${rows} rows / ${headers} headers, expected ${N} / ${N * HEADERS}`);
    return ms;
  };

  const best = { plain: Infinity, headers: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of r % 2 ? (['headers', 'plain'] as const) : (['plain', 'headers'] as const)) {
      const ms = await run(v === 'headers');
      log(`round ${r + 1} ${v}: ${(ms / 1000).toFixed(2)} s`);
      best[v] = Math.min(best[v], ms);
    }
  }
  const rate = (ms: number): number => Math.round(N / (ms / 1000));
  process.stdout.write(JSON.stringify({
    bench: 'kafka-headers', events: N, partitions: PARTITIONS, headersPerRecord: HEADERS, rounds: ROUNDS,
    plain: { eventsPerSec: rate(best.plain), ms: Math.round(best.plain) },
    includeHeaders: { eventsPerSec: rate(best.headers), ms: Math.round(best.headers) },
    relative: Number((best.plain / best.headers).toFixed(3)),
  }) + '\n');
} finally {
  await session.stop();
  await broker.stop();
}
