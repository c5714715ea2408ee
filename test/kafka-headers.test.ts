// The Kafka source's includeHeaders (issue 11 item 3): Spark's `headers` column,
// array<struct<key: string, value: binary>>, decoded from records kcat wrote with -H. Checked: the
// decoded keys and values, a header with a null value (kcat -H name, no '='), several headers with
// the same key in their order, a record without headers as a null array (Spark's
// KafkaRecordToRowConverter), compressed batches, and the column through Parquet into DuckDB.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, OptionError, size, element_at, explode, col } from '../src/index.ts';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatProduce, type KcatCodec } from './support/kcat.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const kcat = haveKcat();
let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

const session = Session.builder().appName('kafka-headers-test').getOrCreate();
let queries = 0;

type Header = { key: string; value: Uint8Array | null };
interface Row { value: Uint8Array; offset: bigint; headers: Header[] | null }

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));
const HEADERS = ['-H', 'trace=abc-123', '-H', 'dup=first', '-H', 'nullh', '-H', 'dup=second', '-H', 'empty=', '-H', 'dup=third'];

function reader(topic: string, includeHeaders?: string) {
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  if (includeHeaders !== undefined) r = r.option('includeHeaders', includeHeaders);
  return r.load();
}

async function readAll(topic: string): Promise<Row[]> {
  const name = `headers_${++queries}`;
  const q = await reader(topic, 'true').select('value', 'offset', 'headers')
    .writeStream.format('memory').queryName(name).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  return (session.table(name).collect() as unknown as Row[]).sort((a, b) => Number(a.offset - b.offset));
}

describe.skipIf(!kcat)('includeHeaders=true: the headers column from records kcat wrote with -H', () => {
  for (const codec of ['none', 'lz4'] as KcatCodec[]) {
    it(`decodes keys, values, a null value and repeated keys in order (${codec})`, async () => {
      const topic = uniqueTopic(`headers-${codec}`);
      await broker.createTopic(topic, 1);
      await kcatProduce(broker.bootstrap, topic, codec, [{ value: 'with-1' }, { value: 'with-2' }], HEADERS);
      await kcatProduce(broker.bootstrap, topic, codec, [{ value: 'without' }]);
      const rows = await readAll(topic);
      expect(rows.map((r) => text(r.value))).toEqual(['with-1', 'with-2', 'without']);
      for (const r of rows.slice(0, 2)) {
        expect(r.headers!.map((h) => [h.key, text(h.value)])).toEqual([
          ['trace', 'abc-123'], ['dup', 'first'], ['nullh', null], ['dup', 'second'], ['empty', ''], ['dup', 'third'],
        ]);
      }
      // Spark gives null, not [], for a record without headers.
      expect(rows[2]!.headers).toBeNull();
    }, 60_000);
  }

  it('are queryable as an array of structs: size, element_at, explode and field access', async () => {
    const topic = uniqueTopic('headers-fns');
    await broker.createTopic(topic, 1);
    await kcatProduce(broker.bootstrap, topic, 'none', [{ value: 'v' }], HEADERS);
    const name = `headers_${++queries}`;
    const q = await reader(topic, 'true')
      .select(size(col('headers')).alias('n'), element_at(col('headers'), -1).getField('key').alias('last_key'))
      .writeStream.format('memory').queryName(name).trigger({ availableNow: true }).start();
    await q.awaitTermination();
    expect(session.table(name).collect()).toEqual([{ n: 6, last_key: 'dup' }]);
    const exploded = `headers_${++queries}`;
    const q2 = await reader(topic, 'true').select(explode('headers').alias('h')).select(col('h.key').alias('k'), col('h.value').cast('string').alias('v'))
      .writeStream.format('memory').queryName(exploded).trigger({ availableNow: true }).start();
    await q2.awaitTermination();
    expect(session.table(exploded).collect()).toEqual([
      { k: 'trace', v: 'abc-123' }, { k: 'dup', v: 'first' }, { k: 'nullh', v: null }, { k: 'dup', v: 'second' }, { k: 'empty', v: '' }, { k: 'dup', v: 'third' },
    ]);
  }, 60_000);

  it('writes the column to Parquet, which DuckDB reads as STRUCT(key VARCHAR, value BLOB)[]', async () => {
    const topic = uniqueTopic('headers-parquet');
    await broker.createTopic(topic, 1);
    await kcatProduce(broker.bootstrap, topic, 'none', [{ value: 'a' }], HEADERS);
    await kcatProduce(broker.bootstrap, topic, 'none', [{ value: 'b' }]);
    const dir = tmpDir('headers-parquet');
    const q = await reader(topic, 'true').select('value', 'headers').writeStream.format('parquet')
      .option('checkpointLocation', `${dir}/cp`).trigger({ availableNow: true }).start(`${dir}/out`);
    await q.awaitTermination();
    expect(readdirSync(`${dir}/out`).some((f) => f.endsWith('.parquet'))).toBe(true);
    const got = await duckQuery(`SELECT CAST(value AS VARCHAR) v, typeof(headers) t, len(headers) n, headers[2].key k2,
      CAST(headers[2].value AS VARCHAR) v2, headers[3].value IS NULL null3, [h.key FOR h IN headers] keys
      FROM read_parquet('${dir}/out/*.parquet') ORDER BY v`);
    expect(got).toEqual([
      { v: 'a', t: 'STRUCT("key" VARCHAR, "value" BLOB)[]', n: 6n, k2: 'dup', v2: 'first', null3: true, keys: ['trace', 'dup', 'nullh', 'dup', 'empty', 'dup'] },
      { v: 'b', t: 'STRUCT("key" VARCHAR, "value" BLOB)[]', n: null, k2: null, v2: null, null3: true, keys: null },
    ]);
  }, 60_000);
});

describe('includeHeaders option', () => {
  it('is off by default: the schema is Spark\'s seven columns; on, headers comes last', () => {
    const off = reader('any-topic').columns, on = reader('any-topic', 'TRUE').columns;
    expect(off).toEqual(['key', 'value', 'topic', 'partition', 'offset', 'timestamp', 'timestampType']);
    expect(on).toEqual([...off, 'headers']);
  });

  it('rejects a value other than true or false, naming the option', () => {
    expect(() => reader('any-topic', 'yes')).toThrow(OptionError);
    expect(() => reader('any-topic', 'yes')).toThrow(/includeHeaders' must be true or false, got 'yes'/);
  });
});
