// Injected S3 faults (500, 503 SlowDown, connection resets, lost replies, stalls past the request
// timeout) during the offset-log, sink and commit-log writes of a real query (Kafka -> Parquet on
// s3rver, through the fault proxy). Transient faults are retried through; a persistent one stops
// the query with an error naming the operation, bucket and key; after restarts every row is in
// the output exactly once.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { externalS3, startS3, downloadParquet, listKeys, splitS3, type TestS3 } from './support/s3.ts';
import { startFaultProxy, type ActiveRule, type FaultProxy } from './support/s3-fault-proxy.ts';
import { duckQuery } from './support/duck.ts';
import { Session, col, from_json, types as T, SinkError, StorageError, type StreamingQuery } from '../src/index.ts';

const RETRY_MS = 1500;
let broker: TestBroker;
let s3: TestS3;
let proxy: FaultProxy;
let session: Session;
beforeAll(async () => {
  [broker, s3] = await Promise.all([startBroker(), startS3()]);
  if (s3.external) return;
  proxy = await startFaultProxy(s3.endpoint!);
  const b = Session.builder().appName('s3-faults-test');
  const conf = s3.conf({ 'sluice.s3.endpoint': proxy.endpoint, 'sluice.s3.retryTimeoutMs': String(RETRY_MS), 'sluice.s3.requestTimeoutMs': '300' });
  for (const [k, v] of Object.entries(conf)) b.config(k, v);
  session = b.getOrCreate();
});
afterAll(async () => { await proxy?.close(); await Promise.all([broker?.stop(), s3?.stop()]); });

const schema = T.struct({ id: T.long, user_id: T.string });

interface Job { topic: string; cp: string; out: string; produced: number }

async function newJob(name: string, records: number): Promise<Job> {
  const job = { topic: uniqueTopic(name), cp: s3.prefix(`${name}-cp`), out: s3.prefix(`${name}-out`), produced: records };
  await broker.createTopic(job.topic, 2);
  await produce(broker.bootstrap, job.topic, Array.from({ length: records }, (_, id) => ({ value: JSON.stringify({ id, user_id: `u${id % 3}` }) })));
  return job;
}

async function start(job: Job, maxOffsets: number): Promise<StreamingQuery> {
  return session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', job.topic)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', maxOffsets).load()
    .select(from_json(col('value').cast('string'), schema).alias('d')).select('d.*')
    .writeStream.format('parquet').option('checkpointLocation', job.cp).option('maxRecordsPerFile', 100)
    .trigger({ availableNow: true }).start(job.out);
}

async function runFails(job: Job, maxOffsets: number): Promise<{ err: Error; q: StreamingQuery }> {
  const q = await start(job, maxOffsets);
  const err = await q.awaitTermination().then(() => null, (e: unknown) => e as Error);
  expect(err, 'the query should have failed').not.toBeNull();
  return { err: err!, q };
}

