// A stateful query cut at its shuffle (src/runtime/scale-out/shuffle-stages.ts, docs/design/scale-out.md
// "Repartitioning, exactly once" and "Watermarks across tasks"), its two stages started as two
// ordinary queries in this process: the upstream one (8 input partitions -> repartition topic of 4)
// and the downstream one (topic -> stateful operator -> Parquet). Its output, read by DuckDB, must
// equal the plain query's over the same input. Then: a downstream task that reads one quiet
// partition still closes its window by the other partitions' event time (the header), the topic's
// partition count is checked, and an upstream SIGKILLed between its Kafka commit and commits/1
// leaves no duplicate downstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront } from './support/kafka-front.ts';
import { haveKcat, kcatProduce, kcatRecords } from './support/kcat.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';
import { runQueryChild, describeRun } from './support/query-child.ts';
import { shuffleJoinSpec, shuffleQuerySpec, type ShuffleQueryKind } from './support/shuffle-query.ts';
import { Session, col, hash, SinkError } from '../src/index.ts';
import { startQuery } from '../src/runtime/start-query.ts';
import { planShuffleStages, repartitionTopic, stageCheckpoint } from '../src/runtime/scale-out/shuffle-stages.ts';
import { MAX_EVENT_TIME_HEADER } from '../src/kafka/shuffle-header.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/shuffle-upstream-query.ts', import.meta.url));
const TEST_TIMEOUT_MS = 240_000;
const BASE = Date.UTC(2024, 0, 1);
const EVENTS = 2000;

let broker: TestBroker;
let session: Session;
beforeAll(async () => {
  broker = await startBroker();
  session = Session.builder().appName('shuffle-stages-test').getOrCreate();
}, 30_000);
afterAll(async () => { await broker?.stop(); });

interface Event { id: number; k: string; ts: number }
/** Event i: key k<i mod 13>, 100 ms after the one before; `copies` of each (dropDuplicates' input). */
const events = (n: number, copies = 1): Event[] =>
  Array.from({ length: n * copies }, (_, j) => { const i = j % n; return { id: i, k: `k${i % 13}`, ts: BASE + i * 100 }; });

async function inputTopic(rows: readonly Event[], partitions = 8): Promise<string> {
  const topic = uniqueTopic('shuffle-in');
  await broker.createTopic(topic, partitions);
  await kcatProduce(broker.bootstrap, topic, 'none', rows.map((e) => ({ key: `${e.k}-${e.id % 5}`, value: JSON.stringify({ id: e.id, k: e.k, ts: new Date(e.ts).toISOString() }) })));
  return topic;
}

async function runToEnd(spec: Parameters<typeof startQuery>[0]) {
  const q = await startQuery(spec, session);
  await q.awaitTermination();
  return q;
}

const parquet = (out: string): string => `read_parquet('${out}/**/*.parquet')`;
const windowedRows = async (out: string) => (await duckQuery(`SELECT epoch_ms(start) AS start, k, count FROM ${parquet(out)} ORDER BY start, k`))
  .map((r) => ({ start: Number(r.start), k: r.k, count: Number(r.count) }));
const dedupRows = async (out: string) => (await duckQuery(`SELECT id, k, epoch_ms(ts) AS ts FROM ${parquet(out)} ORDER BY id`))
  .map((r) => ({ id: Number(r.id), k: r.k, ts: Number(r.ts) }));

