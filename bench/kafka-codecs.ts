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
import { parseArgs } from 'node:util';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { haveKcat, kcatProduce, type KcatCodec } from '../test/support/kcat.ts';
import { purchaseEvents, runPurchaseQuery } from './support/purchase-query.ts';

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

// ---- data: the events of bench/kafka-to-parquet.ts ------------------------------------------------

function makeEvents(n: number): { values: { value: string }[]; purchases: number } {
  const makeEvent = purchaseEvents();
  const values: { value: string }[] = new Array(n);
  let purchases = 0;
  for (let i = 0; i < n; i++) {
    const e = makeEvent(i);
    if (e.purchase) purchases++;
    values[i] = { value: e.value };
  }
  return { values, purchases };
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
      const { secs: s } = await runPurchaseQuery(broker.bootstrap, topics.get(codec)!, purchases);
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
