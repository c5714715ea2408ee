// Every Kafka codec on the read side (issue 11 item 1): topics written by librdkafka's kcat with each
// of none, gzip, snappy, lz4 and zstd are read by a sluice query, every record exactly once; the
// encode side round-trips; a compressed batch that cannot be decompressed fails the query with an
// error naming topic, partition and base offset.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Session, SourceError } from '../src/index.ts';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { compress, decompress, type CompressionName } from '../src/formats/kafka-compression/compression.ts';
import { codecFor } from '../src/kafka/kafka-client.ts';
import { CorruptBatchError, RecordColumns, decodeRecordSet } from '../src/kafka/protocol.ts';
import { decompress as zstdDecompress } from 'zstd-napi';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatProduce, type KcatCodec } from './support/kcat.ts';
import { mulberry32 } from './support/prng.ts';

const CODECS: KcatCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const CODEC_ID: Record<KcatCodec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** JSON events of ~150 B, compressible as real ones are. */
function events(n: number, tag: string, from = 0): { key: string; value: string }[] {
  const rnd = mulberry32(n + from);
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { key: `k${i % 97}`, value: JSON.stringify({ id: i, tag, user: `u-${Math.floor(rnd() * 1000)}`, amount: Math.floor(rnd() * 1e5) / 100, page: `/p/${i % 50}` }) };
  });
}

// ---- the encode side ----------------------------------------------------------------------------

describe('compress(codec, bytes) round-trips', () => {
  const data = Buffer.from(events(3000, 'roundtrip').map((e) => e.value).join('\n')); // ~300 KB: several lz4/snappy blocks
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
    it(codec, () => {
      const packed = compress(codec, data);
      if (codec !== 'none') expect(packed.length).toBeLessThan(data.length / 2);
      expect(Buffer.compare(decompress(codec, packed), data)).toBe(0);
      expect(decompress(codec, compress(codec, new Uint8Array(0))).length).toBe(0);
    });
  }

  it('writes the frames Kafka clients read: LZ4 frame, xerial snappy stream, zstd frame, gzip member', () => {
    expect(compress('lz4', data).readUInt32LE(0)).toBe(0x184d2204);
    expect(compress('snappy', data).subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
    expect(compress('zstd', data).readUInt32LE(0)).toBe(0xfd2fb528);
    expect(compress('gzip', data).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(Buffer.compare(zstdDecompress(compress('zstd', data)), data)).toBe(0);
  });

  it('reads snappy both as librdkafka writes it (one raw block) and as the Java client does (xerial stream)', () => {
    // Under 32 KiB the xerial stream is one block: its 16-byte header, a length, then one raw snappy block.
    const small = data.subarray(0, 20_000), stream = compress('snappy', small);
    expect(stream.readInt32BE(16)).toBe(stream.length - 20);
    expect(Buffer.compare(decompress('snappy', stream.subarray(20)), small)).toBe(0);
  });

  it('rejects damaged input instead of returning it', () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
      const packed = Buffer.from(compress(codec, data));
      expect(() => decompress(codec, packed.subarray(0, packed.length >> 1)), codec).toThrow();
    }
  });
});

// ---- reading topics written by kcat -------------------------------------------------------------

const kcat = haveKcat();
let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); });

const session = Session.builder().appName('kafka-codecs-test').getOrCreate();
let queries = 0;

interface Row { key: Uint8Array | null; value: Uint8Array | null; partition: number; offset: bigint }

/** Reads `topic` from the beginning with an availableNow query into a memory table. */
async function readAll(topic: string, trigger: { availableNow: true } | { once: true } = { availableNow: true }): Promise<Row[]> {
  const name = `codecs_${++queries}`;
  const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
    .option('startingOffsets', 'earliest').load().select('key', 'value', 'partition', 'offset')
    .writeStream.format('memory').queryName(name).trigger(trigger).start();
  await q.awaitTermination();
  return session.table(name).collect() as unknown as Row[];
}