/** Every (10 s window, k) of `rows` that the final watermark (their largest event time - `delayMs`) closed, with all its rows, in windowedRows' order: the answer when no row was late. */
function closedWindows(rows: readonly Event[], delayMs: number): { start: number; k: string; count: number }[] {
  const watermark = Math.max(...rows.map((e) => e.ts)) - delayMs;
  const want = new Map<string, { start: number; k: string; count: number }>();
  for (const e of rows) {
    const start = e.ts - ((e.ts - BASE) % 10_000);
    if (start + 10_000 > watermark) continue;
    const key = `${start}/${e.k}`;
    want.set(key, { start, k: e.k, count: (want.get(key)?.count ?? 0) + 1 });
  }
  return [...want.values()].sort((a, b) => a.start - b.start || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
}

/** The query plain, then cut at the shuffle (upstream to its end, then downstream), over the same topic; both outputs' paths. */
async function plainAndShuffled(kind: ShuffleQueryKind, topic: string, partitions = 4) {
  const plainOut = tmpDir('shuffle-plain-out');
  await runToEnd(shuffleQuerySpec(kind, session, { bootstrap: broker.bootstrap, topic, checkpoint: tmpDir('shuffle-plain-cp'), out: plainOut, maxOffsets: '300' }));
  const cp = tmpDir('shuffle-cp'), out = tmpDir('shuffle-out');
  const spec = shuffleQuerySpec(kind, session, { bootstrap: broker.bootstrap, topic, checkpoint: cp, out, maxOffsets: '300', partitions });
  const stages = (await planShuffleStages(spec, session))!;
  const up = await runToEnd(stages.upstream(stageCheckpoint(cp, 0)));
  const down = await runToEnd(stages.downstream(stageCheckpoint(cp, 1)));
  return { plainOut, out, stages, up, down };
}

describe.skipIf(!haveKcat())('a stateful query cut at its shuffle, both stages in one process', () => {
  it('windowed count, 8 input partitions, 4 shuffle partitions: the same windows and counts as the plain query', async () => {
    const rows = events(EVENTS);
    const topic = await inputTopic(rows);
    const { plainOut, out, stages, up } = await plainAndShuffled('windowed', topic);
    expect(stages.topic).toBe(repartitionTopic(stages.queryId));
    // Independently: windows of 10 s that the final watermark (max event time - 20 s) closed.
    const expected = closedWindows(rows, 20_000);
    expect(expected.length).toBeGreaterThan(100);
    expect(await windowedRows(plainOut)).toEqual(expected);
    expect(await windowedRows(out)).toEqual(expected);
    // Every upstream batch wrote a record to every partition, each with the event time header.
    const upstreamBatches = up.recentProgress.filter((p) => p.numInputRows > 0).length;
    expect(upstreamBatches).toBeGreaterThan(2);
    const records = await kcatRecords(broker.bootstrap, stages.topic);
    for (let p = 0; p < 4; p++) expect(records.filter((r) => r.partition === p).length, `partition ${p}`).toBe(upstreamBatches);
    expect(records.every((r) => r.headers?.some(([k]) => k === MAX_EVENT_TIME_HEADER))).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('dropDuplicates(id) over every event twice: the same rows as the plain query', async () => {
    const rows = events(EVENTS, 2);
    const topic = await inputTopic(rows);
    const { plainOut, out } = await plainAndShuffled('dedup', topic);
    const want = events(EVENTS).map((e) => ({ id: e.id, k: e.k, ts: e.ts }));
    expect(await dedupRows(plainOut)).toEqual(want);
    expect(await dedupRows(out)).toEqual(want);
  }, TEST_TIMEOUT_MS);

  it('global watermark: a downstream task reading only a quiet partition closes its window by the others\' event time', async () => {
    // Which shuffle partition a key goes to: Spark's pmod(hash(k), 4), computed by the engine's own hash().
    const names = Array.from({ length: 40 }, (_, i) => `key${i}`);
    const hashes = session.createDataFrame(names.map((k) => ({ k }))).select(col('k'), hash(col('k')).alias('h')).collect();
    const part = new Map(hashes.map((r) => [r.k as string, (((r.h as number) % 4) + 4) % 4]));
    const quiet = names[0]!, q = part.get(quiet)!;
    const busy = names.filter((k) => part.get(k) !== q).slice(0, 5);
    expect(busy.length).toBe(5);
    // One early row of the quiet key, then 100 s of the others.
    const rows: Event[] = [{ id: 0, k: quiet, ts: BASE + 1000 }];
    for (let i = 1; i <= 1000; i++) rows.push({ id: i, k: busy[i % busy.length]!, ts: BASE + i * 100 });
    const topic = await inputTopic(rows);
    const cp = tmpDir('shuffle-quiet-cp'), out = tmpDir('shuffle-quiet-out');
    const stages = (await planShuffleStages(shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: cp, out, partitions: 4 }), session))!;
    await runToEnd(stages.upstream(stageCheckpoint(cp, 0)));
    // Task 1_q: only partition q, where the quiet key's one row is all there is.
    const task = await runToEnd(stages.downstream(`${cp}/tasks/1_${q}`, [q]));
    expect(task.recentProgress.reduce((n, p) => n + p.numInputRows, 0)).toBe(1);
    // Its own rows say 1 s; the header says 100 s, so the watermark is 80 s and window [0, 10 s) closed.
    expect(Date.parse(task.lastProgress!.eventTime.watermark!)).toBe(BASE + 100_000 - 20_000);
    expect(await windowedRows(out)).toEqual([{ start: BASE, k: quiet, count: 1 }]);
  }, TEST_TIMEOUT_MS);

  it('a chain of two stateful operators is refused: the second would see one task\'s share of its keys', async () => {
    const spec = shuffleQuerySpec('dedup', session, { bootstrap: broker.bootstrap, topic: 'not-read', checkpoint: tmpDir('shuffle-chain-cp'), out: tmpDir('o'), partitions: 4 });
    // dropDuplicates('id'), then a count per k over its output.
    const plan = { kind: 'aggregate' as const, child: spec.plan, keys: [col('k').expr], aggs: [] };
    await expect(planShuffleStages({ ...spec, plan }, session)).rejects.toThrow(/chains 2 stateful operators; a shuffled query takes one/);
  }, TEST_TIMEOUT_MS);

  it('a repartition topic with another partition count is refused, naming the topic and the count', async () => {
    const topic = await inputTopic(events(10));
    const cp = tmpDir('shuffle-count-cp');
    // The test broker has no CreateTopics and makes an unknown topic with 4 partitions on its first metadata request.
    const err = await planShuffleStages(shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: cp, out: tmpDir('o'), partitions: 3 }), session)
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as Error).message).toMatch(/topic 'sluice-[0-9a-f-]+-repartition-0' has 4 partition\(s\), but the query needs 3.*--partitions 3/);
  }, TEST_TIMEOUT_MS);

  /** Plain run, then the upstream stage killed at `crashAt` and restarted in a child through `bootstrap`; the outputs, the stages and the upstream batch count. */
  async function upstreamKilledOnce(bootstrap: string, crashAt: string, name: string) {
    const topic = await inputTopic(events(EVENTS));
    const plainOut = tmpDir(`${name}-plain`);
    await runToEnd(shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: tmpDir(`${name}-plain-cp`), out: plainOut, maxOffsets: '300' }));
    const cp = tmpDir(`${name}-cp`), out = tmpDir(`${name}-out`);
    const args = [FIXTURE, bootstrap, topic, cp, out, '300', '4'];
    const first = await runQueryChild<{ batchId: number }>(ROOT, args, process.env, { crashAt }, 90_000);
    expect(first.signal, describeRun(first)).toBe('SIGKILL');
    const second = await runQueryChild<{ batchId: number }>(ROOT, args, process.env, {}, 90_000);
    expect(second.code, describeRun(second)).toBe(0);
    const spec = shuffleQuerySpec('windowed', session, { bootstrap, topic, checkpoint: cp, out, maxOffsets: '300', partitions: 4 });
    const stages = (await planShuffleStages(spec, session))!;
    return { first, second, stages, cp, out, plainOut, batches: 1 + second.progress.length };
  }

  /** The downstream stage run to its end equals the plain query's windows. */
  async function downstreamEqualsPlain(r: Awaited<ReturnType<typeof upstreamKilledOnce>>) {
    await runToEnd(r.stages.downstream(stageCheckpoint(r.cp, 1)));
    const plain = await windowedRows(r.plainOut);
    expect(plain.length).toBeGreaterThan(100);
    expect(await windowedRows(r.out)).toEqual(plain);
  }

  it('upstream SIGKILLed after its Kafka commit, before commits/1, then restarted: no duplicate downstream', async () => {
    const r = await upstreamKilledOnce(broker.bootstrap, 'kafkaCommitted:1', 'shuffle-crash');
    expect(r.first.progress.map((p) => p.batchId)).toEqual([0]);
    // Batch 1 re-ran, found its transaction committed and produced nothing again.
    expect(r.second.progress[0]).toMatchObject({ batchId: 1 });
    expect((await kcatRecords(broker.bootstrap, r.stages.topic)).length).toBe(4 * r.batches);
    await downstreamEqualsPlain(r);
  }, TEST_TIMEOUT_MS);

  it('upstream SIGKILLed with its batch-1 transaction open, through a broker that writes transaction markers: the downstream reads the aborted chunks not at all', async () => {
    // tools/kafka-front aborts the killed producer's open transaction at the restart's InitProducerId and
    // writes the abort markers (the bare mock writes none); the repartition source reads read_committed.
    const front = await startFront({ broker });
    try {
      const r = await upstreamKilledOnce(front.bootstrap, 'kafkaMidBatch:1', 'shuffle-abort');
      // The killed attempt's 4 chunks of batch 1 stay in the log, aborted.
      expect((await kcatRecords(front.bootstrap, r.stages.topic, ['-X', 'isolation.level=read_uncommitted'])).length).toBe(4 * r.batches + 4);
      expect((await kcatRecords(front.bootstrap, r.stages.topic, ['-X', 'isolation.level=read_committed'])).length).toBe(4 * r.batches);
      await downstreamEqualsPlain(r);
    } finally { await front.stop(); }
  }, TEST_TIMEOUT_MS);

  it('both stages running at once on the default trigger, the input arriving in three parts: the plain query\'s windows', async () => {
    // On the default trigger the batches' cut depends on timing, and with a 20 s delay a partition
    // that lags the others in event time has rows that one run drops as late and the other keeps.
    // A part spans 66.7 s of event time and parts arrive one after the other, so a 70 s delay makes
    // no row late in any cut: both outputs are then every window the final watermark closed, whole.
    const delay = '70 seconds';
    const rows = events(EVENTS);
    const topic = uniqueTopic('shuffle-live-in');
    await broker.createTopic(topic, 8);
    const cp = tmpDir('shuffle-live-cp'), out = tmpDir('shuffle-live-out'), plainOut = tmpDir('shuffle-live-plain');
    const live = (spec: Parameters<typeof startQuery>[0]) => ({ ...spec, trigger: null });
    const plain = await startQuery(live(shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: tmpDir('shuffle-live-plain-cp'), out: plainOut, maxOffsets: '300', delay })), session);
    const stages = (await planShuffleStages(shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: cp, out, maxOffsets: '300', partitions: 4, delay }), session))!;
    const up = await startQuery(live(stages.upstream(stageCheckpoint(cp, 0))), session);
    const down = await startQuery(live(stages.downstream(stageCheckpoint(cp, 1))), session);
    try {
      for (let part = 0; part < 3; part++) {
        const slice = rows.slice((part * EVENTS) / 3, ((part + 1) * EVENTS) / 3);
        await kcatProduce(broker.bootstrap, topic, 'none', slice.map((e) => ({ key: `${e.k}-${e.id % 5}`, value: JSON.stringify({ id: e.id, k: e.k, ts: new Date(e.ts).toISOString() }) })));
        await plain.processAllAvailable();
        await up.processAllAvailable();
        await down.processAllAvailable();
      }
      // The last upstream batch's header reaches downstream in its last data batch; the no-data batch after it emits.
      await down.processAllAvailable();
    } finally {
      await Promise.all([plain.stop(), up.stop(), down.stop()]);
    }
    const want = await windowedRows(plainOut);
    // Independently: every (10 s window, k) that ends by the final watermark (max event time - 70 s), with all its rows.
    expect(want).toEqual(closedWindows(rows, 70_000));
    expect(want.length).toBeGreaterThan(100);
    expect(down.recentProgress.filter((p) => p.numInputRows > 0).length).toBeGreaterThan(1);
    expect(await windowedRows(out)).toEqual(want);
  }, TEST_TIMEOUT_MS);

  it('stream-stream join on id, impressions in 8 partitions and clicks in 3, both sides hashed into 4: the plain query\'s pairs', async () => {
    const impressions = uniqueTopic('shuffle-imp'), clicks = uniqueTopic('shuffle-clk');
    await broker.createTopic(impressions, 8);
    await broker.createTopic(clicks, 3);
    const n = 1500;
    await kcatProduce(broker.bootstrap, impressions, 'none', Array.from({ length: n }, (_, i) => ({ key: `a${i % 11}`, value: JSON.stringify({ id: i, ad: `ad${i % 11}`, its: new Date(BASE + i * 100).toISOString() }) })));
    await kcatProduce(broker.bootstrap, clicks, 'none', Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0)
      .map((i) => ({ key: `c${i % 5}`, value: JSON.stringify({ id: i, cts: new Date(BASE + i * 100 + 500).toISOString() }) })));
    const plainOut = tmpDir('shuffle-join-plain'), cp = tmpDir('shuffle-join-cp'), out = tmpDir('shuffle-join-out');
    await runToEnd(shuffleJoinSpec(session, { bootstrap: broker.bootstrap, impressions, clicks, checkpoint: tmpDir('shuffle-join-plain-cp'), out: plainOut, maxOffsets: '300' }));
    const stages = (await planShuffleStages(shuffleJoinSpec(session, { bootstrap: broker.bootstrap, impressions, clicks, checkpoint: cp, out, maxOffsets: '300', partitions: 4 }), session))!;
    expect(stages.topics).toEqual([repartitionTopic(stages.queryId, 0), repartitionTopic(stages.queryId, 1)]);
    expect(stages.downstreamStage).toBe(2);
    await runToEnd(stages.upstream(stageCheckpoint(cp, 0), '0', 0));
    await runToEnd(stages.upstream(stageCheckpoint(cp, 1), '1', 1));
    const down = await runToEnd(stages.downstream(stageCheckpoint(cp, 2)));
    const pairs = async (dir: string) => (await duckQuery(`SELECT id, ad, epoch_ms(its) AS its, epoch_ms(cts) AS cts FROM ${parquet(dir)} ORDER BY id`))
      .map((r) => ({ id: Number(r.id), ad: r.ad, its: Number(r.its), cts: Number(r.cts) }));
    const want = Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0).map((i) => ({ id: i, ad: `ad${i % 11}`, its: BASE + i * 100, cts: BASE + i * 100 + 500 }));
    expect(await pairs(plainOut)).toEqual(want);
    expect(await pairs(out)).toEqual(want);
    // Each side's watermark from its own topic's header (the last impression's time and the last click's, 0.3 s later, less 20 s),
    // and the query's the min of the two (the join runs no no-data batch, so the commit log says it).
    expect(down.recentProgress.length).toBe(1);
    const commit = JSON.parse(readFileSync(`${stageCheckpoint(cp, 2)}/commits/0`, 'utf8').split('\n')[1]!) as { nextBatchWatermarkMs: number };
    expect(commit.nextBatchWatermarkMs).toBe(BASE + (n - 1) * 100 - 20_000);
  }, TEST_TIMEOUT_MS);
});
