// Nexmark's stateful queries through real process crashes (issue 14: "check it ... after SIGKILLs").
//
// test/fixtures/nexmark-query.ts runs format('nexmark') -> q5's windowed counts (10 s every 2 s),
// q11's sessions, or q8's join of persons with auctions then aggregation -> append to Parquet
// (availableNow, 1700 events a batch, a state snapshot every 2 versions) in a child process. The
// child is SIGKILLed at each phase of the trigger loop (SLUICE_TEST_CRASH_AT), then by the parent
// at seeded random moments, then run to the end. The source's offsets are event numbers, so the
// batches re-run after a crash are the same events.
// At the end the Parquet output must equal DuckDB's batch SQL over the generator's bids minus the
// late pairs, each (key, window) once: the model replays the batches as the offset log records
// them (event ranges and the watermark each batch ran with). q5's event times are shuffled within
// groups wider than the watermark delay, so rows are late, and late the same way across crashes.
//
// q7 (a window max joined back to the bids: two stateful operators, one on a join side) runs over
// the shuffled times too; q9 (transformWithState with event-time timers) in order.
//
// NEXMARK_CRASH_SEED=<n> replays another random schedule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';
import { runQueryChild, type ChildRunOptions } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';
import {
  DELAY_MS, actualQ7, actualQ8, actualQ11, auctionsOf, expectedQ7, expectedQ8, expectedQ9, lateByTime, lines, personsAndAuctions, bidsOf, defaultConfig, expectedQ11, expectedQ5, iso, jsonFile,
  parquet, replayWindows, type BidEv, type RanBatch,
} from './support/nexmark-oracle.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/nexmark-query.ts', import.meta.url));
const SEED = Number(process.env.NEXMARK_CRASH_SEED ?? 1_414);
const BASE_TIME = Date.UTC(2024, 5, 1, 12, 0, 0);
// Batches of 1700 events straddle the 3000-event groups of shuffled times: a group's early times come a batch late.
const N = 16_000, EPS = 200, PER_TRIGGER = 1_700;
const CHILD_TIMEOUT_MS = 60_000;

let tmp: string;
beforeAll(() => { tmp = tmpDir('nexmark-crash'); });
afterAll(async () => { await fs.rm(tmp, { recursive: true, force: true }); });

interface Progress { batchId: number; numInputRows: number; watermark: string; dropped?: number }

/** Runs the query child until it ends by itself: phase kills first, then random kills. */
/** Every phase of the trigger loop; the later queries take two of them (the harness is the same, and CI time counts). */
const ALL_PHASES = [['afterOffsetLog', 0], ['beforeSink', 2], ['beforeCommit', 3], ['afterCommit', 4], ['beforeSink', 6]] as const;
const TWO_PHASES = [['beforeSink', 2], ['afterCommit', 4]] as const;

async function crashAndFinish(query: string, dir: string, opts: Record<string, number>, phases: readonly (readonly [string, number])[] = ALL_PHASES, randomKills = 2): Promise<string[]> {
  const rng = mulberry32(SEED ^ query.length);
  const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  const env = { ...process.env, NEXMARK_OPTIONS: JSON.stringify(opts) };
  const log: string[] = [];
  const run = async (o: ChildRunOptions, label: string): Promise<boolean> => {
    const r = await runQueryChild<Progress>(ROOT, [FIXTURE, query, cp, out], env, o, CHILD_TIMEOUT_MS);
    log.push(`${label}: ${r.done ? 'done' : r.signal ?? r.code} after batches [${r.progress.map((p) => p.batchId).join(',')}] in ${r.ms} ms`);
    // A parent's kill may land after the child printed done, before it exited.
    if (r.done) { expect(r.code === 0 || r.killedByParent, `${label}: exit code ${r.code}\n${r.stderr}`).toBe(true); return true; }
    expect(r.signal, `${label}: killed, not failed\n${r.stderr}`).toBe('SIGKILL');
    return false;
  };
  for (const [phase, batch] of phases) {
    expect(await run({ crashAt: `${phase}:${batch}` }, `${phase}:${batch}`), `${phase}:${batch} ended the query before the kill`).toBe(false);
  }
  for (let i = 0; i < randomKills; i++) {
    const n = randInt(rng, 1, 2), delayMs = randInt(rng, 0, 250);
    if (await run({ killAfterProgress: { n, delayMs } }, `random kill ${i} (${n} batches + ${delayMs} ms)`)) return log;
  }
  expect(await run({}, 'to the end'), log.join('\n')).toBe(true);
  return log;
}

