// Issue 16's lease bugs, found by the chaos harness's scale-out mode: a worker that lost a task held
// its lease ~55 s (its stop waited for a batch blocked reading), and the worker that gained the task
// gave up after its lease wait (40 s) and exited 1. Worker A runs in this process (a stateless query,
// Kafka in 4 partitions -> Parquet, in the query's group); worker B is a child process
// (test/fixtures/scale-out-query.ts). DuckDB reads the output: every row once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, col, from_json, types as T, type StreamingQuery } from '../src/index.ts';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { runQueryChild } from './support/query-child.ts';
import { holdTaskLease } from './support/lease-holder.ts';
import { tmpDir } from './support/tmp.ts';
import { duckQuery } from './support/duck.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/scale-out-query.ts', import.meta.url));
const CHAOS_QUERY = fileURLToPath(new URL('./chaos/query.ts', import.meta.url));
const PARTITIONS = 4;
const FETCH = 1;
const A_CLIENT = 'lease-test-worker-a';

let broker: TestBroker, front: TestFront;
/** While set, worker A's Fetch requests wait here (the front holds them): a batch blocked reading. */
let stall: { promise: Promise<void>; release: () => void } | null = null;

beforeAll(async () => {
  broker = await startBroker();
  front = await startFront({
    broker, hooks: [() => ({ onRequest: async (req) => { if (req.apiKey === FETCH && req.clientId === A_CLIENT && stall) await stall.promise; } })],
  });
}, 60_000);
afterAll(async () => { stall?.release(); await front?.stop(); await broker?.stop(); });

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition: (from + i) % PARTITIONS, value: JSON.stringify({ id: from + i, kind: 'k', amount: 1 }) }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Worker A in this process (the group, a 4 s session), reading through the front; B's arguments. */
async function workerA(name: string, conf: Record<string, string>, before?: (cp: string) => Promise<void>) {
  const topic = uniqueTopic(name);
  await broker.createTopic(topic, PARTITIONS);
  const dir = tmpDir(name);
  const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  await before?.(cp);
  const session = Session.builder().appName(name).getOrCreate();
  session.conf.set('sluice.scaleOut.sessionTimeout', '4 seconds');
  for (const [k, v] of Object.entries(conf)) session.conf.set(k, v);
  let read = 0;
  session.streams.addListener({ onQueryProgress: ({ progress }) => { read += progress.numInputRows; } });
  const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', front.bootstrap).option('subscribe', topic)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 5)
    // A's own client id, which the front's stall picks out; a long request timeout, so a stalled read stays blocked.
    .option('kafka.client.id', A_CLIENT).option('kafka.request.timeout.ms', 120_000).load()
    .select(from_json(col('value').cast('string'), T.struct({ id: T.long, kind: T.string, amount: T.double })).alias('d')).select('d.*')
    .writeStream.format('parquet').option('checkpointLocation', cp).option('sluice.scaleOut', 'true')
    .trigger({ processingTime: 100 }).start(out);
  return { q, topic, out, read: () => read, b: [FIXTURE, front.bootstrap, topic, cp, out, '5', 'group'] };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, q: StreamingQuery, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (!q.isActive) throw new Error(`${what}: worker A ended: ${String(q.exception()?.stack)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Every id of the output, with how often it is there. */
async function ids(out: string): Promise<{ n: number; distinct: number; min: number; max: number }> {
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT id) AS "distinct", min(id) AS min, max(id) AS max FROM read_parquet('${out}/**/*.parquet')`);
  return { n: Number(r!.n), distinct: Number(r!.distinct), min: Number(r!.min), max: Number(r!.max) };
}

