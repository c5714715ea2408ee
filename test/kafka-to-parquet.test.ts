// The foundation's end-to-end test: Kafka -> from_json -> filter -> select -> Parquet.
// The cases about where the checkpoint and the output live run twice, with both on local disk and
// both on S3 (s3rver, or a real bucket given SLUICE_TEST_S3_*); the Kafka source and the user
// errors run on local disk; partition values that try to leave the output prefix, on S3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startS3, downloadParquet, listKeys, splitS3, type TestS3 } from './support/s3.ts';
import { localTestStorage, s3TestStorage, type TestStorage } from './support/storage.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';
import { Session, MemoryStream, col, from_json, types as T, OptionError, AnalysisError, DataError, SourceError, CheckpointError } from '../src/index.ts';

let broker: TestBroker;
let s3: TestS3;
let session: Session;
beforeAll(async () => {
  [broker, s3] = await Promise.all([startBroker({ retentionMiB: 1 }), startS3()]);
  // One session per process: it reaches the test S3, and local paths as any session does.
  const b = Session.builder().appName('kafka-to-parquet-test');
  for (const [k, v] of Object.entries(s3.conf())) b.config(k, v);
  session = b.getOrCreate();
});
afterAll(async () => { await Promise.all([broker?.stop(), s3?.stop()]); });

const storages: Record<'local' | 's3', TestStorage> = { local: localTestStorage, s3: s3TestStorage(() => s3) };
const schema = T.struct({ id: T.long, user_id: T.string, amount: T.double, type: T.string, event_time: T.timestamp });

function event(id: number): { key: string; value: string } {
  return {
    key: `u${id % 13}`,
    value: JSON.stringify({ id, user_id: `u${id % 13}`, amount: (id % 100) + 0.25, type: id % 3 === 0 ? 'view' : 'purchase', event_time: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString() }),
  };
}
const purchases = (ids: number[]): number[] => ids.filter((id) => id % 3 !== 0);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function query(topic: string, extra: Record<string, string> = {}, mode: 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST' = 'PERMISSIVE') {
  let reader = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  for (const [k, v] of Object.entries(extra)) reader = reader.option(k, v);
  return reader.load()
    .select(from_json(col('value').cast('string'), schema, { mode }).alias('data'))
    .select('data.*')
    .filter(col('type').equalTo('purchase'))
    .select('id', 'user_id', 'amount', 'event_time');
}

async function runToEnd(topic: string, cp: string, out: string, extra: Record<string, string> = {}) {
  const q = await query(topic, extra).writeStream.format('parquet').option('checkpointLocation', cp).trigger({ availableNow: true }).start(out);
  await q.awaitTermination();
  return q;
}

