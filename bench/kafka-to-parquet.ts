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
import { parseArgs } from 'node:util';
import { producePartitioned, drainWithKafkajs } from './support/kafka.ts';
import { purchaseEvents, runPurchaseQuery } from './support/purchase-query.ts';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';

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

const makeEvent = purchaseEvents();

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

const runSluice = (bootstrap: string, topic: string, purchases: number): Promise<{ secs: number; outputRows: number }> =>
  runPurchaseQuery(bootstrap, topic, purchases, log);

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
