/**
 * End-to-end benchmark: Kafka -> from_json -> filter -> Parquet, against a bare kafkajs drain.
 *
 *   npx tsx bench/kafka-to-parquet.ts [--events 1000000] [--partitions 8] [--rounds 3] [--only sluice|kafkajs]
 *
 * For repeated (profiling) runs against a broker that stays up (KAFKA_BOOTSTRAP_SERVERS=...):
 *   --produce-only --topic T   produce into T (created beforehand, e.g. by the launcher), then exit;
 *   --topic T                  reuse T (same --events/--partitions), skip producing.
 *
 * Starts the project's mock broker (test/support/broker.ts), produces N JSON events of ~200 B
 * (setup, not timed), then times in this one process, alternating the order each round:
 *   kafkajs: a consumer group (eachBatch, fromBeginning) counting messages until all N are seen;
 *   sluice:  readStream kafka -> from_json -> select d.* -> filter type = 'purchase' -> parquet,
 *            trigger availableNow, start() .. awaitTermination().
 * The best round of each is reported; the sluice output is counted with DuckDB and checked
 * against the number of purchase events produced. Prints one JSON line on stdout.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { producePartitioned, drainWithKafkajs } from './support/kafka.ts';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { Session, col, from_json, types as T } from '../src/index.ts';
import { mulberry32 } from '../test/support/prng.ts';
import { tmpDir } from '../test/support/tmp.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    // For profiling runs: produce once into a long-lived broker (KAFKA_BOOTSTRAP_SERVERS), then reuse the topic.
    topic: { type: 'string' },
    'produce-only': { type: 'boolean', default: false },
  },
});
const N = Number(args.events);
const PARTITIONS = Number(args.partitions);
const ROUNDS = Number(args.rounds);
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

// ---- data ----------------------------------------------------------------------------------

const rnd = mulberry32(42); // the same events every run
const TYPES = ['purchase', 'view', 'view', 'add_to_cart', 'click'] as const;
const T0 = Date.UTC(2024, 4, 1);

function makeEvent(i: number): { value: string; purchase: boolean } {
  const type = TYPES[Math.floor(rnd() * TYPES.length)]!;
  const value = `{"event_id":${i},"user_id":"u-${Math.floor(rnd() * 100_000)}","session_id":"s-${Math.floor(rnd() * 1e12).toString(36)}",`
    + `"page":"/p/${Math.floor(rnd() * 10_000)}","type":"${type}","amount":${Math.floor(rnd() * 100_000) / 100},`
    + `"event_time":"${new Date(T0 + Math.floor(rnd() * 86_400_000)).toISOString()}",`
    + `"country":"${['DE', 'FR', 'US', 'JP', 'BR'][i % 5]}","device":"${['ios', 'android', 'web'][i % 3]}","campaign":"c-${i % 97}"}`;
  return { value, purchase: type === 'purchase' };
}

const schema = T.struct({
  event_id: T.long, user_id: T.string, session_id: T.string, page: T.string, type: T.string,
  amount: T.double, event_time: T.timestamp, country: T.string, device: T.string, campaign: T.string,
});

/** Produce with several concurrent kafkajs producers, one partition each at a time, big batches. */
async function produceAll(bootstrap: string, topic: string, n: number): Promise<{ purchases: number; bytes: number }> {
  const perPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
  let purchases = 0, bytes = 0;
  for (let i = 0; i < n; i++) {
    const e = makeEvent(i);
    if (e.purchase) purchases++;
    const b = Buffer.from(e.value);
    bytes += b.length;
    perPartition[i % PARTITIONS]!.push(b);
  }
  await producePartitioned(bootstrap, topic, perPartition);
  return { purchases, bytes };
}

// ---- the two contenders --------------------------------------------------------------------

const runKafkajs = (bootstrap: string, topic: string): Promise<number> => drainWithKafkajs(bootstrap, topic, N);

