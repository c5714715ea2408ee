// Exactly once through process crashes with the checkpoint and the output on S3, a compact
// version of crash-recovery.test.ts: test/fixtures/crash-query.ts (Kafka -> Parquet partitioned by
// user_id, availableNow) runs in a child process that reaches S3 through the environment
// (AWS_ENDPOINT_URL_S3, SLUICE_S3_FORCE_PATH_STYLE, credentials) and
//   a. SIGKILLs itself at each phase of a batch, each run recovering the previous run's batch;
//   b. is SIGKILLed by the parent while the Parquet sink is part-way through a batch (the fault
//      proxy holds one PUT of that batch's files, so the moment is exact, not a guess);
//   c. two of them start on one checkpoint at once: one is refused, the output stays exactly once.
// After each step every produced id must be in the output once (DuckDB over every *.parquet
// object, committed or not, as a reader globbing the bucket sees them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { externalS3, startS3, downloadParquet, listKeys, readText, splitS3, type TestS3 } from './support/s3.ts';
import { startFaultProxy, type FaultProxy } from './support/s3-fault-proxy.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild, type ChildRunOptions, type ChildResult as QueryChildResult, describeRun } from './support/query-child.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-query.ts', import.meta.url));
const PARTITIONS = 4;
const USERS = 8;
const MAX_OFFSETS = 200;
const CHILD_TIMEOUT_MS = 30_000;

let broker: TestBroker;
let s3: TestS3;
beforeAll(async () => { [broker, s3] = await Promise.all([startBroker(), startS3()]); });
afterAll(async () => { await Promise.all([broker?.stop(), s3?.stop()]); });

interface Progress { batchId: number; numInputRows: number; endOffset: Offsets; startOffset: Offsets | null }
type Offsets = Record<string, Record<string, number>>;
type ChildResult = QueryChildResult<Progress>;

interface Job { topic: string; cp: string; out: string; produced: number; partitions: number }

async function produceRecords(job: Job, n: number): Promise<void> {
  const msgs = Array.from({ length: n }, (_, i) => {
    const id = job.produced + i;
    return { key: `k${id}`, partition: id % job.partitions, value: JSON.stringify({ id, user_id: `u${(id * 7) % USERS}`, amount: id % 10, type: 'x' }) };
  });
  await produce(broker.bootstrap, job.topic, msgs);
  job.produced += n;
}

/** The fixture on `job`, reaching S3 through the environment (or through `endpoint`, a fault proxy). */
function runChild(job: Job, o: ChildRunOptions & { endpoint?: string; maxOffsets?: number } = {}): Promise<ChildResult> {
  const env = s3.env({ CRASH_MIN_BATCHES_TO_RETAIN: '3', SLUICE_S3_RETRY_TIMEOUT_MS: '5000', SLUICE_S3_REQUEST_TIMEOUT_MS: '2000', ...(o.endpoint ? { AWS_ENDPOINT_URL_S3: o.endpoint } : {}) });
  const args = [FIXTURE, broker.bootstrap, job.topic, job.cp, job.out, String(o.maxOffsets ?? MAX_OFFSETS)];
  return runQueryChild<Progress>(ROOT, args, env, o, CHILD_TIMEOUT_MS);
}