async function expectAllOnce(job: Job): Promise<void> {
  const dir = await downloadParquet(s3, job.out);
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM read_parquet('${dir}/**/*.parquet')`);
  expect({ n: Number(r!.n), d: Number(r!.d), lo: Number(r!.lo), hi: Number(r!.hi) }).toEqual({ n: job.produced, d: job.produced, lo: 0, hi: job.produced - 1 });
}

const names = async (prefix: string): Promise<string[]> => {
  const { key } = splitS3(prefix);
  return (await listKeys(s3, prefix)).map((k) => k.slice(key.length + 1));
};

const noSecret = (e: Error): void => {
  const all = `${e.message}\n${e.stack}\n${inspect(e, { depth: 8 })}`;
  expect(all).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
};

// The fault proxy sits in front of s3rver: with a real bucket (SLUICE_TEST_S3_BUCKET) these skip.
describe.skipIf(externalS3)('S3 faults during a query', () => {
  it('transient faults in the offset log, the sink and the commit log are retried through', async () => {
    const job = await newJob('transient', 1000);
    const rules: [string, ActiveRule, number][] = [];
    const add = (label: string, key: RegExp, fault: Parameters<FaultProxy['add']>[0]['fault'], times: number, method = 'PUT'): void => {
      rules.push([label, proxy.add({ method, key, fault, times }), times]);
    };
    add('offsets/0: 500 then reset', /\/offsets\/0$/, '500', 1);
    add('offsets/0: 500 then reset', /\/offsets\/0$/, 'reset', 1);
    add('offsets/1: write applied, reply lost', /\/offsets\/1$/, 'lostReply', 1);
    add('sink part-0-0: SlowDown twice', /\/part-0-0\.parquet$/, '503', 2);
    add('sink part-0-1: stalled', /\/part-0-1\.parquet$/, 'stall', 1);
    add('sink part-1-2: reset', /\/part-1-2\.parquet$/, 'reset', 1);
    add('sink log 0: reply lost', /\/_sluice_log\/0$/, 'lostReply', 1);
    add('commits/0: write applied, reply lost', /\/commits\/0$/, 'lostReply', 1);
    add('commits/1: SlowDown, then stalled', /\/commits\/1$/, '503', 1);
    add('commits/1: SlowDown, then stalled', /\/commits\/1$/, 'stall', 1);
    add('a listing: 500', /offsets/, '500', 1, 'GET');
    const q = await start(job, 500);
    await q.awaitTermination();
    proxy.clear();
    for (const [label, rule, times] of rules) expect(rule.hits, label).toBe(times);
    expect(q.recentProgress.map((p) => p.batchId)).toEqual([0, 1]);
    expect(await names(`${job.cp}/commits`)).toEqual(['0', '1']);
    await expectAllOnce(job);
  });

  it('persistent faults stop the query naming op, bucket and key; restarts end exactly once', async () => {
    const job = await newJob('persistent', 600);
    const { bucket } = splitS3(job.cp);
    const cpKey = splitS3(job.cp).key, outKey = splitS3(job.out).key;

    // 1. The commit of batch 1 keeps failing: batch 1's output is written but not committed.
    proxy.add({ method: 'PUT', key: /\/commits\/1$/, fault: '503' });
    const t0 = Date.now();
    const one = await runFails(job, 200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(RETRY_MS);
    expect(one.err).toBeInstanceOf(StorageError);
    expect(one.err.message).toContain(`S3 PutObject (If-None-Match: *) failed for bucket '${bucket}', key '${cpKey}/commits/1'`);
    expect(one.err.message).toMatch(/SlowDown \(HTTP 503.*raise sluice\.s3\.retryTimeoutMs/);
    expect(one.q.exception()).toBe(one.err);
    noSecret(one.err);
    expect(await names(`${job.cp}/commits`)).toEqual(['0']);
    expect(await names(`${job.out}/_sluice_log`)).toEqual(['0', '1']);
    proxy.clear();

    // 2. The restart re-runs batch 1 and commits it; then the offset log of batch 2 keeps failing.
    proxy.add({ method: 'PUT', key: /\/offsets\/2$/, fault: 'reset' });
    const two = await runFails(job, 200);
    expect(two.q.recentProgress.map((p) => p.batchId)).toEqual([1]);
    expect(two.err).toBeInstanceOf(StorageError);
    expect(two.err.message).toContain(`S3 PutObject (If-None-Match: *) failed for bucket '${bucket}', key '${cpKey}/offsets/2'`);
    expect(two.err.message).toMatch(/ECONNRESET|socket hang up/);
    proxy.clear();

    // 3. Batch 2's Parquet files stall past the request timeout, every time.
    proxy.add({ method: 'PUT', key: /\/part-2-1\.parquet$/, fault: 'stall' });
    const three = await runFails(job, 200);
    expect(three.q.recentProgress.map((p) => p.batchId)).toEqual([]);
    expect(three.err).toBeInstanceOf(SinkError);
    expect(three.err.message).toContain(`S3 PutObject failed for bucket '${bucket}', key '${outKey}/part-2-1.parquet'`);
    expect(three.err.message).toMatch(/TimeoutError.*The batch is retried from its start on restart/s);
    expect((three.err.cause as StorageError).op).toBe('PutObject');
    noSecret(three.err);
    proxy.clear();

    // 4. No faults: batch 2 is re-run and the output holds every row once.
    const q = await start(job, 200);
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => p.batchId)).toEqual([2]);
    expect(await names(`${job.cp}/commits`)).toEqual(['0', '1', '2']);
    await expectAllOnce(job);
  });
});
