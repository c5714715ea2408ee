// A stream-stream join run as scale-out tasks by worker processes (docs/design/scale-out.md): impressions (4
// partitions) joined to clicks (2 partitions) on id (test/fixtures/scale-out-join-query.ts), cut at its shuffle into
// stage-0 tasks 0_0..0_3 (impressions partition p -> repartition-0), stage-1 tasks 1_0..1_1 (clicks -> repartition-1)
// and stage-2 tasks 2_0..2_3 (partition q of both topics -> join -> Parquet), all split among the workers. DuckDB
// reads the outputs: 1 worker and 3 workers write the pairs worked out here, each once; so do 3 group workers when
// one is SIGKILLed during a second wave of rows and the others take its tasks over (and a last wave's rows).
//
// Inner-join output does not depend on the watermark unless a row is late or evicted: the rows' event times span
// at most 280 s and the delay is 10 minutes, so neither happens whichever task runs ahead, and every pair comes out once
// both its rows have crossed the shuffle.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront } from './support/kafka-front.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';
import { describeRun, runQueryChild, type ChildRunOptions, type ChildResult } from './support/query-child.ts';
import { repartitionTopic } from '../src/runtime/scale-out/shuffle-stages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/scale-out-join-query.ts', import.meta.url));
const IMPRESSION_PARTITIONS = 4, CLICK_PARTITIONS = 2, SHUFFLE_PARTITIONS = 4;
const ROWS = 400;
const MAX_OFFSETS = 25;
const BASE = Date.UTC(2024, 0, 1);
const CHILD_TIMEOUT_MS = 400_000;
const WAIT_MS = 300_000;

interface Progress { batchId: number; numInputRows: number; task?: string; owned?: string[]; generation?: number }
interface Pair { id: number; ad: string; its: number; cts: number }

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

const clicked = (i: number) => i % 3 === 0;
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Worked out here, not by sluice: impression i (ad i mod 11, 50 ms apart) meets its click (0.5 s later) when i is a multiple of 3. */
const pairsOf = (n: number): Pair[] => ids(0, n).filter(clicked).map((i) => ({ id: i, ad: `ad${i % 11}`, its: BASE + i * 50, cts: BASE + i * 50 + 500 }));
const expected = pairsOf(ROWS);

/** Impressions and clicks of ids [from, to). */
async function produceRows(impressions: string, clicks: string, from: number, to: number): Promise<void> {
  await produce(broker.bootstrap, impressions, ids(from, to).map((i) => ({
    partition: i % IMPRESSION_PARTITIONS, value: JSON.stringify({ id: i, ad: `ad${i % 11}`, its: new Date(BASE + i * 50).toISOString() }),
  })));
  await produce(broker.bootstrap, clicks, ids(from, to).filter(clicked).map((i) => ({
    partition: (i / 3) % CLICK_PARTITIONS, value: JSON.stringify({ id: i, cts: new Date(BASE + i * 50 + 500).toISOString() }),
  })));
}

async function inputTopics(): Promise<{ impressions: string; clicks: string }> {
  const impressions = uniqueTopic('so-join-imp'), clicks = uniqueTopic('so-join-clk');
  await broker.createTopic(impressions, IMPRESSION_PARTITIONS);
  await broker.createTopic(clicks, CLICK_PARTITIONS);
  await produceRows(impressions, clicks, 0, ROWS);
  return { impressions, clicks };
}

/**
 * The query's id fixed before its first start, and its two repartition topics created with the shuffle's count (the
 * first input's 4): the test broker has no CreateTopics.
 */
async function prepareCheckpoint(cp: string): Promise<string> {
  const id = randomUUID();
  mkdirSync(cp, { recursive: true });
  writeFileSync(path.join(cp, 'metadata'), JSON.stringify({ id }) + '\n');
  for (const side of [0, 1]) await broker.createTopic(repartitionTopic(id, side), SHUFFLE_PARTITIONS);
  return id;
}