async function logIds(prefix: string): Promise<number[]> {
  const { key } = splitS3(prefix);
  return (await listKeys(s3, prefix)).map((k) => k.slice(key.length + 1)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

async function offsetsOf(job: Job, batchId: number): Promise<Offsets> {
  return JSON.parse((await readText(s3, `${job.cp}/offsets/${batchId}`))!.split('\n')[2]!) as Offsets;
}

/**
 * No id twice; every id of a committed batch present; nothing beyond the newest planned batch
 * (offsets/<latest>): ids are produced in order to partition id % P, so offset o of partition p holds id o*P + p.
 */
async function expectExactlyOnce(job: Job, label: string): Promise<void> {
  const P = job.partitions;
  const commits = await logIds(`${job.cp}/commits`);
  const planned = await logIds(`${job.cp}/offsets`);
  const committed = commits.length ? (await offsetsOf(job, commits.at(-1)!))[job.topic]! : {};
  const latest = planned.length ? (await offsetsOf(job, planned.at(-1)!))[job.topic]! : {};
  const dir = await downloadParquet(s3, job.out);
  const rows = await duckQuery(`SELECT id, count(*) AS c FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) GROUP BY id`);
  expect(rows.filter((r) => Number(r.c) > 1).map((r) => Number(r.id)), `${label}: duplicates`).toEqual([]);
  const ids = new Set(rows.map((r) => Number(r.id)));
  const missing: number[] = [];
  for (let p = 0; p < P; p++) for (let o = 0; o < (committed[p] ?? 0); o++) if (!ids.has(o * P + p)) missing.push(o * P + p);
  expect(missing.slice(0, 20), `${label}: committed ids missing from the output`).toEqual([]);
  const beyond = [...ids].filter((id) => Math.floor(id / P) >= (latest[id % P] ?? 0));
  expect(beyond.slice(0, 20), `${label}: ids beyond the newest planned batch`).toEqual([]);
}

/** Records consumed by committed batches (all of them once an availableNow run ended cleanly). */
async function consumed(job: Job): Promise<number> {
  const commits = await logIds(`${job.cp}/commits`);
  return commits.length ? Object.values((await offsetsOf(job, commits.at(-1)!))[job.topic]!).reduce((x, y) => x + y, 0) : 0;
}

describe('crash recovery with checkpoint and output on S3', () => {
  it('a. SIGKILL at each phase; every restart re-runs the batch exactly as logged', async () => {
    const job: Job = { topic: uniqueTopic('s3crash'), cp: s3.prefix('crash-cp'), out: s3.prefix('crash-out'), produced: 0, partitions: PARTITIONS };
    await broker.createTopic(job.topic, PARTITIONS);
    await produceRecords(job, 6 * MAX_OFFSETS);
    // Each run first recovers what the previous run's crash left, then crashes at the next phase.
    const plan = [
      { crashAt: 'afterOffsetLog:1', rerun: null },
      { crashAt: 'beforeSink:2', rerun: 1 },
      { crashAt: 'beforeCommit:3', rerun: 2 },
      { crashAt: 'afterCommit:4', rerun: 3 },
      { crashAt: undefined, rerun: 5 }, // batch 4 was committed: not run again
    ];
    for (const step of plan) {
      const r = await runChild(job, step.crashAt ? { crashAt: step.crashAt } : {});
      if (step.crashAt) expect(r.signal, `${step.crashAt}: ${describeRun(r)}`).toBe('SIGKILL');
      else expect(r.code, describeRun(r)).toBe(0);
      if (step.rerun !== null) {
        const first = r.progress[0]!;
        expect(first?.batchId, `run with ${step.crashAt ?? 'no crash'} starts with batch ${step.rerun}: ${describeRun(r)}`).toBe(step.rerun);
        expect(first.endOffset, `batch ${step.rerun} re-runs the ranges of offsets/${step.rerun}`).toEqual(await offsetsOf(job, step.rerun));
      }
      await expectExactlyOnce(job, `after ${step.crashAt ?? 'the clean run'}`);
    }
    expect(await consumed(job)).toBe(job.produced);
    expect(await logIds(`${job.cp}/commits`)).toEqual([3, 4, 5]); // minBatchesToRetain = 3 purged the rest on S3
    // The committed log entries list exactly the data files in the bucket.
    const outKey = splitS3(job.out).key;
    const listed: string[] = [];
    for (const id of await logIds(`${job.out}/_sluice_log`)) {
      for (const f of (JSON.parse((await readText(s3, `${job.out}/_sluice_log/${id}`))!) as { files: { path: string }[] }).files) listed.push(f.path);
    }
    const inBucket = (await listKeys(s3, job.out)).filter((k) => k.endsWith('.parquet')).map((k) => k.slice(outKey.length + 1));
    expect(inBucket.sort()).toEqual(listed.sort());
  });

  // Needs the fault proxy in front of s3rver.
  it.skipIf(externalS3)('b. SIGKILL while the sink is part-way through a batch', async () => {
    const job: Job = { topic: uniqueTopic('s3midsink'), cp: s3.prefix('mid-cp'), out: s3.prefix('mid-out'), produced: 0, partitions: PARTITIONS };
    await broker.createTopic(job.topic, PARTITIONS);
    await produceRecords(job, 3 * MAX_OFFSETS);
    const proxy: FaultProxy = await startFaultProxy(s3.endpoint!);
    try {
      // Batch 1's fourth file hangs; once it is held, earlier files of the batch are written.
      proxy.add({ method: 'PUT', key: /part-1-3\.parquet$/, fault: 'stall' });
      const r = await runChild(job, {
        endpoint: proxy.endpoint,
        onSpawn: (child) => proxy.events.once('fault', () => setTimeout(child.kill, 300)),
      });
      expect(r.signal, describeRun(r)).toBe('SIGKILL');
      expect(r.killedByParent, 'killed by the test, not by the child timeout').toBe(true);
      expect(r.progress.map((p) => p.batchId)).toEqual([0]);
    } finally {
      await proxy.close();
    }
    const outKey = splitS3(job.out).key;
    const batch1 = (await listKeys(s3, job.out)).filter((k) => k.slice(outKey.length).match(/\/part-1-\d+\.parquet$/));
    expect(batch1.length, 'some of batch 1\'s files were written before the kill').toBeGreaterThan(0);
    expect(await readText(s3, `${job.out}/_sluice_log/1`), 'batch 1 never finished its sink').toBeNull();
    expect(await logIds(`${job.cp}/commits`)).toEqual([0]);
    const r = await runChild(job);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.progress.map((p) => p.batchId)).toEqual([1, 2]);
    await expectExactlyOnce(job, 'after the mid-sink kill');
    expect(await consumed(job)).toBe(job.produced);
  });

  it('c. two queries on one S3 checkpoint: one is refused, the output stays exactly once', async () => {
    const job: Job = { topic: uniqueTopic('s3two'), cp: s3.prefix('two-cp'), out: s3.prefix('two-out'), produced: 0, partitions: 2 };
    await broker.createTopic(job.topic, 2);
    await produceRecords(job, 1500);
    // Both start together; 30 batches of 50 keep them overlapping.
    const [a, b] = await Promise.all([runChild(job, { maxOffsets: 50 }), runChild(job, { maxOffsets: 50 })]);
    const refused = [a, b].filter((r) => r.code !== 0);
    expect(refused.length, `${describeRun(a)}\n${describeRun(b)}`).toBe(1);
    expect(refused[0]!.stderr).toMatch(/Checkpoint s3:\/\/.* is in use by another run of this query|took the lease of checkpoint s3:\/\/.* at the same moment|(Offset|Commit) log file s3:\/\/.* already exists: another query is writing to this checkpoint/);
    // Whatever the refused one left is finished by a restart; every row is there once.
    expect((await runChild(job, { maxOffsets: 50 })).code).toBe(0);
    await expectExactlyOnce(job, 'after two queries on one checkpoint');
    expect(await consumed(job)).toBe(job.produced);
    expect(await logIds(`${job.cp}/commits`)).toEqual([27, 28, 29]);
  });
});