async function runSluice(bootstrap: string, topic: string, purchases: number): Promise<{ secs: number; outputRows: number }> {
  const dir = tmpDir('bench');
  try {
    const session = Session.builder().appName('bench').getOrCreate();
    const t0 = performance.now();
    const q = await session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
      .select(from_json(col('value').cast('string'), schema).alias('d')).select('d.*')
      .filter(col('type').equalTo('purchase'))
      .writeStream.format('parquet').option('checkpointLocation', join(dir, 'cp')).trigger({ availableNow: true })
      .start(join(dir, 'out'));
    await q.awaitTermination();
    const secs = (performance.now() - t0) / 1000;
    const p = q.lastProgress as { numInputRows?: number; durationMs?: Record<string, number> } | null;
    if (p) log(`sluice last progress: input ${p.numInputRows} rows, durations ${JSON.stringify(p.durationMs)}`);
    const [r] = await duckQuery(`select count(*)::BIGINT as n, count(distinct event_id)::BIGINT as d, `
      + `count(*) filter (where type <> 'purchase')::BIGINT as bad from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
    const outputRows = Number(r!.n), distinct = Number(r!.d), bad = Number(r!.bad);
    if (outputRows !== purchases || distinct !== purchases || bad !== 0) {
      throw new Error(`sluice output is wrong: ${outputRows} rows (${distinct} distinct event_id, ${bad} not purchases), expected ${purchases} purchases`);
    }
    return { secs, outputRows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ----------------------------------------------------------------------------------

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 400) / PARTITIONS / (1 << 20)) * 2) });
try {
  const topic = args.topic ?? uniqueTopic('bench-events');
  let purchases = 0;
  if (args.topic && !args['produce-only']) {
    for (let i = 0; i < N; i++) if (makeEvent(i).purchase) purchases++;
  } else {
    if (!args.topic) await broker.createTopic(topic, PARTITIONS); // a given topic was created with the broker
    const tp = performance.now();
    const r = await produceAll(broker.bootstrap, topic, N);
    purchases = r.purchases;
    log(`produced ${N} events (${(r.bytes / N).toFixed(0)} B avg, ${purchases} purchases) in ${((performance.now() - tp) / 1000).toFixed(1)} s`);
  }
  if (args['produce-only']) { await broker.stop(); process.exit(0); }

  let kBest = Infinity, sBest = Infinity, outputRows = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['kafkajs', 'sluice'] : ['sluice', 'kafkajs'];
    for (const who of order) {
      if (args.only && args.only !== who) continue;
      (globalThis as { gc?: () => void }).gc?.();
      if (who === 'kafkajs') {
        const s = await runKafkajs(broker.bootstrap, topic);
        log(`round ${round + 1} kafkajs: ${s.toFixed(3)} s (${Math.round(N / s)} ev/s)`);
        kBest = Math.min(kBest, s);
      } else {
        const r = await runSluice(broker.bootstrap, topic, purchases);
        log(`round ${round + 1} sluice:  ${r.secs.toFixed(3)} s (${Math.round(N / r.secs)} ev/s, ${r.outputRows} rows out)`);
        sBest = Math.min(sBest, r.secs);
        outputRows = r.outputRows;
      }
    }
  }
  const rate = (s: number): number | null => (Number.isFinite(s) ? Math.round(N / s) : null);
  const num = (s: number): number | null => (Number.isFinite(s) ? Number(s.toFixed(3)) : null);
  const kRate = rate(kBest), sRate = rate(sBest);
  console.log(JSON.stringify({
    events: N,
    kafkajs: { seconds: num(kBest), eventsPerSec: kRate },
    sluice: { seconds: num(sBest), eventsPerSec: sRate, outputRows },
    ratio: kRate && sRate ? Number((sRate / kRate).toFixed(3)) : null,
  }));
} finally {
  await broker.stop();
}
process.exit(0);