/** Each expected record exactly once: no loss, no duplicate, key and value intact, every (partition, offset) once. */
function expectExactlyOnce(rows: Row[], want: { key: string; value: string }[]): void {
  const text = (b: Uint8Array | null): string => Buffer.from(b!).toString('utf8');
  const got = rows.map((r) => `${text(r.key)}\t${text(r.value)}`).sort();
  expect(got.length).toBe(want.length);
  expect(got).toEqual(want.map((w) => `${w.key}\t${w.value}`).sort());
  expect(new Set(rows.map((r) => `${r.partition}:${r.offset}`)).size).toBe(want.length);
}

/** The compression type ids of the batches Kafka holds for partition 0 of `topic` (proof the topic is what kcat was asked for). */
async function batchCodecs(topic: string): Promise<Set<number>> {
  const client = new KafkaClient({ servers: broker.bootstrap.split(','), clientId: 'codec-check', requestTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
  try {
    await client.partitions([topic]);
    const ids = new Set<number>();
    // The broker answers a Fetch with some of the batches: fetch until the high watermark.
    for (let offset = 0, end = Infinity; offset < end;) {
      const [raw] = await client.fetchRaw([{ topic, partition: 0, offset }], 8 << 20, 8 << 20);
      end = raw!.highWatermark;
      for (let p = raw!.start; p + 61 <= raw!.end;) {
        const len = raw!.buf.readInt32BE(p + 8);
        if (p + 12 + len > raw!.end) break;
        ids.add(raw!.buf[p + 22]! & 0x07);
        offset = Number(raw!.buf.readBigInt64BE(p)) + raw!.buf.readInt32BE(p + 23) + 1; // base offset + last offset delta + 1
        p += 12 + len;
      }
    }
    return ids;
  } finally {
    await client.close();
  }
}

describe.skipIf(!kcat)('topics written by kcat -P -z <codec> are read, every record exactly once', () => {
  for (const codec of CODECS) {
    it(codec, async () => {
      const topic = uniqueTopic(`kcat-${codec}`);
      await broker.createTopic(topic, 3);
      const want = events(5000, codec);
      await kcatProduce(broker.bootstrap, topic, codec, want);
      expect([...await batchCodecs(topic)]).toEqual([CODEC_ID[codec]]);
      expectExactlyOnce(await readAll(topic), want);
    });
  }

  it('one topic holding batches of every codec, read with trigger once', async () => {
    const topic = uniqueTopic('kcat-mixed');
    await broker.createTopic(topic, 2);
    const want: { key: string; value: string }[] = [];
    for (const [i, codec] of CODECS.entries()) {
      const part = events(800, `mixed-${codec}`, i * 800);
      await kcatProduce(broker.bootstrap, topic, codec, part);
      want.push(...part);
    }
    expect(await batchCodecs(topic)).toEqual(new Set(Object.values(CODEC_ID)));
    expectExactlyOnce(await readAll(topic, { once: true }), want);
  });
});

it.skipIf(kcat)('kcat is missing: the interop tests above were skipped (node scripts/setup.mjs --test installs it)', () => {
  expect(kcat).toBe(false);
});

// ---- a corrupt compressed batch -----------------------------------------------------------------

/**
 * A damaged compressed batch held by the broker. kcat cannot write one, so kafkajs produces it
 * with a codec registered for this test process only, which compresses properly and then damages
 * the bytes: the batch is stored as a faulty producer would leave it (its CRC, computed by kafkajs
 * over the damaged bytes, is valid, so only decompression can notice). The query's own codecs are
 * the project's (codecs/compression.ts), not kafkajs's registry, so this does not reach them.
 */
async function produceCorruptBatch(topic: string, codec: 'lz4' | 'zstd' | 'snappy', damage: (b: Buffer) => Buffer, values: string[]): Promise<void> {
  const { CompressionCodecs } = createRequire(import.meta.url)('kafkajs') as {
    CompressionCodecs: Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
  };
  const type = { snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }[codec];
  const before = CompressionCodecs[type];
  CompressionCodecs[type] = () => ({
    compress: async (e) => damage(Buffer.from(compress(codec, e.buffer))),
    decompress: async () => { throw new Error('not used'); },
  });
  const producer = new Kafka({ clientId: 'corrupt-producer', brokers: broker.bootstrap.split(','), logLevel: logLevel.NOTHING })
    .producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, compression: type, messages: values.map((value) => ({ value, partition: 0 })) });
  } finally {
    await producer.disconnect();
    CompressionCodecs[type] = before!;
  }
}