describe('scale-out: a task moves while its old owner is blocked, or its lease is held', () => {
  it('the old owner, blocked reading a batch, lets its lost tasks go at once; the new owner runs them; every row once', async () => {
    const { q, topic, out, read, b } = await workerA('lease-blocked', {});
    let child: { kill: () => void } | undefined, childExit: Promise<{ code: number | null; stderr: string }> | undefined;
    try {
      await produce(broker.bootstrap, topic, rows(0, 40));
      await until('A read the first 40 rows', () => read() >= 40, q);
      // A's reads now block (its 2-minute request timeout outlasts B's 40 s lease wait): its next batches are planned, not read.
      let release!: () => void;
      stall = { promise: new Promise<void>((r) => { release = r; }), release: () => release() };
      await produce(broker.bootstrap, topic, rows(40, 40));
      await sleep(1500);
      expect(read()).toBe(40);
      childExit = runQueryChild(ROOT, b, { ...process.env }, { onSpawn: (c) => { child = c; } }, 240_000)
        .then((r) => ({ code: r.code, stderr: r.stderr }));
      // B is given two of A's tasks and reads their rows while A's reads are still blocked: A gave their leases up.
      await until("B wrote its tasks' rows", async () => {
        const exited = await Promise.race([childExit!.then((r) => r), sleep(0).then(() => null)]);
        if (exited) throw new Error(`worker B exited ${exited.code}: ${exited.stderr}`);
        return (await ids(out).catch(() => ({ n: 0 }))).n > 40;
      }, q);
      expect(read()).toBe(40);
      stall.release();
      stall = null;
      await until('every row is written', async () => (await ids(out)).n >= 80, q);
      await sleep(1000);
      expect(await ids(out)).toEqual({ n: 80, distinct: 80, min: 0, max: 79 });
      expect(q.exception()).toBeNull();
    } finally {
      stall?.release();
      stall = null;
      child?.kill();
      await q.stop();
    }
  }, 300_000);

  it("a gained task whose lease stays held past the lease wait waits, the worker's other tasks run, and it runs once the lease is free", async () => {
    let release = async (): Promise<void> => {};
    const { q, topic, out, read } = await workerA('lease-held', { 'sluice.scaleOut.leaseWaitTimeout': '1 second' }, async (cp) => {
      ({ release } = await holdTaskLease(cp, '0_1'));
    });
    try {
      await produce(broker.bootstrap, topic, rows(0, 40));
      // The three free tasks' 30 rows; 0_1's 10 wait. Before the fix the worker failed after the 1 s wait.
      await until('the three free tasks read their rows', () => read() >= 30, q);
      await sleep(3000);
      expect(read()).toBe(30);
      expect(q.isActive).toBe(true);
      await release();
      await until('0_1 runs once its lease is free', () => read() >= 40, q);
      await sleep(500);
      expect(await ids(out)).toEqual({ n: 40, distinct: 40, min: 0, max: 39 });
      expect(q.exception()).toBeNull();
    } finally {
      await release();
      await q.stop();
    }
  }, 180_000);

  // The chaos harness's worker (test/chaos/query.ts, windowed: its upstream tasks write the shuffle in Kafka
  // transactions each batch), stopped with SIGTERM while the broker is down: before, a transaction's
  // AddPartitionsToTxn failed at once ("Failed to find group coordinator") and the worker exited 1.
  it('a worker stopped with SIGTERM while the broker is down stops cleanly (exit 0)', async () => {
    const topic = uniqueTopic('lease-sigterm');
    await broker.createTopic(topic, PARTITIONS);
    const dir = tmpDir('lease-sigterm');
    const orders = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition: (from + i) % PARTITIONS,
      value: JSON.stringify({ order_id: from + i, user_id: `u${i % 5}`, amount: 1, event_time: new Date(Date.now()).toISOString(), region: 'eu' }) }));
    let sent = 0, feeding = true, pid = 0, upstreamBatches = 0;
    const feed = (async () => { while (feeding) { await produce(broker.bootstrap, topic, orders(sent, 8)).catch(() => undefined); sent += 8; await sleep(300); } })();
    let up: Promise<string> | null = null;
    try {
      const run = runQueryChild<{ task?: string; numInputRows: number }>(ROOT,
        [CHAOS_QUERY, 'windowed', front.bootstrap, topic, path.join(dir, 'cp'), path.join(dir, 'out'), '20', 'group'], { ...process.env },
        { onSpawn: (c) => { pid = c.pid; } }, 180_000, (p) => { if (p.task?.startsWith('0_') && p.numInputRows > 0) upstreamBatches++; });
      const deadline = Date.now() + 120_000;
      while (upstreamBatches < 4) {
        if (Date.now() > deadline) throw new Error('the worker ran no upstream batch');
        await sleep(250);
      }
      expect(await broker.command('down 1')).toBe('ok');
      await sleep(1000);
      process.kill(pid, 'SIGTERM');
      up = sleep(4000).then(() => broker.command('up 1'));
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
    } finally {
      feeding = false;
      await feed;
      if (up) expect(await up).toBe('ok');
    }
  }, 240_000);
});
