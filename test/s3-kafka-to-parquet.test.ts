// The foundation's end-to-end test with the checkpoint and the output on S3 (s3rver, or a real
// bucket given SLUICE_TEST_S3_*): Kafka -> from_json -> filter -> Parquet, availableNow, a restart
// that adds only new rows; and partition values that try to leave the output prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startS3, downloadParquet, listKeys, readText, splitS3, type TestS3 } from './support/s3.ts';
import { duckQuery } from './support/duck.ts';
import { Session, MemoryStream, col, from_json, types as T } from '../src/index.ts';

let broker: TestBroker;
let s3: TestS3;
let session: Session;
beforeAll(async () => {
  [broker, s3] = await Promise.all([startBroker(), startS3()]);
  const b = Session.builder().appName('s3-kafka-to-parquet-test');
  for (const [k, v] of Object.entries(s3.conf())) b.config(k, v);
  session = b.getOrCreate();
});
afterAll(async () => { await Promise.all([broker?.stop(), s3?.stop()]); });

const schema = T.struct({ id: T.long, user_id: T.string, amount: T.double, type: T.string, event_time: T.timestamp });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const purchases = (ids: number[]): number[] => ids.filter((id) => id % 3 !== 0);
const event = (id: number): { key: string; value: string } => ({
  key: `u${id % 13}`,
  value: JSON.stringify({ id, user_id: `u${id % 13}`, amount: (id % 100) + 0.25, type: id % 3 === 0 ? 'view' : 'purchase', event_time: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString() }),
});

async function runToEnd(topic: string, cp: string, out: string) {
  const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
    .select(from_json(col('value').cast('string'), schema).alias('data')).select('data.*')
    .filter(col('type').equalTo('purchase'))
    .select('id', 'user_id', 'amount', 'event_time')
    .writeStream.format('parquet').option('checkpointLocation', cp).trigger({ availableNow: true }).start(out);
  await q.awaitTermination();
  return q;
}

/** What a reader of the bucket sees: every *.parquet object under `out`, read by DuckDB. */
async function outputIds(out: string): Promise<number[]> {
  const dir = await downloadParquet(s3, out);
  return (await duckQuery(`SELECT id FROM read_parquet('${dir}/**/*.parquet') ORDER BY id`)).map((r) => Number(r.id));
}

describe('Kafka -> Parquet with checkpoint and output on S3', () => {
  it('writes exactly the expected rows, and the checkpoint layout of DESIGN §5', async () => {
    const topic = uniqueTopic('s3e2e');
    await broker.createTopic(topic, 4);
    await produce(broker.bootstrap, topic, range(0, 3000).map(event));
    const cp = s3.prefix('cp'), out = s3.prefix('out');
    const q = await runToEnd(topic, cp, out);
    const want = purchases(range(0, 3000));
    const dir = await downloadParquet(s3, out);
    const rows = await duckQuery(`SELECT id, user_id, amount, event_time FROM read_parquet('${dir}/**/*.parquet') ORDER BY id`);
    expect(rows.map((r) => Number(r.id))).toEqual(want);
    expect(rows[0]).toEqual({ id: 1n, user_id: 'u1', amount: 1.25, event_time: new Date(Date.UTC(2024, 0, 1) + 1000) });
    expect(q.lastProgress?.sink.numOutputRows).toBe(want.length);
    expect(q.lastProgress?.sink.description).toBe(`FileSink[${out}]`);
    expect(q.lastProgress?.numInputRows).toBe(3000);

    const offsets = (await readText(s3, `${cp}/offsets/0`))!.split('\n');
    expect(offsets[0]).toBe('v1');
    expect(JSON.parse(offsets[2]!)).toEqual({ [topic]: { 0: expect.any(Number), 1: expect.any(Number), 2: expect.any(Number), 3: expect.any(Number) } });
    expect(await readText(s3, `${cp}/commits/0`)).toMatch(/^v1\n{"nextBatchWatermarkMs":0,"commitTimestampMs":\d{13}}$/);
    expect(JSON.parse((await readText(s3, `${cp}/metadata`))!).id).toBe(q.id);
    const cpKey = splitS3(cp).key, outKey = splitS3(out).key;
    expect(await listKeys(s3, cp)).toEqual([`${cpKey}/commits/0`, `${cpKey}/metadata`, `${cpKey}/offsets/0`, `${cpKey}/sources/0/0`]);
    const outKeys = await listKeys(s3, out);
    expect(outKeys).toContain(`${outKey}/_sluice_log/0`);
    // Nothing but the data files and the log: no temp objects on S3.
    expect(outKeys.filter((k) => !k.endsWith('.parquet') && !k.startsWith(`${outKey}/_sluice_log/`))).toEqual([]);
  });

  it('continues from the checkpoint: a restart adds only the new rows', async () => {
    const topic = uniqueTopic('s3restart');
    await broker.createTopic(topic, 3);
    await produce(broker.bootstrap, topic, range(0, 1000).map(event));
    const cp = s3.prefix('cp'), out = s3.prefix('out');
    const first = await runToEnd(topic, cp, out);
    expect(await outputIds(out)).toEqual(purchases(range(0, 1000)));
    await runToEnd(topic, cp, out);
    expect((await listKeys(s3, `${cp}/commits`)).map((k) => k.split('/').pop())).toEqual(['0']);
    await produce(broker.bootstrap, topic, range(1000, 1600).map(event));
    const second = await runToEnd(topic, cp, out);
    expect(second.id).toBe(first.id);
    expect(second.runId).not.toBe(first.runId);
    expect(second.lastProgress?.numInputRows).toBe(600);
    expect(await outputIds(out)).toEqual(purchases(range(0, 1600)));
  });
});

describe('partition values cannot leave the output prefix on S3', () => {
  it("'/', '..', '%' and '=' in values stay below <path>/ and read back unchanged", async () => {
    const values = ['../../escape', '..', '.', 'a/b', '/abs', '%2F..%2F', '100%', 'k=v', 'x/../../../y', 'plain'];
    const cp = s3.prefix('part-cp'), out = s3.prefix('part-out');
    const before = new Set(await listKeys(s3, `s3://${s3.bucket}`));
    const stream = new MemoryStream(session, T.struct({ id: T.long, p: T.string }));
    stream.addData(values.map((p, i) => ({ id: BigInt(i), p })));
    const q = await stream.toDF().writeStream.format('parquet').option('checkpointLocation', cp).partitionBy('p').start(out);
    await q.processAllAvailable();
    await q.stop();
    const created = (await listKeys(s3, `s3://${s3.bucket}`)).filter((k) => !before.has(k));
    const outKey = splitS3(out).key, cpKey = splitS3(cp).key;
    expect(created.filter((k) => k.endsWith('.parquet')).length).toBe(values.length);
    for (const k of created) {
      expect(k.startsWith(`${outKey}/`) || k.startsWith(`${cpKey}/`), `${k} is outside ${outKey}/`).toBe(true);
      // Each data file is exactly <out>/p=<one segment>/part-*.parquet.
      if (k.endsWith('.parquet')) expect(k.slice(outKey.length + 1)).toMatch(/^p=[^/]+\/part-0-\d+\.parquet$/);
    }
    const dir = await downloadParquet(s3, out);
    const rows = await duckQuery(`SELECT id, p FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) ORDER BY id`);
    expect(rows.map((r) => r.p)).toEqual(values);
  });
});
