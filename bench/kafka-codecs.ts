/**
 * Kafka -> from_json -> filter -> Parquet for each Kafka codec, against the uncompressed topic in
 * the same process run.
 *
 *   npx tsx bench/kafka-codecs.ts [--events 1000000] [--partitions 8] [--rounds 2] [--codecs none,gzip,snappy,lz4,zstd]
 *
 * Starts the project's mock broker, writes the same N JSON events of ~230 B into one topic per codec
 * with `kcat -P -z <codec>` (librdkafka's batches and codecs, as a production producer writes them;
 * set-up, not timed), then times, round by round with the codec order rotated, the query of
 * bench/kafka-to-parquet.ts (readStream kafka -> from_json -> select d.* -> filter type = 'purchase'
 * -> parquet, trigger availableNow, start() .. awaitTermination()) on each topic. Each codec's best
 * round is reported, with its rate relative to the uncompressed topic's; every output is counted with
 * DuckDB against the purchases produced. Prints one JSON line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { haveKcat, kcatProduce, type KcatCodec } from '../test/support/kcat.ts';
import { mulberry32 } from '../test/support/prng.ts';
import { Session, col, from_json, types as T } from '../src/index.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    codecs: { type: 'string', default: 'none,gzip,snappy,lz4,zstd' },
  },
});
const N = Number(args.events);
const PARTITIONS = Number(args.partitions);
const ROUNDS = Number(args.rounds);
const CODECS = args.codecs.split(',') as KcatCodec[];
if (!CODECS.includes('none')) CODECS.unshift('none'); // the baseline is always measured
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
if (!haveKcat()) throw new Error('kcat is not installed: run `node scripts/setup.mjs --test` (Debian package kcat)');

// ---- data (as bench/kafka-to-parquet.ts) -----------------------------------------------------------

const TYPES = ['purchase', 'view', 'view', 'add_to_cart', 'click'] as const;
const T0 = Date.UTC(2024, 4, 1);

function makeEvents(n: number): { values: { value: string }[]; purchases: number } {
  const rnd = mulberry32(42); // the same events every run
  const values: { value: string }[] = new Array(n);
  let purchases = 0;
  for (let i = 0; i < n; i++) {
    const type = TYPES[Math.floor(rnd() * TYPES.length)]!;
    if (type === 'purchase') purchases++;
    values[i] = { value: `{"event_id":${i},"user_id":"u-${Math.floor(rnd() * 100_000)}","session_id":"s-${Math.floor(rnd() * 1e12).toString(36)}",`
      + `"page":"/p/${Math.floor(rnd() * 10_000)}","type":"${type}","amount":${Math.floor(rnd() * 100_000) / 100},`
      + `"event_time":"${new Date(T0 + Math.floor(rnd() * 86_400_000)).toISOString()}",`
      + `"country":"${['DE', 'FR', 'US', 'JP', 'BR'][i % 5]}","device":"${['ios', 'android', 'web'][i % 3]}","campaign":"c-${i % 97}"}` };
  }
  return { values, purchases };
}

const schema = T.struct({
  event_id: T.long, user_id: T.string, session_id: T.string, page: T.string, type: T.string,
  amount: T.double, event_time: T.timestamp, country: T.string, device: T.string, campaign: T.string,
});

async function runSluice(bootstrap: string, topic: string, purchases: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-codecs-'));
  try {
    const session = Session.builder().appName('bench-codecs').getOrCreate();
    const t0 = performance.now();
    const q = await session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
      .select(from_json(col('value').cast('string'), schema).alias('d')).select('d.*')
      .filter(col('type').equalTo('purchase'))
      .writeStream.format('parquet').option('checkpointLocation', join(dir, 'cp')).trigger({ availableNow: true })
      .start(join(dir, 'out'));
    await q.awaitTermination();
    const secs = (performance.now() - t0) / 1000;
    const [r] = await duckQuery(`select count(*)::BIGINT as n, count(distinct event_id)::BIGINT as d from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
    if (Number(r!.n) !== purchases || Number(r!.d) !== purchases) {
      throw new Error(`sluice output of ${topic} is wrong: ${r!.n} rows (${r!.d} distinct event_id), expected ${purchases} purchases`);
    }
    return secs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ------------------------------------------------------------------------------------------

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 400) / PARTITIONS / (1 << 20)) * 2) });
try {
  const { values, purchases } = makeEvents(N);
  const topics = new Map<KcatCodec, string>();
  for (const codec of CODECS) {
    const topic = uniqueTopic(`bench-${codec}`);
    await broker.createTopic(topic, PARTITIONS);
    const t0 = performance.now();
    // Batches as a throughput-tuned producer makes them: up to 10k records or 1 MB.
    await kcatProduce(broker.bootstrap, topic, codec, values, ['-X', 'batch.num.messages=10000', '-X', 'linger.ms=50']);
    log(`produced ${N} events with kcat -z ${codec} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    topics.set(codec, topic);
  }

  const best = new Map<KcatCodec, number>(CODECS.map((c) => [c, Infinity]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = CODECS.map((_, i) => CODECS[(i + round) % CODECS.length]!);
    for (const codec of order) {
      (globalThis as { gc?: () => void }).gc?.();
      const s = await runSluice(broker.bootstrap, topics.get(codec)!, purchases);
      log(`round ${round + 1} ${codec.padEnd(6)} ${s.toFixed(3)} s (${Math.round(N / s)} ev/s)`);
      best.set(codec, Math.min(best.get(codec)!, s));
    }
  }
  const base = N / best.get('none')!;
  const out: Record<string, { seconds: number; eventsPerSec: number; vsNone: number }> = {};
  for (const [codec, s] of best) out[codec] = { seconds: Number(s.toFixed(3)), eventsPerSec: Math.round(N / s), vsNone: Number((N / s / base).toFixed(3)) };
  console.log(JSON.stringify({ events: N, partitions: PARTITIONS, rounds: ROUNDS, codecs: out }));
} finally {
  await broker.stop();
}
process.exit(0);