describe('a compressed batch that cannot be decompressed fails the query, naming topic, partition and base offset', () => {
  const cases: { codec: 'lz4' | 'zstd' | 'snappy'; what: string; damage: (b: Buffer) => Buffer }[] = [
    { codec: 'lz4', what: 'a truncated LZ4 frame', damage: (b) => b.subarray(0, b.length - 40) },
    { codec: 'zstd', what: 'zstd bytes overwritten mid-frame', damage: (b) => { const c = Buffer.from(b); c.fill(0xff, c.length >> 2, c.length >> 1); return c; } },
    { codec: 'snappy', what: 'a snappy block whose length runs past the batch', damage: (b) => { const c = Buffer.from(b); c.writeInt32BE(1 << 30, 16); return c; } },
  ];
  for (const { codec, what, damage } of cases) {
    it(`${codec}: ${what}`, async () => {
      const topic = uniqueTopic(`corrupt-${codec}`);
      await broker.createTopic(topic, 1);
      await produce(broker.bootstrap, topic, events(10, 'before').map((e) => ({ value: e.value, partition: 0 }))); // offsets 0..9
      await produceCorruptBatch(topic, codec, damage, events(5, 'corrupt').map((e) => e.value)); // offsets 10..14
      await produce(broker.bootstrap, topic, events(10, 'after').map((e) => ({ value: e.value, partition: 0 }))); // offsets 15..24
      const err = await readAll(topic).then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(SourceError);
      expect(err!.message).toContain(`Kafka topic '${topic}' partition 0`);
      expect(err!.message).toContain(`${codec}-compressed record batch at base offset 10 (offsets 10 to 14) cannot be decompressed`);
      expect(err!.message).toContain('does not skip it');
      expect(err!.message).toContain(`startingOffsets {"${topic}":{"0":15}}`);
    });
  }
});

describe.skipIf(!kcat)('a compressed batch damaged after it was written (its CRC-32C no longer matches)', () => {
  // The broker stores what a producer sends, and no client here sends a batch with a wrong CRC, so
  // this takes the exact bytes of a batch kcat wrote, as the broker returns them, damages one byte of
  // the compressed records in the copy, and gives it to the Fetch decoder (protocol.ts) the source uses.
  for (const codec of ['lz4', 'snappy', 'zstd', 'gzip'] as const) {
    it(`${codec}: fails with CorruptBatchError naming the batch, before decompressing`, async () => {
      const topic = uniqueTopic(`crc-${codec}`);
      await broker.createTopic(topic, 1);
      // One batch of 200: with the default 20 ms linger a busy machine split them, and the mock's Fetch answer held only the first batch.
      await kcatProduce(broker.bootstrap, topic, codec, events(200, 'crc'), ['-X', 'linger.ms=500']);
      const client = new KafkaClient({ servers: broker.bootstrap.split(','), clientId: 'crc-check', requestTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
      let raw;
      try {
        await client.partitions([topic]);
        [raw] = await client.fetchRaw([{ topic, partition: 0, offset: 0 }], 8 << 20, 8 << 20);
      } finally {
        await client.close();
      }
      const bytes = Buffer.from(raw!.buf.subarray(raw!.start, raw!.end));
      const range = { partition: 0, from: 0, to: 200, abortedTransactions: null };
      // Intact, the bytes decode to all 200 records.
      const ok = new RecordColumns(200, bytes.length);
      ok.beginTopic(topic);
      await decodeRecordSet(bytes, 0, bytes.length, range, ok, codecFor);
      expect(ok.length).toBe(200);
      const lastOffset = bytes.readInt32BE(23);
      bytes[61 + ((bytes.readInt32BE(8) + 12 - 61) >> 1)]! ^= 0x10; // one bit in the middle of the first batch's compressed records
      const out = new RecordColumns(200, bytes.length);
      out.beginTopic(topic);
      const err = await Promise.resolve().then(() => decodeRecordSet(bytes, 0, bytes.length, range, out, codecFor)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptBatchError);
      expect((err as CorruptBatchError).message).toContain(`${codec}-compressed record batch at base offset 0 (offsets 0 to ${lastOffset}) cannot be decompressed: its CRC-32C is`);
    });
  }
});