/** The ids a reader of `out` sees: every *.parquet file under it, read by DuckDB. */
async function outputIds(out: string, storage: TestStorage = localTestStorage): Promise<number[]> {
  const rows = await duckQuery(`SELECT id FROM read_parquet('${await storage.parquetDir(out)}/**/*.parquet') ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

describe.each(['local', 's3'] as const)('Kafka -> from_json -> filter -> select -> Parquet, checkpoint and output on %s', (where) => {
  const storage = (): TestStorage => storages[where];

  it('writes exactly the expected rows, readable by DuckDB, and the checkpoint layout of DESIGN §5', async () => {
    const st = storage();
    const topic = uniqueTopic(`${where}-e2e`);
    await broker.createTopic(topic, 4);
    await produce(broker.bootstrap, topic, range(0, 3000).map(event));
    const cp = st.path('cp'), out = st.path('out');
    const q = await runToEnd(topic, cp, out);
    const rows = await duckQuery(`SELECT id, user_id, amount, event_time FROM read_parquet('${await st.parquetDir(out)}/**/*.parquet') ORDER BY id`);
    const want = purchases(range(0, 3000));
    expect(rows.map((r) => Number(r.id))).toEqual(want);
    expect(rows[0]).toEqual({ id: 1n, user_id: 'u1', amount: 1.25, event_time: new Date(Date.UTC(2024, 0, 1) + 1000) });
    expect(q.lastProgress?.sink.numOutputRows).toBe(want.length);
    expect(q.lastProgress?.sink.description).toBe(`FileSink[${out}]`);
    expect(q.lastProgress?.numInputRows).toBe(3000);
    expect(q.recentProgress.length).toBe(1);
    // The checkpoint has the layout of DESIGN §5.
    const offsets = (await st.readText(`${cp}/offsets/0`))!.split('\n');
    expect(offsets[0]).toBe('v1');
    expect(JSON.parse(offsets[2]!)).toEqual({ [topic]: { 0: expect.any(Number), 1: expect.any(Number), 2: expect.any(Number), 3: expect.any(Number) } });
    expect(await st.readText(`${cp}/commits/0`)).toMatch(/^v1\n{"nextBatchWatermarkMs":0,"commitTimestampMs":\d{13}}$/);
    expect(JSON.parse((await st.readText(`${cp}/metadata`))!).id).toBe(q.id);
    expect(await st.list(cp)).toEqual(['commits/0', 'metadata', 'offsets/0', 'sources/0/0']);
    const outFiles = await st.list(out);
    expect(outFiles).toContain('_sluice_log/0');
    // Nothing but the data files and the log: no temporary files left behind.
    expect(outFiles.filter((f) => !f.endsWith('.parquet') && !f.startsWith('_sluice_log/'))).toEqual([]);
  });

  it('continues from the checkpoint: a restart adds only the new rows', async () => {
    const st = storage();
    const topic = uniqueTopic(`${where}-restart`);
    await broker.createTopic(topic, 3);
    await produce(broker.bootstrap, topic, range(0, 1000).map(event));
    const cp = st.path('cp'), out = st.path('out');
    const first = await runToEnd(topic, cp, out);
    expect(await outputIds(out, st)).toEqual(purchases(range(0, 1000)));
    // Nothing new: another run adds no batch.
    await runToEnd(topic, cp, out);
    expect(await st.list(`${cp}/commits`)).toEqual(['0']);
    await produce(broker.bootstrap, topic, range(1000, 1600).map(event));
    const second = await runToEnd(topic, cp, out);
    expect(second.id).toBe(first.id);
    expect(second.runId).not.toBe(first.runId);
    expect(second.lastProgress?.numInputRows).toBe(600);
    expect(await outputIds(out, st)).toEqual(purchases(range(0, 1600)));
  });
});

describe('Kafka -> from_json -> filter -> select -> Parquet: batches, malformed records, lost offsets (local disk)', () => {
  it('maxOffsetsPerTrigger splits a backlog into batches, as offsets/<N> shows', async () => {
    const topic = uniqueTopic('limit');
    await broker.createTopic(topic, 2);
    await produce(broker.bootstrap, topic, range(0, 1000).map(event));
    const cp = tmpDir('cp'), out = tmpDir('out');
    const q = await runToEnd(topic, cp, out, { maxOffsetsPerTrigger: '300' });
    const batches = readdirSync(path.join(cp, 'offsets')).map(Number).sort((a, b) => a - b);
    expect(batches).toEqual([0, 1, 2, 3]);
    const totals = batches.map((n) => {
      const o = JSON.parse(readFileSync(path.join(cp, 'offsets', String(n)), 'utf8').split('\n')[2]!)[topic] as Record<string, number>;
      return Object.values(o).reduce((a, b) => a + b, 0);
    });
    expect(totals).toEqual([300, 600, 900, 1000]);
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([300, 300, 300, 100]);
    // latestOffset is what Kafka had, endOffset what the batch read.
    const total = (o: unknown): number => Object.values((o as Record<string, Record<string, number>>)[topic]!).reduce((a, b) => a + b, 0);
    expect(q.recentProgress.map((p) => [total(p.sources[0]!.endOffset), total(p.sources[0]!.latestOffset)])).toEqual([[300, 1000], [600, 1000], [900, 1000], [1000, 1000]]);
    expect(await outputIds(out)).toEqual(purchases(range(0, 1000)));
  });

  it('survives malformed JSON under each from_json mode', async () => {
    const topic = uniqueTopic('bad');
    await broker.createTopic(topic, 1);
    const msgs = range(0, 300).map(event);
    msgs.splice(100, 0, { key: 'x', value: '{"id": 9999, "user_id": "broken"' });
    msgs.splice(200, 0, { key: 'x', value: 'not json at all' });
    msgs.push({ key: 'x', value: '{"id":"not a number","user_id":"u","amount":1,"type":"purchase"}' });
    await produce(broker.bootstrap, topic, msgs);
    const good = purchases(range(0, 300));

    // PERMISSIVE: the bad records become null rows (filtered out by type == purchase), the wrong-typed field null.
    const outP = tmpDir('out');
    const qp = await query(topic, {}, 'PERMISSIVE').writeStream.format('parquet').option('checkpointLocation', tmpDir('cp')).trigger({ availableNow: true }).start(outP);
    await qp.awaitTermination();
    const permissive = await duckQuery(`SELECT id FROM read_parquet('${outP}/**/*.parquet') ORDER BY id NULLS LAST`);
    expect(permissive.map((r) => (r.id === null ? null : Number(r.id)))).toEqual([...good, null]);

    // DROPMALFORMED: dropped and counted; good rows all there.
    const outD = tmpDir('out');
    const qd = await query(topic, {}, 'DROPMALFORMED').writeStream.format('parquet').option('checkpointLocation', tmpDir('cp')).trigger({ availableNow: true }).start(outD);
    await qd.awaitTermination();
    // The record with a wrong-typed id is valid JSON: kept, with a null id (DESIGN §9).
    expect((await outputIds(outD)).slice(0, -1)).toEqual(good);
    expect(await duckQuery(`SELECT count(*) AS n FROM read_parquet('${outD}/**/*.parquet') WHERE id IS NULL`)).toEqual([{ n: 1n }]);
    expect(qd.lastProgress?.numMalformedRowsDropped).toBe(2);

    // FAILFAST: stops, naming topic, partition and offset of the first bad record.
    const qf = await query(topic, {}, 'FAILFAST').writeStream.format('parquet').option('checkpointLocation', tmpDir('cp')).trigger({ availableNow: true }).start(tmpDir('out'));
    const err = await qf.awaitTermination().then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DataError);
    expect(err!.message).toContain(`topic '${topic}' partition 0 offset 100`);
    expect(err!.message).toContain('FAILFAST');
    expect(qf.exception()).toBe(err);
  });

  it('detects offsets that Kafka no longer has (failOnDataLoss)', async () => {
    const topic = uniqueTopic('loss');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, range(0, 100).map(event));
    const cpFail = tmpDir('cp'), cpGo = tmpDir('cp'), outGo = tmpDir('out');
    await runToEnd(topic, cpFail, tmpDir('out'));
    await runToEnd(topic, cpGo, outGo, { failOnDataLoss: 'false' });
    // The broker keeps 1 MiB per partition: ~3 MiB more pushes the first records out.
    const big = 'x'.repeat(2000);
    // Small produce calls: the mock drops whole record batches, and one larger than the retention would take everything.
    for (let k = 0; k < 36; k++) await produce(broker.bootstrap, topic, range(0, 50).map((i) => ({ key: 'p', value: JSON.stringify({ id: 100000 + k * 50 + i, type: 'purchase', pad: big }) })));
    const err = await runToEnd(topic, cpFail, tmpDir('out')).then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DataError);
    expect(err!.message).toMatch(new RegExp(`Topic '${topic}' partition 0: offsets 100 to \\d+ \\(range \\[100, \\d+\\)\\) are no longer in Kafka`));
    expect(err!.message).toContain('failOnDataLoss');

    const q = await runToEnd(topic, cpGo, outGo, { failOnDataLoss: 'false' });
    expect(q.recentProgress[0]!.warnings.join()).toMatch(/are no longer in Kafka/);
    const ids = await outputIds(outGo);
    expect(ids.filter((i) => i < 100)).toEqual(purchases(range(0, 100)));
    expect(ids.filter((i) => i >= 100000).length).toBeGreaterThan(0);
    expect(ids.filter((i) => i >= 100000).at(-1)).toBe(100000 + 36 * 50 - 1);
  });

  it('a topic whose offsets went back (deleted and recreated) is data loss, not a silent skip', async () => {
    // The query's checkpoint ends at offset 60; the "recreated" topic (on a fresh broker, same name) has 10 records.
    const topic = uniqueTopic('recreated');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, range(0, 60).map(event));
    const cpFail = tmpDir('cp'), cpGo = tmpDir('cp'), outGo = tmpDir('out');
    await runToEnd(topic, cpFail, tmpDir('out'));
    await runToEnd(topic, cpGo, outGo, { failOnDataLoss: 'false' });
    const fresh = await startBroker();
    try {
      await fresh.createTopic(topic, 1);
      await produce(fresh.bootstrap, topic, range(1000, 1010).map(event));
      const err = await runToEnd(topic, cpFail, tmpDir('out'), { 'kafka.bootstrap.servers': fresh.bootstrap }).then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(DataError);
      expect(err!.message).toContain(`Topic '${topic}' partition 0: offset 10 is below the previous 60`);
      expect(err!.message).toContain('failOnDataLoss');
      // failOnDataLoss=false: reported, and the partition goes on from its new position.
      const q = await runToEnd(topic, cpGo, outGo, { failOnDataLoss: 'false', 'kafka.bootstrap.servers': fresh.bootstrap });
      expect(q.recentProgress[0]!.warnings.join()).toMatch(/offset 10 is below the previous 60/);
      await produce(fresh.bootstrap, topic, range(1010, 1020).map(event));
      await runToEnd(topic, cpGo, outGo, { failOnDataLoss: 'false', 'kafka.bootstrap.servers': fresh.bootstrap });
      const ids = await outputIds(outGo);
      expect(ids).toEqual(purchases([...range(0, 60), ...range(1010, 1020)]));
    } finally {
      await fresh.stop();
    }
  });
});

describe('Kafka source options', () => {
  it('subscribe to a comma list, assign partitions, and start from JSON offsets', async () => {
    const a = uniqueTopic('a'), b = uniqueTopic('b');
    await broker.createTopic(a, 2);
    await broker.createTopic(b, 2);
    await produce(broker.bootstrap, a, range(0, 100).map((i) => ({ ...event(i), partition: i % 2 })));
    await produce(broker.bootstrap, b, range(100, 200).map((i) => ({ ...event(i), partition: i % 2 })));
    const ids = async (opts: Record<string, string>) => {
      let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('startingOffsets', 'earliest');
      for (const [k, v] of Object.entries(opts)) r = r.option(k, v);
      const name = `opt${Math.random().toString(36).slice(2)}`;
      const q = await r.load().select(from_json(col('value').cast('string'), schema).alias('d'), 'topic', 'partition', 'offset').select('d.id', 'topic', 'partition', 'offset')
        .writeStream.format('memory').queryName(name).trigger({ availableNow: true }).start();
      await q.awaitTermination();
      return session.table(name).collect().map((x) => Number(x.id)).sort((x, y) => x - y);
    };
    expect(await ids({ subscribe: `${a}, ${b}` })).toEqual(range(0, 200));
    expect(await ids({ assign: JSON.stringify({ [a]: [1], [b]: [0] }) })).toEqual([...range(0, 100).filter((i) => i % 2 === 1), ...range(100, 200).filter((i) => i % 2 === 0)]);
    // -2 = earliest, -1 = latest; partition 0 of a from its 40th record (id 80).
    expect(await ids({ subscribe: a, startingOffsets: JSON.stringify({ [a]: { 0: 40, 1: -1 } }) })).toEqual(range(80, 100).filter((i) => i % 2 === 0));
    expect(await ids({ subscribe: a, startingOffsets: 'latest' })).toEqual([]);
    await expect(ids({ subscribe: a, startingOffsets: JSON.stringify({ [a]: { 0: 1 } }) })).rejects.toThrow(/gives no offset for topic '.*' partition 1/);
  });

  it('rejects bad option values', () => {
    const load = (opts: Record<string, string>) => () => {
      let r = session.readStream.format('kafka');
      for (const [k, v] of Object.entries(opts)) r = r.option(k, v);
      return r.load();
    };
    expect(load({ subscribe: 't' })).toThrow(/needs option 'kafka.bootstrap.servers'/);
    expect(load({ 'kafka.bootstrap.servers': 'h:1' })).toThrow(/exactly one of 'subscribe', 'subscribePattern' or 'assign'/);
    expect(load({ 'kafka.bootstrap.servers': 'h:1', subscribe: 't', startingOffsets: 'first' })).toThrow(/'startingOffsets' must be 'earliest', 'latest' or JSON/);
    expect(load({ 'kafka.bootstrap.servers': 'h:1', subscribe: 't', maxOffsetsPerTrigger: '-5' })).toThrow(/'maxOffsetsPerTrigger' must be a positive whole number, got '-5'/);
    expect(load({ 'kafka.bootstrap.servers': 'h:1', assign: '{"t":[0,' })).toThrow(/'assign' is not valid JSON/);
    expect(load({ 'kafka.bootstrap.servers': 'h:1', subscribe: 't', failOnDataLoss: 'maybe' })).toThrow(/'failOnDataLoss' must be true or false/);
  });
});

describe('user errors are clear', () => {
  it('a missing checkpointLocation', async () => {
    const topic = uniqueTopic('err');
    await broker.createTopic(topic, 1);
    await expect(query(topic).writeStream.format('parquet').start(tmpDir('out'))).rejects.toThrow(OptionError);
    await expect(query(topic).writeStream.format('parquet').start(tmpDir('out'))).rejects.toThrow(/checkpointLocation must be specified.*\.option\('checkpointLocation'/);
  });

  it('an unknown option, on the source and on the sink', () => {
    expect(() => session.readStream.format('kafka').option('kafka.bootstrap.servers', 'x:1').option('subscribe', 't').option('startingOffset', 'earliest').load())
      .toThrow(/Unknown option 'startingOffset' for the kafka source\. Its options are: .*startingOffsets/);
    return expect(query('t').writeStream.format('parquet').option('checkpointLocation', tmpDir('cp')).option('compresion', 'zstd').start(tmpDir('out')))
      .rejects.toThrow(/Unknown option 'compresion' for the parquet sink\. Its options are: .*compression/);
  });

  it('an unknown column lists the available columns', async () => {
    const df = session.readStream.format('kafka').option('kafka.bootstrap.servers', 'x:1').option('subscribe', 't').load()
      .select(from_json(col('value').cast('string'), schema).alias('data')).select('data.*');
    await expect(df.filter(col('usr_id').equalTo('u1')).writeStream.format('memory').queryName('x').start())
      .rejects.toThrow(new AnalysisError(`Cannot resolve column 'usr_id'. Available columns: id, user_id, amount, type, event_time.`));
    expect(() => df.select('data.nope').schema).toThrow(/Cannot resolve column 'data.nope'/);
    expect(() => df.filter(col('amount').plus(col('user_id')).gt(1)).schema).toThrow(/Arithmetic \(amount \+ user_id\) needs numbers: 'amount' is double, 'user_id' is string/);
  });

  it('an unreachable broker fails after a bounded retry, naming the servers', async () => {
    const started = Date.now();
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('subscribe', 'orders').load()
      .writeStream.format('parquet').option('checkpointLocation', tmpDir('cp')).trigger({ availableNow: true }).start(tmpDir('out'));
    const err = await q.awaitTermination().then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SourceError);
    expect(err!.message).toContain('127.0.0.1:1');
    expect(err!.message).toContain('kafka.bootstrap.servers');
    expect(Date.now() - started).toBeLessThan(30000);
  });

  it('a restart while the broker is down waits for it: the checkpoint shows the address was right', async () => {
    const topic = uniqueTopic('outage');
    await broker.createTopic(topic, 2);
    await produce(broker.bootstrap, topic, range(0, 50).map(event));
    const cp = tmpDir('cp'), out = tmpDir('out');
    await runToEnd(topic, cp, out);
    await produce(broker.bootstrap, topic, range(50, 100).map(event));
    expect(await broker.command('down 1')).toBe('ok');
    try {
      const q = await query(topic).writeStream.format('parquet').option('checkpointLocation', cp).trigger({ availableNow: true }).start(out);
      await new Promise((r) => setTimeout(r, 1500));
      expect(q.isActive).toBe(true); // a new checkpoint would have failed by now (the test above)
      expect(await broker.command('up 1')).toBe('ok');
      await q.awaitTermination();
    } finally {
      await broker.command('up 1');
    }
    expect(await outputIds(out)).toEqual(purchases(range(0, 100)));
  });

  it('a second query on the same checkpoint is refused', async () => {
    const topic = uniqueTopic('twice');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, range(0, 10).map(event));
    const cp = tmpDir('cp');
    const q1 = await query(topic).writeStream.format('parquet').option('checkpointLocation', cp).start(tmpDir('out'));
    await expect(query(topic).writeStream.format('parquet').option('checkpointLocation', cp).start(tmpDir('out'))).rejects.toThrow(CheckpointError);
    await q1.processAllAvailable();
    await q1.stop();
    expect(q1.isActive).toBe(false);
    expect(q1.exception()).toBeNull();
  });

  it('a new checkpoint on an output path another query writes is refused, not allowed to replace its files', async () => {
    const topic = uniqueTopic('owned');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, range(0, 30).map(event));
    const out = tmpDir('out');
    await runToEnd(topic, tmpDir('cp'), out);
    const before = await outputIds(out);
    const err = await runToEnd(topic, tmpDir('cp'), out).then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/already holds batch 0 written by another query \(id [0-9a-f-]+\); this query \(id [0-9a-f-]+\) would replace its files/);
    expect(await outputIds(out)).toEqual(before);
    expect(JSON.parse(readFileSync(path.join(out, '_sluice_log', '0'), 'utf8')).queryId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the parquet sink refuses update and complete modes', async () => {
    await expect(query('t').writeStream.format('parquet').outputMode('update').option('checkpointLocation', tmpDir('cp')).start(tmpDir('out')))
      .rejects.toThrow(/parquet sink does not support output mode 'update'/);
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
