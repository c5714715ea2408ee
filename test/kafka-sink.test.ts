// writeStream.format('kafka') (issue 11 item 4): Spark's row contract (KafkaSinkSuite's cases with
// its expected answers and messages), keys and partitions as Kafka's default partitioner places
// them, every codec, the bad-input errors, both delivery guarantees, and a Kafka -> transform ->
// Kafka query. What the sink wrote is read back by kcat (librdkafka, a client no one here wrote) and
// by sluice's own Kafka source. Crashes are in kafka-sink-crash.test.ts.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStream, Session, col, concat, lit, types as T, upper, type DataFrame } from '../src/index.ts';
import { keyPartition, murmur2 } from '../src/sinks/kafka/murmur2.ts';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatRecords, kcatProduce, type KcatCodec } from './support/kcat.ts';
import { tmpDir } from './support/tmp.ts';

const TIMEOUT = 60_000;
let broker: TestBroker;
const session = Session.builder().appName('kafka-sink-test').getOrCreate();

beforeAll(async () => { broker = await startBroker(); }, TIMEOUT);
afterAll(async () => { await broker?.stop(); });

async function topic(partitions = 1, prefix = 'sink'): Promise<string> {
  const t = uniqueTopic(prefix);
  await broker.createTopic(t, partitions);
  return t;
}

const valueSchema = T.struct({ value: T.string });

/** Starts `df` into the kafka sink with `options` (plus the broker and a fresh checkpoint). */
function write(df: DataFrame, options: Record<string, string> = {}, mode: 'append' | 'update' | 'complete' = 'append') {
  let w = df.writeStream.format('kafka').outputMode(mode).option('kafka.bootstrap.servers', broker.bootstrap).option('checkpointLocation', tmpDir('kafka-sink'));
  for (const [k, v] of Object.entries(options)) w = w.option(k, v);
  return w.start();
}

