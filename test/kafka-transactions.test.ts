// The read side honours transactions (issue 11 item 5): topics written by kafkajs's transactional
// producer, committing and aborting, interleaved with plain records, an open transaction while a
// batch is planned, over 1 and 3 partitions and with gzip, lz4 and zstd batches. Every committed or
// plain record is read exactly once, no aborted one, no control record becomes a row, and offsets
// still advance over markers and aborted records (availableNow ends, end offsets are the log's end).
//
// The test broker (librdkafka's mock) accepts transactions but writes no markers, lists no aborted
// transactions and reports the high watermark as the last stable offset: see test/support/txn-markers.ts
// for the evidence and for how the tests supply the coordinator's part. The data batches are what
// kafkajs's transactional producer sent; the control batches are real ones, stored by the broker.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type Producer, type Transaction } from 'kafkajs';
import { Session } from '../src/index.ts';
import { KafkaClient, type PartitionOffsets } from '../src/kafka/kafka-client.ts';
import type { RawPartition } from '../src/kafka/protocol.ts';
import { compress } from '../src/formats/kafka-compression/compression.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { TxnBook, batchProducer, writeMarker, type MarkerType } from './support/txn-markers.ts';

let broker: TestBroker;
let kafka: Kafka;
let inspector: KafkaClient;
const book = new TxnBook();
const session = Session.builder().appName('kafka-transactions-test').getOrCreate();
const producers: Producer[] = [];

// kafkajs produces lz4 and zstd only with a codec registered (its empty slots hold factories that
// throw 'not implemented'): the project's own, in this process only.
const { CompressionCodecs } = createRequire(import.meta.url)('kafkajs') as {
  CompressionCodecs: Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
};
for (const [type, name] of [[CompressionTypes.LZ4, 'lz4'], [CompressionTypes.ZSTD, 'zstd']] as const) {
  CompressionCodecs[type] = () => ({
    compress: async (e) => Buffer.from(compress(name, e.buffer)),
    decompress: async () => { throw new Error('not used by these tests'); },
  });
}