/** The batches as the offset log records them: each one's event range and the watermark it ran with. */
async function batchesOf(cp: string, bids: readonly BidEv[]): Promise<RanBatch[]> {
  const ids = (await fs.readdir(path.join(cp, 'offsets'))).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
  expect(ids[0], 'the offset log still starts at batch 0').toBe(0);
  let prev = 0;
  const out: RanBatch[] = [];
  for (const id of ids) {
    const lines = (await fs.readFile(path.join(cp, 'offsets', String(id)), 'utf8')).split('\n');
    const watermarkMs = (JSON.parse(lines[1]!) as { batchWatermarkMs: number }).batchWatermarkMs;
    const end = (JSON.parse(lines[2]!) as { events: number }).events;
    out.push({ id, bids: bids.filter((b) => b.k >= prev && b.k < end), watermarkMs });
    prev = end;
  }
  expect(prev, 'every event was read').toBe(N);
  return out;
}

describe('nexmark stateful queries after SIGKILLs: the Parquet output == DuckDB minus the late rows, each row once', () => {
  it('q5 windowed counts, event times shuffled within 3000 events (late rows)', async () => {
    const dir = path.join(tmp, 'q5');
    const opts = { totalEvents: N, eventsPerSecond: EPS, maxEventsPerTrigger: PER_TRIGGER, seed: SEED, baseTime: BASE_TIME, outOfOrderGroupSize: 3_000 };
    const log = await crashAndFinish('q5', dir, opts);
    const bids = bidsOf({ ...defaultConfig, seed: SEED, eventsPerSecond: EPS, outOfOrderGroupSize: 3_000 }, N, BASE_TIME);
    const { late, finalW } = replayWindows(await batchesOf(path.join(dir, 'cp'), bids), 10_000, 2_000);
    expect(late.length, 'late pairs').toBeGreaterThan(0);
    const exp = await expectedQ5(await jsonFile(dir, 'bids.json', bids), await jsonFile(dir, 'late.json', [{ k: -1, wstart: -1 }, ...late]), finalW);
    const act = await duckQuery(`SELECT auction, num, epoch_ms(starttime) AS s FROM ${parquet(path.join(dir, 'out'))}`);
    const got = act.map((r) => `${r.auction}|${r.num}|${iso(Number(r.s))}`).sort();
    expect(new Set(got.map((l) => l.split('|').filter((_, i) => i !== 1).join('|'))).size, 'each (auction, window) once').toBe(got.length);
    expect(got, log.join('\n')).toEqual(exp.counts);
    console.log(`nexmark-crash q5 (seed ${SEED}): ${got.length} windows, ${late.length} late pairs\n  ${log.join('\n  ')}`);
  }, 600_000);

  it('q11 sessions, event times in order', async () => {
    const dir = path.join(tmp, 'q11');
    const opts = { totalEvents: N, eventsPerSecond: EPS, maxEventsPerTrigger: PER_TRIGGER, seed: SEED, baseTime: BASE_TIME };
    const log = await crashAndFinish('q11', dir, opts);
    const bids = bidsOf({ ...defaultConfig, seed: SEED, eventsPerSecond: EPS }, N, BASE_TIME);
    const batches = await batchesOf(path.join(dir, 'cp'), bids);
    const finalW = Math.max(...bids.map((b) => b.t)) - DELAY_MS;
    expect(iso(batches.at(-1)!.watermarkMs)).toBe(iso(finalW));
    const exp = await expectedQ11(await jsonFile(dir, 'bids.json', bids), finalW);
    const got = await actualQ11(path.join(dir, 'out'));
    expect(exp.length, 'sessions closed').toBeGreaterThan(20);
    expect(got, log.join('\n')).toEqual(exp);
    console.log(`nexmark-crash q11 (seed ${SEED}): ${got.length} sessions\n  ${log.join('\n  ')}`);
  }, 600_000);

  it('q8 new users (a join, then an aggregation), event times in order', async () => {
    const dir = path.join(tmp, 'q8');
    const opts = { totalEvents: N, eventsPerSecond: EPS, maxEventsPerTrigger: PER_TRIGGER, seed: SEED, baseTime: BASE_TIME };
    const log = await crashAndFinish('q8', dir, opts);
    // The last batch's watermark, from the offset log: the windows it passed are out, each once.
    const ids = (await fs.readdir(path.join(dir, 'cp', 'offsets'))).filter((f) => /^\d+$/.test(f)).map(Number);
    const lastLog = (await fs.readFile(path.join(dir, 'cp', 'offsets', String(Math.max(...ids))), 'utf8')).split('\n');
    const finalW = (JSON.parse(lastLog[1]!) as { batchWatermarkMs: number }).batchWatermarkMs;
    const exp = await expectedQ8(await personsAndAuctions(dir, { ...defaultConfig, seed: SEED, eventsPerSecond: EPS }, N, BASE_TIME), finalW);
    const got = await actualQ8(path.join(dir, 'out'));
    expect(exp.length, 'new users found').toBeGreaterThan(5);
    expect(got, log.join('\n')).toEqual(exp);
    console.log(`nexmark-crash q8 (seed ${SEED}): ${got.length} (person, window) rows, final watermark ${iso(finalW)}\n  ${log.join('\n  ')}`);
  }, 600_000);

  it('q7 highest bid (a window max joined back to the bids), event times shuffled within 3000 events', async () => {
    const dir = path.join(tmp, 'q7');
    const opts = { totalEvents: N, eventsPerSecond: EPS, maxEventsPerTrigger: PER_TRIGGER, seed: SEED, baseTime: BASE_TIME, outOfOrderGroupSize: 3_000 };
    const log = await crashAndFinish('q7', dir, opts, TWO_PHASES, 1);
    const bids = bidsOf({ ...defaultConfig, seed: SEED, eventsPerSecond: EPS, outOfOrderGroupSize: 3_000 }, N, BASE_TIME);
    const batches = await batchesOf(path.join(dir, 'cp'), bids);
    const { late: aggLate, finalW } = replayWindows(batches, 10_000, 10_000);
    const joinLate = lateByTime(batches);
    expect(joinLate.length, 'late bids').toBeGreaterThan(0);
    const exp = await expectedQ7(await jsonFile(dir, 'bids.json', bids), await jsonFile(dir, 'agg-late.json', [{ k: -1, wstart: -1 }, ...aggLate]),
      await jsonFile(dir, 'join-late.json', [{ k: -1 }, ...joinLate.map((k) => ({ k }))]), finalW);
    expect(exp.length, 'windows closed').toBeGreaterThanOrEqual(5);
    const got = await actualQ7(path.join(dir, 'out'));
    expect(got, log.join('\n')).toEqual(exp);
    console.log(`nexmark-crash q7 (seed ${SEED}): ${got.length} top bids, ${joinLate.length} late bids\n  ${log.join('\n  ')}`);
  }, 600_000);

  it('q9 winning bids (transformWithState, event-time timers at each auction\'s expiry), event times in order', async () => {
    const dir = path.join(tmp, 'q9');
    const opts = { totalEvents: N, eventsPerSecond: EPS, maxEventsPerTrigger: PER_TRIGGER, seed: SEED, baseTime: BASE_TIME };
    const log = await crashAndFinish('q9', dir, opts, TWO_PHASES, 1);
    const cfg = { ...defaultConfig, seed: SEED, eventsPerSecond: EPS };
    const bids = bidsOf(cfg, N, BASE_TIME), auctions = auctionsOf(cfg, N, BASE_TIME);
    const finalW = Math.max(...bids.map((b) => b.t), ...auctions.map((a) => a.t)) - DELAY_MS;
    const exp = await expectedQ9(await jsonFile(dir, 'bids.json', bids), await jsonFile(dir, 'auctions.json', auctions), await jsonFile(dir, 'late.json', [{ k: -1 }]), finalW);
    const cols = ['id', 'category', 'expires', 'bidder', 'price', 't'];
    const got = lines(await duckQuery(`SELECT id, category, epoch_ms(expires) AS expires, bidder, price, epoch_ms(bid_dateTime) AS t FROM ${parquet(path.join(dir, 'out'))}`), cols);
    expect(exp.length, 'auctions expired with a winner').toBeGreaterThan(50);
    expect(got, log.join('\n')).toEqual(lines(exp, cols));
    console.log(`nexmark-crash q9 (seed ${SEED}): ${got.length} winning bids\n  ${log.join('\n  ')}`);
  }, 600_000);
});
