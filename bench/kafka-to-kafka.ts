/**
 * Kafka -> transform -> Kafka: the Kafka sink with exactly-once (one transaction per batch) and
 * with at-least-once (idempotent producer), against a bare kafkajs producer sending the same
 * records, all in the same run.
 *
 *   npx tsx bench/kafka-to-kafka.ts [--events 500000] [--partitions 8] [--rounds 3] [--max-offsets 100000] [--codec none]
 *
 * Starts the project's mock broker, produces N JSON events of ~230 B to a source topic (setup, not
 * timed), then times, rotating the order each round, each into a fresh sink topic:
 *   kafkajs:        one producer.sendBatch per 10,000 of the N output records (pre-built: the
 *                   transform's result), acks=-1, the given codec; it reads nothing;
 *   exactly-once:   readStream kafka -> key = regexp_extract(country), value = upper(value) -> writeStream kafka,
 *                   trigger availableNow, maxOffsetsPerTrigger (so several transactions);
 *   at-least-once:  the same query with deliveryGuarantee at-least-once.
 * sluice's times include reading the source topic; kafkajs's do not. Each sink topic is checked to
 * hold exactly N records. The best round of each is reported; prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { producePartitioned } from './support/kafka.ts';
import { purchaseEvents } from './support/purchase-query.ts';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { Session, col, regexp_extract, upper } from '../src/index.ts';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { compress, type CompressionName } from '../src/formats/kafka-compression/compression.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    partitions: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'max-offsets': { type: 'string', default: '100000' },
    codec: { type: 'string', default: 'none' },
  },
});
const N = Number(args.events), PARTITIONS = Number(args.partitions), ROUNDS = Number(args.rounds);
const CODEC = args.codec as CompressionName;
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

// kafkajs sends lz4/snappy/zstd only with a codec registered: the project's, as the sink uses.
const { CompressionCodecs } = createRequire(import.meta.url)('kafkajs') as {
  CompressionCodecs: Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
};
const KAFKAJS_CODEC: Record<CompressionName, CompressionTypes> = {
  none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD,
};
if (CODEC !== 'none' && CODEC !== 'gzip') {
  CompressionCodecs[KAFKAJS_CODEC[CODEC]] = () => ({ compress: async (e) => compress(CODEC, e.buffer), decompress: async () => { throw new Error('unused'); } });
}

const makeEvent = purchaseEvents();
const events: string[] = Array.from({ length: N }, (_, i) => makeEvent(i).value);
const country = (v: string): string => /"country":"(\w+)"/.exec(v)![1]!;

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 400 * 8) / PARTITIONS / (1 << 20))) });
const inspector = new KafkaClient({ servers: broker.brokers, clientId: 'bench-inspector', requestTimeoutMs: 30_000, connectTimeoutMs: 5_000 });

/** Records in `topic` (the sum of its partitions' end offsets: no markers on this broker). */
async function countRecords(topic: string): Promise<number> {
  const parts = new Map([[topic, Array.from({ length: PARTITIONS }, (_, p) => p)]]);
  const o = await inspector.offsets(parts, false);
  return Object.values(o[topic] ?? {}).reduce((a, b) => a + b, 0);
}

async function sinkTopic(): Promise<string> {
  const t = uniqueTopic('bench-sink');
  await broker.createTopic(t, PARTITIONS);
  return t;
}

async function runKafkajs(): Promise<number> {
  const topic = await sinkTopic();
  const out = events.map((v) => ({ key: country(v), value: v.toUpperCase() })); // the transform's output, built before the clock starts
  const kafka = new Kafka({ clientId: 'bench-kafkajs-producer', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = performance.now();
  for (let i = 0; i < N; i += 10_000) {
    await producer.sendBatch({ acks: -1, compression: KAFKAJS_CODEC[CODEC], topicMessages: [{ topic, messages: out.slice(i, i + 10_000) }] });
  }
  const secs = (performance.now() - t0) / 1000;
  await producer.disconnect();
  const n = await countRecords(topic);
  if (n !== N) throw new Error(`kafkajs wrote ${n} records to ${topic}, expected ${N}`);
  return secs;
}

async function runSluice(source: string, guarantee: 'exactly-once' | 'at-least-once'): Promise<number> {
  const topic = await sinkTopic();
  const session = Session.builder().appName('bench-kafka-to-kafka').getOrCreate();
  const t0 = performance.now();
  const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', source)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', args['max-offsets']!).load()
    .select(col('value').cast('string').alias('v'))
    .select(regexp_extract(col('v'), '"country":"(\\w+)"', 1).alias('key'), upper(col('v')).alias('value'))
    .writeStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('topic', topic)
    .option('deliveryGuarantee', guarantee).option('kafka.compression.type', CODEC)
    .option('checkpointLocation', tmpDir('bench-k2k')).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const secs = (performance.now() - t0) / 1000;
  const n = await countRecords(topic);
  if (n !== N) throw new Error(`sluice (${guarantee}) wrote ${n} records to ${topic}, expected ${N}`);
  log(`sluice ${guarantee}: ${q.recentProgress.length} batches, last durations ${JSON.stringify(q.lastProgress?.durationMs)}`);
  return secs;
}

try {
  const source = uniqueTopic('bench-source');
  await broker.createTopic(source, PARTITIONS);
  const perPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
  events.forEach((v, i) => perPartition[i % PARTITIONS]!.push(Buffer.from(v)));
  await producePartitioned(broker.bootstrap, source, perPartition);
  log(`produced ${N} source events`);

  const best: Record<string, number> = { kafkajs: Infinity, 'exactly-once': Infinity, 'at-least-once': Infinity };
  const contenders = ['kafkajs', 'exactly-once', 'at-least-once'] as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const who = contenders[(k + round) % contenders.length]!;
      (globalThis as { gc?: () => void }).gc?.();
      const s = who === 'kafkajs' ? await runKafkajs() : await runSluice(source, who);
      log(`round ${round + 1} ${who}: ${s.toFixed(3)} s (${Math.round(N / s)} ev/s)`);
      best[who] = Math.min(best[who]!, s);
    }
  }
  const rate = (s: number): number => Math.round(N / s);
  const k = rate(best.kafkajs!), eo = rate(best['exactly-once']!), alo = rate(best['at-least-once']!);
  console.log(JSON.stringify({
    events: N, partitions: PARTITIONS, codec: CODEC, maxOffsetsPerTrigger: Number(args['max-offsets']),
    kafkajsProducer: { seconds: Number(best.kafkajs!.toFixed(3)), eventsPerSec: k },
    exactlyOnce: { seconds: Number(best['exactly-once']!.toFixed(3)), eventsPerSec: eo, vsKafkajs: Number((eo / k).toFixed(3)) },
    atLeastOnce: { seconds: Number(best['at-least-once']!.toFixed(3)), eventsPerSec: alo, vsKafkajs: Number((alo / k).toFixed(3)) },
    exactlyOnceVsAtLeastOnce: Number((eo / alo).toFixed(3)),
  }));
} finally {
  await inspector.close();
  await broker.stop();
}
process.exit(0);