beforeAll(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: 'txn-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  inspector = new KafkaClient({ servers: broker.brokers, clientId: 'txn-inspector', requestTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
  // The broker's READ_COMMITTED answers, from the transaction index the tests keep (see txn-markers.ts).
  const fetchRaw = KafkaClient.prototype.fetchRaw, offsets = KafkaClient.prototype.offsets;
  vi.spyOn(KafkaClient.prototype, 'fetchRaw').mockImplementation(async function (this: KafkaClient, positions, ...rest): Promise<RawPartition[]> {
    const parts = await fetchRaw.call(this, positions, ...rest);
    for (const p of parts) {
      const at = positions.find((x) => x.topic === p.topic && x.partition === p.partition);
      if (at && book.has(p.topic)) p.abortedTransactions = book.abortedFrom(p.topic, p.partition, at.offset);
    }
    return parts;
  });
  vi.spyOn(KafkaClient.prototype, 'offsets').mockImplementation(async function (this: KafkaClient, parts, fromBeginning): Promise<PartitionOffsets> {
    const res = await offsets.call(this, parts, fromBeginning);
    if (!fromBeginning) {
      for (const [topic, ps] of Object.entries(res)) for (const p of Object.keys(ps)) ps[p] = book.lastStable(topic, Number(p), ps[p]!);
    }
    return res;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await inspector?.close();
  await broker?.stop();
});

/** A transactional producer. Not `idempotent: true`: kafkajs then asks the controller for a producer id at connect, and the mock names broker 0, which does not exist; transactions are idempotent anyway (kafkajs's transaction() sends with idempotence, the id from the transaction coordinator). */
async function txnProducer(): Promise<Producer> {
  const p = kafka.producer({ transactionalId: uniqueTopic('txn'), idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  producers.push(p);
  return p;
}

interface Txn { send(topic: string, values: { value: string; partition: number }[], compression?: CompressionTypes): Promise<void>; end(type: MarkerType): Promise<void> }

/** Begins a transaction; `end` commits or aborts it and writes its markers, as the coordinator would. */
async function begin(producer: Producer): Promise<Txn> {
  const t: Transaction = await producer.transaction();
  const touched = new Map<string, { topic: string; partition: number }>();
  let id: { producerId: bigint; producerEpoch: number } | undefined;
  return {
    async send(topic, values, compression = CompressionTypes.None) {
      const meta = await t.send({ topic, acks: -1, compression, messages: values });
      for (const m of meta) {
        const offset = Number(m.baseOffset);
        if (!id) {
          const [raw] = await inspector.fetchRaw([{ topic, partition: m.partition, offset }], 1 << 20, 1 << 20);
          id = batchProducer(raw!.buf, raw!.start, raw!.end, offset);
        }
        book.appended(topic, m.partition, id.producerId, offset);
        touched.set(`${topic}/${m.partition}`, { topic, partition: m.partition });
      }
    },
    async end(type) {
      await (type === 'commit' ? t.commit() : t.abort());
      for (const { topic, partition } of touched.values()) {
        const at = await writeMarker(broker.brokers[0]!, topic, partition, id!.producerId, id!.producerEpoch, type);
        book.ended(topic, partition, id!.producerId, type, at);
      }
    },
  };
}

const vals = (tag: string, n: number, partition = 0): { value: string; partition: number }[] =>
  Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}`, partition }));
const plain = (topic: string, tag: string, n: number, partition = 0): Promise<void> => produce(broker.bootstrap, topic, vals(tag, n, partition));

let queries = 0;
interface Row { value: Uint8Array; partition: number; offset: bigint }
const text = (rows: Row[]): string[] => rows.map((r) => Buffer.from(r.value).toString('utf8')).sort();
const expected = (...groups: { value: string }[][]): string[] => groups.flat().map((v) => v.value).sort();

function start(topic: string, trigger: { availableNow: true } | { processingTime: string }, extra: Record<string, string> = {}) {
  const name = `txn_${++queries}`;
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  for (const [k, v] of Object.entries(extra)) r = r.option(k, v);
  return r.load().select('value', 'partition', 'offset').writeStream.format('memory').queryName(name).trigger(trigger).start()
    .then((q) => ({ q, rows: () => session.table(name).collect() as unknown as Row[] }));
}

/** The log end (high watermark) of each partition, as the bare broker reports it. */
async function logEnd(topic: string, partitions: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let p = 0; p < partitions; p++) {
    const [raw] = await inspector.fetchRaw([{ topic, partition: p, offset: 0 }], 1 << 10, 1 << 10);
    out[String(p)] = raw!.highWatermark;
  }
  return out;
}

/** Each (partition, offset) once, and no row is a marker (control records have null values here: every produced value is a string). */
function expectDistinct(rows: Row[]): void {
  expect(new Set(rows.map((r) => `${r.partition}:${r.offset}`)).size).toBe(rows.length);
  for (const r of rows) expect(r.value).not.toBeNull();
}

describe('records of aborted transactions are never read; control records never become rows', () => {
  it('1 partition: committed, aborted and plain records interleaved by two producers; an open transaction is read only after its commit', async () => {
    const topic = uniqueTopic('txn-one');
    await broker.createTopic(topic, 1);
    const a = await txnProducer(), b = await txnProducer();
    await plain(topic, 'plain0', 3);
    let ta = await begin(a);
    await ta.send(topic, vals('commitA1', 3));
    await ta.end('commit');
    // B's aborted transaction is interleaved with plain records and A's committed one: only B's batches go.
    const tb = await begin(b);
    await tb.send(topic, vals('abortB1', 2));
    await plain(topic, 'plain1', 2);
    ta = await begin(a);
    await ta.send(topic, vals('commitA2', 2));
    await tb.send(topic, vals('abortB2', 2));
    await tb.end('abort');
    await ta.send(topic, vals('commitA3', 1));
    await ta.end('commit');
    const tg = await begin(a);
    await tg.send(topic, vals('abortGzip', 20), CompressionTypes.GZIP);
    await tg.end('abort');
    await plain(topic, 'plain2', 1);
    // Open while the query plans: its records, and everything after its first offset, wait.
    const open = await begin(b);
    await open.send(topic, vals('openB', 3));
    await plain(topic, 'plainAfterOpen', 2);
    const lso = book.lastStable(topic, 0, Infinity);

    const { q, rows } = await start(topic, { processingTime: '100 milliseconds' });
    try {
      await q.processAllAvailable();
      const before = [vals('plain0', 3), vals('commitA1', 3), vals('plain1', 2), vals('commitA2', 2), vals('commitA3', 1), vals('plain2', 1)];
      expect(text(rows())).toEqual(expected(...before));
      expect((q.lastProgress!.sources[0]!.endOffset as Record<string, Record<string, number>>)[topic]).toEqual({ 0: lso });
      await open.end('commit');
      await q.processAllAvailable();
      expect(text(rows())).toEqual(expected(...before, vals('openB', 3), vals('plainAfterOpen', 2)));
      expectDistinct(rows());
      expect((q.lastProgress!.sources[0]!.endOffset as Record<string, Record<string, number>>)[topic]).toEqual(await logEnd(topic, 1));
    } finally {
      await q.stop();
    }
  });

  it('3 partitions, transactions across all of them, gzip, lz4 and zstd batches: every committed or plain record once, no aborted one', async () => {
    const topic = uniqueTopic('txn-three');
    await broker.createTopic(topic, 3);
    const a = await txnProducer(), b = await txnProducer();
    const want: { value: string }[][] = [];
    const codecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.LZ4, CompressionTypes.ZSTD];
    for (const [i, codec] of codecs.entries()) {
      const ok = await begin(a), bad = await begin(b);
      for (let p = 0; p < 3; p++) {
        await ok.send(topic, vals(`commit${i}p${p}`, 40, p), codec);
        await bad.send(topic, vals(`abort${i}p${p}`, 40, p), codec);
        await plain(topic, `plain${i}p${p}`, 5, p);
        want.push(vals(`commit${i}p${p}`, 40, p), vals(`plain${i}p${p}`, 5, p));
      }
      // Alternate which ends first, so abort markers come both before and after commit markers.
      if (i % 2) { await bad.end('abort'); await ok.end('commit'); } else { await ok.end('commit'); await bad.end('abort'); }
    }
    // An aborted transaction on one partition only, ending the log of partition 2.
    const last = await begin(b);
    await last.send(topic, vals('abortLast', 10, 2), CompressionTypes.ZSTD);
    await last.end('abort');

    const { q, rows } = await start(topic, { availableNow: true });
    expect(await q.awaitTermination(60)).toBe(true);
    expect(text(rows())).toEqual(expected(...want));
    expectDistinct(rows());
    expect((q.lastProgress!.sources[0]!.endOffset as Record<string, Record<string, number>>)[topic]).toEqual(await logEnd(topic, 3));
  });
});

describe('availableNow ends when the last records of a partition are control markers or aborted records', () => {
  for (const limit of [undefined, '2']) {
    it(limit ? `with maxOffsetsPerTrigger ${limit}: batches that hold only markers and aborted records` : 'in one batch', async () => {
      const topic = uniqueTopic('txn-tail');
      await broker.createTopic(topic, 3);
      const p = await txnProducer();
      await plain(topic, 'plain', 2, 0);
      await plain(topic, 'plain', 2, 1);
      let t = await begin(p);
      await t.send(topic, vals('committed', 2, 0)); // partition 0 ends with a commit marker
      await t.send(topic, vals('committed', 3, 1));
      await t.end('commit');
      t = await begin(p);
      await t.send(topic, vals('aborted', 3, 1)); // partition 1 ends with aborted records and their abort marker
      await t.send(topic, vals('aborted', 3, 2)); // partition 2 holds nothing else
      await t.end('abort');
      const { q, rows } = await start(topic, { availableNow: true }, limit ? { maxOffsetsPerTrigger: limit } : {});
      expect(await q.awaitTermination(30)).toBe(true);
      expect(text(rows())).toEqual(expected(vals('plain', 2, 0), vals('plain', 2, 1), vals('committed', 2, 0), vals('committed', 3, 1)));
      expectDistinct(rows());
      const end = await logEnd(topic, 3);
      expect(end).toEqual({ 0: 5, 1: 10, 2: 4 });
      expect((q.lastProgress!.sources[0]!.endOffset as Record<string, Record<string, number>>)[topic]).toEqual(end);
      if (limit) expect(q.recentProgress.length).toBeGreaterThan(5);
    });
  }
});