/** KafkaSinkSuite's runAndVerifyValues: "1".."5", then "6".."10", each read back in full after its batch. */
async function runAndVerifyValues(t: string, build: (df: DataFrame) => DataFrame, options: Record<string, string>): Promise<void> {
  const input = new MemoryStream(session, valueSchema);
  const q = await write(build(input.toDF()), options);
  try {
    input.addData(['1', '2', '3', '4', '5'].map((value) => ({ value })));
    await q.processAllAvailable();
    expect((await kcatRecords(broker.bootstrap, t)).map((r) => Number(r.value)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    input.addData(['6', '7', '8', '9', '10'].map((value) => ({ value })));
    await q.processAllAvailable();
    expect((await kcatRecords(broker.bootstrap, t)).map((r) => Number(r.value)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  } finally {
    await q.stop();
  }
}

describe.skipIf(!haveKcat())("KafkaSinkSuite's streaming cases", () => {
  it('streaming - write to kafka with topic field', async () => {
    const t = await topic();
    await runAndVerifyValues(t, (df) => df.select(lit(t).alias('topic'), col('value')), {});
  }, TIMEOUT);

  it('streaming - write w/o topic field, with topic option', async () => {
    const t = await topic();
    await runAndVerifyValues(t, (df) => df, { topic: t });
  }, TIMEOUT);

  it('streaming - topic field and topic option: the option wins', async () => {
    const t = await topic();
    // 'foo' does not exist: a record sent there would fail the batch.
    await runAndVerifyValues(t, (df) => df.select(lit('foo').alias('topic'), col('value')), { topic: t });
  }, TIMEOUT);

  it('streaming - sink progress is produced (numOutputRows 3, update mode)', async () => {
    const t = await topic();
    const input = new MemoryStream(session, valueSchema);
    const q = await write(input.toDF(), { topic: t }, 'update');
    try {
      input.addData([{ value: '1' }, { value: '2' }, { value: '3' }]);
      await q.processAllAvailable();
      expect(q.recentProgress.some((p) => p.sink.numOutputRows === 3)).toBe(true);
      expect(q.lastProgress?.sink.description).toBe(`KafkaSink[${t}]`);
    } finally {
      await q.stop();
    }
  }, TIMEOUT);

  // Spark reports these when the query runs; sluice when start() analyses the query. Spark's messages, in its words.
  const wrongSchema = async (build: (df: DataFrame) => DataFrame, message: RegExp, options: Record<string, string> = {}): Promise<void> => {
    const input = new MemoryStream(session, T.struct({ value: T.string }));
    await expect(write(build(input.toDF()), options)).rejects.toThrow(message);
  };

  it('streaming - write data with bad schema', async () => {
    const t = await topic();
    await wrongSchema((df) => df.select(col('value').alias('key'), col('value')), /topic option required when no 'topic' attribute is present/i);
    await wrongSchema((df) => df.select(lit(t).alias('topic'), col('value').alias('key')), /required attribute 'value' not found/i);
  }, TIMEOUT);

  it('streaming - write data with valid schema but wrong types', async () => {
    const t = await topic();
    await wrongSchema((df) => df.select(lit('1').cast('int').alias('topic'), col('value')), /topic must be a\(n\) string/i);
    await wrongSchema((df) => df.select(lit(t).alias('topic'), col('value').cast('int').alias('value')), /value must be a\(n\) string or binary/i);
    await wrongSchema((df) => df.select(lit(t).alias('topic'), col('value').cast('int').alias('key'), col('value')), /key must be a\(n\) string or binary/i);
    await wrongSchema((df) => df.select(lit(t).alias('topic'), col('value'), col('value').alias('partition')), /partition must be a\(n\) int/i);
  }, TIMEOUT);

  it('streaming - exception on config serializer', async () => {
    await wrongSchema((df) => df, /kafka option 'key.serializer' is not supported/i, { topic: 't', 'kafka.key.serializer': 'foo' });
    await wrongSchema((df) => df, /kafka option 'value.serializer' is not supported/i, { topic: 't', 'kafka.value.serializer': 'foo' });
  }, TIMEOUT);

  it('streaming - write to non-existing topic', async () => {
    const input = new MemoryStream(session, valueSchema);
    const t = await topic(), missing = uniqueTopic('sink-missing');
    const q = await write(input.toDF().select(col('value').alias('topic'), col('value')));
    input.addData([{ value: t }, { value: missing }]);
    if (broker.external) {
      // A broker without auto.create.topics.enable (Spark's suite sets it false): the batch fails naming the topic and the row.
      await expect(q.processAllAvailable()).rejects.toThrow(new RegExp(`batch 0, row 1: topic '${missing}' does not exist .*column 'topic'`));
    } else {
      // The test broker creates any topic a Metadata request names (4 partitions), whatever the request's
      // allow_auto_topic_creation says (reference/README.md): the row reaches the topic it created.
      await q.processAllAvailable();
      expect((await kcatRecords(broker.bootstrap, missing)).map((r) => r.value)).toEqual([missing]);
    }
    await q.stop();
  }, TIMEOUT);
});

describe.skipIf(!haveKcat())('rows to records', () => {
  it('keys land where Kafka\'s default partitioner puts them; the partition column wins; unkeyed rows spread', async () => {
    const t = await topic(4);
    const input = new MemoryStream(session, T.struct({ key: T.string, value: T.string, partition: T.int }));
    const q = await write(input.toDF(), { topic: t });
    const rows = Array.from({ length: 40 }, (_, i) => ({ key: i < 30 ? `user-${i}` : null, value: `v${i}`, partition: i % 10 === 0 ? 3 : null }));
    input.addData(rows);
    await q.processAllAvailable();
    await q.stop();
    const got = await kcatRecords(broker.bootstrap, t);
    expect(got.map((r) => r.value).sort()).toEqual(rows.map((r) => r.value).sort());
    for (const r of got) {
      const row = rows.find((x) => x.value === r.value)!;
      expect(r.key).toBe(row.key);
      if (row.partition !== null) expect(r.partition).toBe(row.partition);
      else if (row.key !== null) expect(r.partition).toBe(keyPartition(Buffer.from(row.key), 4));
    }
    // Within one partition, a batch keeps the rows' order.
    const p0 = got.filter((r) => r.partition === keyPartition(Buffer.from('user-1'), 4)).map((r) => Number(r.value!.slice(1)));
    expect(p0).toEqual([...p0].sort((a, b) => a - b));
  }, TIMEOUT);

  it('murmur2 agrees with kafkajs\'s (the Java client\'s) on keys of every length', () => {
    const kafkajsMurmur2 = createRequire(createRequire(import.meta.url).resolve('kafkajs'))('./src/producer/partitioners/default/murmur2') as (k: Buffer) => number;
    for (const k of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'user-12345', 'ünïcødé ключ', 'x'.repeat(1000)]) {
      expect(murmur2(Buffer.from(k))).toBe(kafkajsMurmur2(Buffer.from(k)));
    }
    // Spark's KafkaSinkSuite computes partitions with the Java client's DefaultPartitioner: these are its answers.
    expect(keyPartition(Buffer.from('key'), 4)).toBe((kafkajsMurmur2(Buffer.from('key')) & 0x7fffffff) % 4);
  });

  it('binary keys and values are written byte for byte; a null value is a tombstone, as Spark writes it', async () => {
    const t = await topic();
    const input = new MemoryStream(session, T.struct({ key: T.binary, value: T.binary }));
    const q = await write(input.toDF(), { topic: t });
    input.addData([{ key: Buffer.from('k1'), value: Buffer.from('héllo') }, { key: Buffer.from('k2'), value: null }, { key: null, value: Buffer.from('') }]);
    await q.processAllAvailable();
    await q.stop();
    const got = await kcatRecords(broker.bootstrap, t);
    expect(got.map((r) => [r.key, r.value])).toEqual([['k1', 'héllo'], ['k2', null], [null, '']]);
  }, TIMEOUT);

  it("KafkaSinkSuite 'batch - write to kafka': the headers column, read back by kcat and by the source's includeHeaders", async () => {
    const t = await topic();
    const h = (...kv: [string, string][]) => kv.map(([key, value]) => ({ key, value: Buffer.from(value) }));
    const input = new MemoryStream(session, T.struct({ topic: T.string, value: T.string, headers: T.array(T.struct({ key: T.string, value: T.binary })) }));
    const q = await write(input.toDF(), { topic: t });
    input.addData([
      { topic: t, value: '1', headers: h(['a', 'b']) },
      { topic: t, value: '2', headers: h(['c', 'd'], ['e', 'f']) },
      { topic: t, value: '3', headers: h(['g', 'h'], ['g', 'i']) },
      { topic: t, value: '4', headers: null },
      { topic: t, value: '5', headers: h(['j', 'k'], ['j', 'l'], ['m', 'n']) },
    ]);
    await q.processAllAvailable();
    await q.stop();
    // Spark's expected answer: every header in order, repeated keys kept, null for none.
    const expectedHeaders: Record<string, [string, string][] | null> = {
      1: [['a', 'b']], 2: [['c', 'd'], ['e', 'f']], 3: [['g', 'h'], ['g', 'i']], 4: null, 5: [['j', 'k'], ['j', 'l'], ['m', 'n']],
    };
    const got = await kcatRecords(broker.bootstrap, t);
    expect(Object.fromEntries(got.map((r) => [r.value, r.headers ?? null]))).toEqual(expectedHeaders);
    const name = `sink_headers_${process.pid}`;
    const back = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', t)
      .option('startingOffsets', 'earliest').option('includeHeaders', 'true').load().select(col('value').cast('string').alias('value'), col('headers'))
      .writeStream.format('memory').queryName(name).trigger({ availableNow: true }).start();
    await back.awaitTermination();
    const rows = session.table(name).collect() as { value: string; headers: { key: string; value: Uint8Array }[] | null }[];
    expect(Object.fromEntries(rows.map((r) => [r.value, r.headers && r.headers.map((x) => [x.key, Buffer.from(x.value).toString()])]))).toEqual(expectedHeaders);
  }, TIMEOUT);

  it('a headers column of another type is refused at start with Spark\'s message; a null header key fails naming the row', async () => {
    const bad = new MemoryStream(session, T.struct({ value: T.string, headers: T.string }));
    await expect(write(bad.toDF(), { topic: 't' })).rejects.toThrow(/headers attribute unsupported type string\. headers must be a\(n\) array<struct<key:string,value:binary>>/);
    const t = await topic();
    const input = new MemoryStream(session, T.struct({ value: T.string, headers: T.array(T.struct({ key: T.string, value: T.binary })) }));
    const q = await write(input.toDF(), { topic: t });
    input.addData([{ value: 'ok', headers: [] }, { value: 'bad', headers: [{ key: 'a', value: null }, { key: null, value: Buffer.from('x') }] }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/batch 0, row 1: column 'headers' holds a null key at position 1/);
    await q.stop();
  }, TIMEOUT);

  it('a null topic fails the batch naming the column and the row', async () => {
    const t = await topic();
    const input = new MemoryStream(session, T.struct({ topic: T.string, value: T.string }));
    const q = await write(input.toDF());
    input.addData([{ topic: t, value: 'a' }, { topic: null, value: 'b' }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/batch 0, row 1: column 'topic' is null/);
    await q.stop();
    // Nothing of the failed batch is visible: its transaction was never committed (on this broker: never even produced).
    expect(await kcatRecords(broker.bootstrap, t)).toEqual([]);
  }, TIMEOUT);

  it('a partition outside the topic fails naming the column, the row and the range', async () => {
    const t = await topic(2);
    const input = new MemoryStream(session, T.struct({ value: T.string, partition: T.int }));
    const q = await write(input.toDF(), { topic: t });
    input.addData([{ value: 'a', partition: 1 }, { value: 'b', partition: 2 }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/batch 0, row 1: column 'partition' is 2, but topic '.*' has 2 partition\(s\) \(0 to 1\)/);
    await q.stop();
  }, TIMEOUT);

  it('a record over kafka.max.request.size fails before anything is sent, naming the batch and the row', async () => {
    const t = await topic();
    const input = new MemoryStream(session, valueSchema);
    const q = await write(input.toDF(), { topic: t, 'kafka.max.request.size': '1000' });
    input.addData([{ value: 'small' }, { value: 'x'.repeat(2000) }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/batch 0, row 1: the record is \d+ bytes when serialized, more than kafka.max.request.size \(1000\)/);
    await q.stop();
    expect(await kcatRecords(broker.bootstrap, t)).toEqual([]);
  }, TIMEOUT);

  it("the broker's MESSAGE_TOO_LARGE (Kafka error 10) fails naming the batch and the rows of the refused record batch", async () => {
    const t = await topic();
    const input = new MemoryStream(session, valueSchema);
    const q = await write(input.toDF(), { topic: t });
    input.addData([{ value: 'a' }]);
    await q.processAllAvailable();
    // The test broker has no size limit; it answers the next Produce request (api key 0) with the error a real one gives.
    expect(await broker.command('errors 0 1 10')).toBe('ok');
    input.addData([{ value: 'b' }, { value: 'c' }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/batch 1, rows 0 to 1 \(2 records\): the broker refused the record batch for topic '.*' partition 0 as too large \(MESSAGE_TOO_LARGE, Kafka error 10/);
    await q.stop();
  }, TIMEOUT);

  it('a Produce answered NOT_LEADER_FOR_PARTITION is sent again with the same sequence numbers: every record once', async () => {
    const t = await topic(2);
    const input = new MemoryStream(session, T.struct({ key: T.string, value: T.string }));
    const q = await write(input.toDF(), { topic: t });
    input.addData([{ key: 'a', value: '0' }]);
    await q.processAllAvailable();
    // The next two Produce requests fail for every partition in them (nothing is appended); the third goes through.
    expect(await broker.command('errors 0 2 NOT_LEADER_FOR_PARTITION')).toBe('ok');
    const rows = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: String(i + 1) }));
    input.addData(rows);
    await q.processAllAvailable();
    await q.stop();
    const got = (await kcatRecords(broker.bootstrap, t, ['-X', 'isolation.level=read_committed'])).map((r) => Number(r.value));
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  }, TIMEOUT);

  it('an unreachable broker fails the batch with a SinkError naming the address and the option', async () => {
    const input = new MemoryStream(session, valueSchema);
    const q = await input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 't')
      .option('checkpointLocation', tmpDir('kafka-sink')).start();
    input.addData([{ value: 'x' }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/^Kafka sink: batch 0: Cannot reach Kafka at 127.0.0.1:1 \(option kafka.bootstrap.servers, PLAINTEXT\)/);
    expect(q.exception()?.name).toBe('SinkError');
    await q.stop();
  }, TIMEOUT);

  it('bad writer options are refused at start, naming the option', async () => {
    const input = new MemoryStream(session, valueSchema);
    await expect(write(input.toDF(), { topic: 't', deliveryGuarantee: 'maybe' })).rejects.toThrow(/'deliveryGuarantee' must be 'exactly-once'.*or 'at-least-once'/);
    await expect(write(input.toDF(), { topic: 't', 'kafka.compression.type': 'brotli' })).rejects.toThrow(/'kafka.compression.type' must be one of none, gzip, snappy, lz4, zstd/);
    await expect(input.toDF().writeStream.format('kafka').option('topic', 't').option('checkpointLocation', tmpDir('kafka-sink')).start())
      .rejects.toThrow(/needs option 'kafka.bootstrap.servers'/);
  }, TIMEOUT);
});

describe.skipIf(!haveKcat())('codecs and delivery guarantees', () => {
  const codecs: KcatCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  for (const codec of codecs) {
    for (const guarantee of ['exactly-once', 'at-least-once']) {
      it(`kafka.compression.type ${codec}, ${guarantee}: kcat and sluice's source read every record`, async () => {
        const t = await topic(3);
        const input = new MemoryStream(session, T.struct({ key: T.string, value: T.string }));
        // Small record batches: each partition gets several per transaction.
        const q = await write(input.toDF(), { topic: t, 'kafka.compression.type': codec, deliveryGuarantee: guarantee, 'kafka.batch.size': '4096' });
        const rows = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 97}`, value: JSON.stringify({ id: i, pad: 'p'.repeat(i % 50) }) }));
        input.addData(rows.slice(0, 2000));
        await q.processAllAvailable();
        input.addData(rows.slice(2000));
        await q.processAllAvailable();
        await q.stop();
        const got = await kcatRecords(broker.bootstrap, t, ['-X', 'isolation.level=read_committed']);
        expect(got.map((r) => `${r.key}|${r.value}`).sort()).toEqual(rows.map((r) => `${r.key}|${r.value}`).sort());
        const name = `sink_read_${codec}_${guarantee.replace('-', '_').replace('-', '_')}`;
        const back = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', t)
          .option('startingOffsets', 'earliest').load().select(col('value').cast('string').alias('value'))
          .writeStream.format('memory').queryName(name).trigger({ availableNow: true }).start();
        await back.awaitTermination();
        expect((session.table(name).collect() as { value: string }[]).map((r) => r.value).sort()).toEqual(rows.map((r) => r.value).sort());
      }, TIMEOUT);
    }
  }
});

describe.skipIf(!haveKcat())('Kafka -> transform -> Kafka', () => {
  it('a topic written by kcat (lz4), upper-cased and keyed by the query, is read back by kcat', async () => {
    const src = await topic(4, 'sink-src'), dst = await topic(2, 'sink-dst');
    const records = Array.from({ length: 500 }, (_, i) => ({ key: `u${i % 13}`, value: `event ${i}` }));
    await kcatProduce(broker.bootstrap, src, 'lz4', records);
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', src)
      .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', '150').load()
      .select(col('key').cast('string').alias('key'), concat(upper(col('value').cast('string')), lit('!')).alias('value'))
      .writeStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('topic', dst).option('kafka.compression.type', 'zstd')
      .option('checkpointLocation', tmpDir('kafka-sink-e2e')).trigger({ availableNow: true }).start();
    await q.awaitTermination();
    expect(q.recentProgress.length).toBeGreaterThan(1);
    const got = await kcatRecords(broker.bootstrap, dst, ['-X', 'isolation.level=read_committed']);
    expect(got.map((r) => `${r.key}|${r.value}`).sort()).toEqual(records.map((r) => `${r.key}|${r.value.toUpperCase()}!`).sort());
    for (const r of got) expect(r.partition).toBe(keyPartition(Buffer.from(r.key!), 2));
  }, TIMEOUT);
});
