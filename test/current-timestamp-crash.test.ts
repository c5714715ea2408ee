// current_timestamp() in a streaming query is the micro-batch's time, logged in offsets/N as
// batchTimestampMs (DESIGN: offset log), as in Spark's MicroBatchExecution: every row of a batch
// gets the same value, and a batch re-run after a crash writes the value the crashed run logged,
// not the clock of the re-run.
//
// A real child process (test/fixtures/current-time-query.ts: Kafka -> value, current_timestamp(),
// current_date(), unix_timestamp(), SQL's bare current_timestamp -> Parquet) is SIGKILLed by its own
// crash hook after batch 1's sink has written its files and before commits/1
// (SLUICE_TEST_CRASH_AT=beforeCommit:1); a clean restart re-runs batch 1 and runs batch 2.
// DuckDB reads what the Parquet files hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild, type ChildResult, describeRun } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/current-time-query.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 60_000;
const RECORDS = 30;
const PER_BATCH = 10;
const DAY_MS = 86_400_000;

let broker: TestBroker;
let topic: string;
let tmp: string;
let cp: string;
let out: string;

beforeAll(async () => {
  tmp = tmpDir('current-time');
  cp = path.join(tmp, 'checkpoint');
  out = path.join(tmp, 'out');
  broker = await startBroker();
  topic = uniqueTopic('current-time');
  await broker.createTopic(topic, 1);
  await produce(broker.bootstrap, topic, Array.from({ length: RECORDS }, (_, i) => ({ value: String(i) })));
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

interface Progress { event: 'progress'; batchId: number; numInputRows: number }

function runChild(crashAt?: string): Promise<ChildResult<Progress>> {
  return runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, String(PER_BATCH)], process.env, { crashAt }, CHILD_TIMEOUT_MS);
}


/** batchTimestampMs of offsets/N: line 2 of the file is the batch's metadata. */
async function loggedTime(batchId: number): Promise<number> {
  const lines = (await fs.readFile(path.join(cp, 'offsets', String(batchId)), 'utf8')).split('\n');
  expect(lines[0]).toBe('v1');
  return (JSON.parse(lines[1]!) as { batchTimestampMs: number }).batchTimestampMs;
}

interface BatchValues { rows: number; ids: number; ts: number[]; tsSql: number[]; d: string[]; u: number[] }

/** What the Parquet files of batch N hold, each column's distinct values. */
async function batchValues(batchId: number): Promise<BatchValues> {
  const glob = `'${out.replace(/'/g, "''")}/part-${batchId}-*.parquet'`;
  const [r] = await duckQuery(
    `select count(*) as n, count(distinct id) as ids,
       list(distinct epoch_ms(ts)) as ts, list(distinct epoch_ms(ts_sql)) as ts_sql,
       list(distinct cast(d as varchar)) as d, list(distinct u) as u
     from read_parquet(${glob})`);
  return {
    rows: Number(r!.n), ids: Number(r!.ids),
    ts: (r!.ts as unknown[]).map(Number), tsSql: (r!.ts_sql as unknown[]).map(Number),
    d: r!.d as string[], u: (r!.u as unknown[]).map(Number),
  };
}

/** One value per column for the whole batch, and it is the batch's logged time. */
function expectBatchTime(v: BatchValues, t: number, where: string): void {
  expect(v, where).toEqual({
    rows: PER_BATCH, ids: PER_BATCH,
    ts: [t], tsSql: [t], d: [new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10)], u: [Math.floor(t / 1000)],
  });
}

const inode = async (batchId: number): Promise<number> => (await fs.stat(path.join(out, `part-${batchId}-0.parquet`))).ino;

describe('current_timestamp() across a crash (real child process, SIGKILL)', () => {
  it('is the logged batchTimestampMs for every row, and a re-run batch writes the same value again', async () => {
    const crashed = await runChild('beforeCommit:1');
    expect(crashed.signal, describeRun(crashed)).toBe('SIGKILL');
    const commits = (await fs.readdir(path.join(cp, 'commits'))).filter((n) => /^\d+$/.test(n)).sort();
    expect(commits, 'batch 1 was logged and its sink wrote, but it was not committed').toEqual(['0']);

    const t0 = await loggedTime(0), t1 = await loggedTime(1);
    expectBatchTime(await batchValues(0), t0, 'batch 0');
    expectBatchTime(await batchValues(1), t1, 'batch 1 as the crashed run wrote it');
    const firstFile = await inode(1);

    const restart = await runChild();
    expect(restart.code, describeRun(restart)).toBe(0);
    expect(restart.progress.map((p) => p.batchId), 'the restart re-runs batch 1, then runs batch 2').toEqual([1, 2]);
    // The re-run wrote batch 1's file anew (a rename gives a new inode)...
    expect(await inode(1)).not.toBe(firstFile);
    // ...with the time the crashed run logged, not the restart's clock (batch 2 is that).
    expect(await loggedTime(1)).toBe(t1);
    expectBatchTime(await batchValues(1), t1, 'batch 1 as the re-run wrote it');
    const t2 = await loggedTime(2);
    expect(t2).toBeGreaterThan(t1);
    expectBatchTime(await batchValues(2), t2, 'batch 2');
    expect((await duckQuery(`select count(distinct id) as n from read_parquet('${out.replace(/'/g, "''")}/*.parquet')`))[0]!.n).toBe(BigInt(RECORDS));
  }, 180_000);
});
