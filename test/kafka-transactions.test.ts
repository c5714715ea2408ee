// The read side honours transactions (issue 11 item 5): topics written by kafkajs's transactional
// producer, committing and aborting, interleaved with plain records, an open transaction while a
// batch is planned, over 1 and 3 partitions and with gzip, lz4 and zstd batches. Every committed or
// plain record is read exactly once, no aborted one, no control record becomes a row, and offsets
// still advance over markers and aborted records (availableNow ends, end offsets are the log's end).
//
// The broker is the test broker behind the front (test/support/kafka-front.ts), whose transaction
// coordinator writes the commit/abort markers, lists aborted transactions and answers the last
// stable offset as Kafka does (tools/kafka-front/transactions.ts): the batches sluice reads are what
// kafkajs's transactional producer and the coordinator wrote.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type Producer, type Transaction } from 'kafkajs';
import { Session } from '../src/index.ts';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { compress } from '../src/formats/kafka-compression/compression.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { tmpDir } from './support/tmp.ts';

let broker: TestBroker;
let front: TestFront;
let kafka: Kafka;
let inspector: KafkaClient;
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
  front = await startFront({ broker });
  kafka = new Kafka({ clientId: 'txn-test', brokers: front.bootstrap.split(','), logLevel: logLevel.NOTHING });
  inspector = new KafkaClient({ servers: front.bootstrap.split(','), clientId: 'txn-inspector', requestTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
}, 60_000);
afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await inspector?.close();
  await front?.stop();
  await broker?.stop();
});

/** A transactional producer. Not `idempotent: true`: kafkajs then asks the controller for a producer id at connect, and the mock names broker 0, which does not exist; transactions are idempotent anyway (kafkajs's transaction() sends with idempotence, the id from the transaction coordinator). */
async function txnProducer(): Promise<Producer> {
  const p = kafka.producer({ transactionalId: uniqueTopic('txn'), idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  producers.push(p);
  return p;
}

interface Txn { send(topic: string, values: { value: string; partition: number }[], compression?: CompressionTypes): Promise<number[]>; end(type: 'commit' | 'abort'): Promise<void> }

/** Begins a transaction; `send` resolves to the base offsets of its batches, `end` commits or aborts. */
async function begin(producer: Producer): Promise<Txn> {
  const t: Transaction = await producer.transaction();
  return {
    async send(topic, values, compression = CompressionTypes.None) {
      return (await t.send({ topic, acks: -1, compression, messages: values })).map((m) => Number(m.baseOffset));
    },
    end: (type) => (type === 'commit' ? t.commit() : t.abort()),
  };
}

const vals = (tag: string, n: number, partition = 0): { value: string; partition: number }[] =>
  Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}`, partition }));
const plain = (topic: string, tag: string, n: number, partition = 0): Promise<void> => produce(front.bootstrap, topic, vals(tag, n, partition));

let queries = 0;
interface Row { value: Uint8Array; partition: number; offset: bigint }
const text = (rows: Row[]): string[] => rows.map((r) => Buffer.from(r.value).toString('utf8')).sort();
const expected = (...groups: { value: string }[][]): string[] => groups.flat().map((v) => v.value).sort();

function start(topic: string, trigger: { availableNow: true } | { processingTime: string }, extra: Record<string, string> = {}) {
  const name = `txn_${++queries}`;
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', front.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  for (const [k, v] of Object.entries(extra)) r = r.option(k, v);
  return r.load().select('value', 'partition', 'offset').writeStream.format('memory').queryName(name).trigger(trigger).start()
    .then((q) => ({ q, rows: () => session.table(name).collect() as unknown as Row[] }));
}

/** The log end (high watermark) of each partition. */
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
    const [lso] = await open.send(topic, vals('openB', 3)); // the open transaction's first offset
    await plain(topic, 'plainAfterOpen', 2);

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

// Port of Spark's KafkaMicroBatchSourceSuite "read Kafka transactional messages: read_committed"
// (external/kafka-0-10-sql), with its expected answers: one partition, maxOffsetsPerTrigger 3,
// values equal to their offsets, markers at the offsets Spark's comments star. Spark's manual clock
// (no batch runs while the test produces) becomes one availableNow run per step on the same
// checkpoint; each step checks the log end (Spark's WithOffsetSync) and then the new batches'
// answers (Spark's CheckNewAnswer after each AdvanceManualClock).
describe("Spark's read_committed case: batches of 3 offsets over commits, aborts and markers", () => {
  it('reads each committed record once, in the batches Spark expects', async () => {
    const topic = uniqueTopic('txn-spark');
    await broker.createTopic(topic, 1);
    const p = await txnProducer();
    const cp = tmpDir('txn-spark-cp');
    const step = async (logEndOffset: number, produceStep: () => Promise<void>): Promise<number[][]> => {
      await produceStep();
      expect(await logEnd(topic, 1)).toEqual({ 0: logEndOffset });
      const batches: number[][] = [];
      const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', front.bootstrap).option('subscribe', topic)
        .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', '3').load().select('value')
        .writeStream.option('checkpointLocation', cp).trigger({ availableNow: true })
        .foreachBatch((df) => { batches.push((df.collect() as unknown as { value: Uint8Array }[]).map((r) => Number(Buffer.from(r.value).toString()))); })
        .start();
      expect(await q.awaitTermination(60)).toBe(true);
      return batches;
    };
    const send = (t: Transaction, ...values: number[]): Promise<unknown> => t.send({ topic, acks: -1, messages: values.map((v) => ({ value: String(v) })) });
    let open!: Transaction;
    // Sends 5 messages. They should be visible only after being committed.
    expect(await step(5, async () => { open = await p.transaction(); for (let i = 0; i <= 4; i++) await send(open, i); })).toEqual([]);
    expect(await step(6, () => open.commit())).toEqual([[0, 1, 2], [3, 4]]); // offsets 0 1 2 | 3 4 5*
    // Sends 5 messages and aborts: they are never read.
    expect(await step(12, async () => { const t = await p.transaction(); for (let i = 6; i <= 10; i++) await send(t, i); await t.abort(); }))
      .toEqual([[], []]); // 6* 7* 8* | 9* 10* 11*
    expect(await step(18, async () => { const t = await p.transaction(); for (let i = 12; i <= 16; i++) await send(t, i); await t.commit(); }))
      .toEqual([[12, 13, 14], [15, 16]]); // 12 13 14 | 15 16 17*
    expect(await step(25, async () => {
      for (const values of [[18], [20], [22, 23]]) { const t = await p.transaction(); for (const v of values) await send(t, v); await t.commit(); }
    })).toEqual([[18, 20], [22, 23], []]); // 18 19* 20 | 21* 22 23 | 24*
  }, 180_000);
});