async function pairs(out: string): Promise<Pair[]> {
  return (await duckQuery(`SELECT id, ad, epoch_ms(its) AS its, epoch_ms(cts) AS cts FROM read_parquet('${out}/**/*.parquet') ORDER BY id`).catch(() => []))
    .map((r) => ({ id: Number(r.id), ad: String(r.ad), its: Number(r.its), cts: Number(r.cts) }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Worker processes of one scale-out run over new input topics and a new checkpoint. */
async function scaleOutRun(bootstrap?: string) {
  const { impressions, clicks } = await inputTopics();
  const dir = tmpDir('so-join');
  const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  const queryId = await prepareCheckpoint(cp);
  const runs: Promise<ChildResult<Progress>>[] = [];
  const kills: (() => void)[] = [];
  const start = (mode: string, o: ChildRunOptions = {}, onProgress?: (p: Progress) => void): Promise<ChildResult<Progress>> => {
    const r = runQueryChild<Progress>(ROOT, [FIXTURE, bootstrap ?? broker.bootstrap, impressions, clicks, cp, out, String(MAX_OFFSETS), mode], { ...process.env },
      { ...o, onSpawn: (c) => { kills.push(c.kill); o.onSpawn?.(c); } }, CHILD_TIMEOUT_MS, onProgress);
    runs.push(r);
    return r;
  };
  /** Until DuckDB sees `n` pairs, or the wait runs out. */
  const until = async (n: number): Promise<void> => {
    const end = Date.now() + WAIT_MS;
    while ((await pairs(out)).length < n && Date.now() < end) await sleep(1000);
  };
  /** Until DuckDB sees `n` pairs (or the wait runs out), then 3 s more for any duplicate to show; then kill every worker. */
  const settle = async (n = expected.length): Promise<ChildResult<Progress>[]> => {
    await until(n);
    await sleep(3000);
    for (const k of kills) k();
    return Promise.all(runs);
  };
  return { cp, out, queryId, impressions, clicks, start, until, settle };
}

const tasksOf = (r: ChildResult<Progress>): string[] => [...new Set(r.progress.map((p) => p.task!))].sort();
const stageTasks = (stage: number, n: number) => Array.from({ length: n }, (_, p) => `${stage}_${p}`);

describe('scale-out: a stream-stream join as tasks of both sides\' upstream stages and the join\'s stage, in worker processes', () => {
  it('1 worker and 3 workers write every pair once', async () => {
    const one = await scaleOutRun();
    void one.start('0/1');
    const oneRuns = await one.settle();
    expect(await pairs(one.out), oneRuns.map(describeRun).join('\n')).toEqual(expected);
    expect(tasksOf(oneRuns[0]!)).toEqual([...stageTasks(0, IMPRESSION_PARTITIONS), ...stageTasks(1, CLICK_PARTITIONS), ...stageTasks(2, SHUFFLE_PARTITIONS)]);
    // Each side's stage over its own input and partition count; the join's stage over both repartition topics.
    const layout = JSON.parse(readFileSync(path.join(one.cp, 'scale-out'), 'utf8')) as { stages: unknown[] };
    expect(layout.stages).toEqual([
      { stage: 0, tasks: IMPRESSION_PARTITIONS, input: { [one.impressions]: IMPRESSION_PARTITIONS } },
      { stage: 1, tasks: CLICK_PARTITIONS, input: { [one.clicks]: CLICK_PARTITIONS } },
      { stage: 2, tasks: SHUFFLE_PARTITIONS, input: { [repartitionTopic(one.queryId, 0)]: SHUFFLE_PARTITIONS, [repartitionTopic(one.queryId, 1)]: SHUFFLE_PARTITIONS } },
    ]);

    const three = await scaleOutRun();
    for (const mode of ['0/3', '1/3', '2/3']) void three.start(mode);
    const threeRuns = await three.settle();
    expect(await pairs(three.out), threeRuns.map(describeRun).join('\n')).toEqual(expected);
    // The fixed split deals the 10 tasks round robin: worker 1 runs tasks of all three stages.
    expect(tasksOf(threeRuns[1]!)).toEqual(['0_1', '1_0', '2_1']);
  }, 900_000);

  // Through tools/kafka-front, as in scale-out-windowed.test.ts: a kill can land inside an upstream task's Kafka
  // transaction, and only the front holds open and aborted transactional records back from read_committed readers.
  it('3 workers of the group, one SIGKILLed mid-run: the others take its tasks over; every pair once', async () => {
    const front = await startFront({ broker });
    onTestFinished(() => front.stop());
    const r = await scaleOutRun(front.bootstrap);
    // Killed at its first batch of a second wave of rows, produced once the first wave's pairs are out (so the group
    // has dealt the tasks out and every task has work again): the survivors then run the rest of its tasks' wave.
    // The second wave comes as waves of 80 rows while it lives, each once the last one's pairs are out and a second
    // has passed: a worker that joined the group late (a slow start; CI once saw one join after the others had run
    // every row) gets its batch from a later wave, where it would otherwise wait for rows forever. At most 60 waves:
    // with the last wave below, the rows' event times then span 280 s, less than the watermark delay.
    let kill: (() => void) | null = null, armed = false, gone = false;
    const dying = r.start('group', { onSpawn: (c) => { kill = c.kill; } }, () => { if (armed) kill?.(); });
    void dying.then(() => { gone = true; });
    const survivors = [r.start('group'), r.start('group')];
    await r.until(expected.length);
    armed = true;
    let produced = ROWS;
    for (let wave = 0; !gone && wave < 60; wave++) {
      await produceRows(r.impressions, r.clicks, produced, produced + 80);
      produced += 80;
      await Promise.race([dying, Promise.all([r.until(pairsOf(produced).length), sleep(1000)])]);
    }
    if (!gone) throw new Error(`the worker to be killed ran no batch in 60 waves: ${(await r.settle(0)).map(describeRun).join('\n')}`);
    const killed = await dying;
    expect(killed.signal, describeRun(killed)).toBe('SIGKILL');
    expect(killed.killedByParent, describeRun(killed)).toBe(true);
    // A wave after the kill gives each task rows to run after the takeover: the killed worker may have
    // committed some of its tasks' last wave before it died, leaving them nothing to run again.
    await produceRows(r.impressions, r.clicks, produced, produced + ROWS);
    const all = pairsOf(produced + ROWS);
    const runs = await r.settle(all.length);
    expect(await pairs(r.out), runs.map(describeRun).join('\n')).toEqual(all);
    // What the killed worker owned when it died ran again in the survivors, in a later generation.
    expect(killed.progress.length, describeRun(killed)).toBeGreaterThan(0);
    const last = killed.progress.at(-1)!;
    const lost = new Set(last.owned);
    const after = (await Promise.all(survivors)).flatMap((s) => s.progress).filter((p) => lost.has(p.task!) && p.generation! > last.generation!);
    expect(lost.size).toBeGreaterThan(0);
    expect(new Set(after.map((p) => p.task))).toEqual(lost);
  }, 900_000);
});
