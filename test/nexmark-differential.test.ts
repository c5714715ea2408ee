// Nexmark (issue 14): the generator's spec facts, and the queries of examples/nexmark/queries.ts
// checked against DuckDB's batch SQL over the same events, minus exactly the rows the watermark
// makes late (as test/event-time-differential.test.ts), over format('nexmark') and over Kafka JSON
// (the test broker, 3 partitions). test/nexmark-crash.test.ts does the same after SIGKILLs.
//
// The oracle's events come from the generator called directly (generateEvents), written as JSON
// lines for DuckDB. Over format('nexmark') the batches' event ranges are the progress' start/end
// offsets (event numbers), so a model replays them: the watermark W(N) of each batch (max bid time
// seen before it − 4 s), which (bid, window) pairs are late (window end <= the previous batch's
// watermark, Spark's rule), and what is closed at the end (window end <= the last W). The
// generator's outOfOrderGroupSize shuffles event times within groups wider than the watermark
// delay, and the batches cut those groups, so q5 has late rows to drop.
//
// NEXMARK_SEED=<n> replays another seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Session, type DataFrame, type StreamingQueryProgress } from '../src/index.ts';
import { NexmarkTimeline, generateEvents } from '../src/sources/nexmark/nexmark-generator.ts';
import { nexmarkSource } from '../src/sources/nexmark/nexmark-source.ts';
import { toArrowTable } from '../src/data/batch.ts';
import { queries, hotItems } from '../examples/nexmark/queries.ts';
import { nexmarkFromKafka, nexmarkToKafka } from '../examples/nexmark/to-kafka.ts';
import { duckQuery } from './support/duck.ts';
import {
  DELAY_MS, actualQ7, actualQ8, actualQ11, auctionsOf as auctionsAt, expectedQ7, expectedQ8, expectedQ9, lateByTime, personsAndAuctions, bidsOf as bidsAt, bidsSql, defaultConfig, expectedQ11, expectedQ5, iso, jsonFile as jsonIn, lines, parquet,
  replayWindows, sqlStr, eventsJson, type BidEv, type RanBatch,
} from './support/nexmark-oracle.ts';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { kcatRecords } from './support/kcat.ts';
import { tmpDir } from './support/tmp.ts';

const SEED = Number(process.env.NEXMARK_SEED ?? 4_242);
const BASE_TIME = Date.UTC(2024, 2, 1, 9, 0, 0);
const session = Session.builder().appName('nexmark-differential').getOrCreate();

let tmp: string;
beforeAll(() => { tmp = tmpDir('nexmark-diff'); });
afterAll(async () => { await fs.rm(tmp, { recursive: true, force: true }); });


// ---- running a query -------------------------------------------------------------------------

interface Run { progress: StreamingQueryProgress[]; rows: Record<string, unknown>[] }

/** The query to Parquet (or, with perBatch, through foreachBatch), availableNow, one run. */
async function runToParquet(df: DataFrame, name: string, out: string): Promise<StreamingQueryProgress[]> {
  const q = await df.writeStream.format('parquet').outputMode('append').option('checkpointLocation', path.join(tmp, `${name}-cp`))
    .trigger({ availableNow: true }).start(out);
  await q.awaitTermination();
  expect(q.exception(), name).toBeNull();
  return q.recentProgress;
}

/** The nexmark source with these options. */
function nexmark(opts: Record<string, string | number>): DataFrame {
  return session.readStream.format('nexmark').options({ baseTime: BASE_TIME, seed: SEED, ...opts }).load();
}

const rangeOf = (p: StreamingQueryProgress): [number, number] =>
  [(p.sources[0]!.startOffset as { events?: number } | null)?.events ?? 0, (p.sources[0]!.endOffset as { events: number }).events];

const bidsOf = (config: Parameters<typeof bidsAt>[0], n: number): BidEv[] => bidsAt(config, n, BASE_TIME);
const jsonFile = (name: string, rows: readonly object[]): Promise<string> => jsonIn(tmp, name, rows);
const dropped = (p: StreamingQueryProgress): number => (p.stateOperators[0] as { numRowsDroppedByWatermark?: number } | undefined)?.numRowsDroppedByWatermark ?? 0;
/** Progress records as the model's batches, with `bidsIn` picking each batch's bids. */
const ran = (progress: readonly StreamingQueryProgress[], bidsIn: (p: StreamingQueryProgress) => readonly BidEv[]): RanBatch[] =>
  progress.map((p) => ({ id: p.batchId, bids: bidsIn(p), watermarkMs: Date.parse(p.eventTime.watermark!), dropped: dropped(p) }));

// ---- the generator -----------------------------------------------------------------------------

describe('nexmark generator', () => {
  const cfg = { ...defaultConfig, seed: SEED };
  const tl = new NexmarkTimeline(cfg, BASE_TIME);
  const json = (from: number, to: number): unknown[] => eventsJson(tl, from, to);

  it('is deterministic by seed and by event number: any range is the same events, however it is cut', () => {
    const whole = json(0, 700);
    expect([...json(0, 123), ...json(123, 500), ...json(500, 700)]).toEqual(whole);
    expect(json(0, 700)).toEqual(whole);
    const other = new NexmarkTimeline({ ...cfg, seed: SEED + 1 }, BASE_TIME);
    const otherJson = eventsJson(other, 0, 700);
    expect(otherJson.filter((x, i) => x === whole[i]).length, 'another seed, other events').toBeLessThan(10);
  });

  it('follows the spec: 1:3:46 kinds, event times 1e6/rate µs apart, ids from 1000, categories 10..14, prices, names, cities', async () => {
    const n = 50_000;
    const t = toArrowTable(generateEvents(tl, 0, n));
    const type = t.getChild('event_type')!.toArray() as Int32Array;
    const kinds = [0, 0, 0];
    for (const k of type) kinds[k]!++;
    expect(kinds).toEqual([1_000, 3_000, 46_000]);
    const dt = t.getChild('dateTime')!;
    // 10 000 events/s: 100 µs apart, so event k is at base + floor(k / 10) ms.
    for (const k of [0, 9, 10, 12_345, 49_999]) expect(Number(dt.get(k)), `event ${k}`).toBe(BASE_TIME + Math.floor(k / 10));
    const f = await jsonFile('spec.json', t.toArray().map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_k, v) => typeof v === 'bigint' ? Number(v) : v))));
    const [s] = await duckQuery(`WITH e AS (SELECT * FROM read_json(${sqlStr(f)}, format = 'newline_delimited'))
      SELECT
        (SELECT count(DISTINCT person.id) FROM e WHERE event_type = 0) AS persons, (SELECT min(person.id) FROM e) AS first_person,
        (SELECT max(person.id) FROM e) AS last_person,
        (SELECT count(DISTINCT auction.id) FROM e WHERE event_type = 1) AS auctions, (SELECT min(auction.id) FROM e) AS first_auction,
        (SELECT list(DISTINCT auction.category ORDER BY auction.category) FROM e WHERE event_type = 1) AS categories,
        (SELECT count(*) FROM e WHERE event_type = 1 AND (auction.reserve < auction.initialBid OR auction.expires <= auction.dateTime)) AS bad_auctions,
        (SELECT min(bid.price) FROM e) AS min_price, (SELECT max(bid.price) FROM e) AS max_price,
        (SELECT count(*) FROM e WHERE event_type = 2 AND (bid.auction > 1000 + 3 * (${n} / 50) + 10 OR bid.bidder > 1000 + ${n} / 50 + 10)) AS ids_ahead,
        (SELECT count(*) FROM e WHERE event_type = 2 AND bid.channel IN ('Google', 'Facebook', 'Baidu', 'Apple')) AS hot_channel_bids,
        (SELECT count(*) FROM e WHERE event_type = 0 AND (person.state NOT IN ('AZ','CA','ID','OR','WA','WY')
          OR person.city NOT IN ('Phoenix','Los Angeles','San Francisco','Boise','Portland','Bend','Redmond','Seattle','Kent','Cheyenne')
          OR NOT regexp_matches(person.creditCard, '^\\d{4} \\d{4} \\d{4} \\d{4}$') OR NOT person.emailAddress LIKE '%@%.com')) AS bad_persons,
        (SELECT avg(length(bid.extra)) + 32 FROM e WHERE event_type = 2) AS bid_bytes,
        (SELECT count(*) FROM e WHERE (event_type = 0) <> (person IS NOT NULL) OR (event_type = 2) <> (bid IS NOT NULL)) AS wrong_struct`);
    expect(s).toMatchObject({ persons: 1_000n, first_person: 1000n, last_person: 1999n, auctions: 3_000n, first_auction: 1000n, bad_auctions: 0n, ids_ahead: 0n, bad_persons: 0n, wrong_struct: 0n });
    expect((s!.categories as unknown[]).map(Number)).toEqual([10, 11, 12, 13, 14]);
    // Prices are round(10^(6u) * 100): 100 .. 100 000 000, log-uniform.
    expect(Number(s!.min_price)).toBeGreaterThanOrEqual(100);
    expect(Number(s!.max_price)).toBeLessThanOrEqual(100_000_000);
    // Half the bids are on the four hot channels (HOT_CHANNELS_RATIO 2), and a bid averages 100 bytes.
    expect(Number(s!.hot_channel_bids) / 46_000).toBeCloseTo(0.5, 1);
    expect(Number(s!.bid_bytes)).toBeCloseTo(100, -1);
  });
});

describe('nexmark source options', () => {
  it('refuses a bad option at load(), naming it and what it takes', () => {
    const load = (k: string, v: string): unknown => session.readStream.format('nexmark').option(k, v).load();
    expect(() => load('eventsPerSecond', '0')).toThrow(/nexmark source option 'eventsPerSecond' must be a whole number >= 1, got '0'/);
    expect(() => load('totalEvents', '1.5')).toThrow(/'totalEvents' must be a whole number >= 0/);
    expect(() => load('baseTime', 'yesterday')).toThrow(/'baseTime' must be ms since the epoch or an ISO timestamp, got 'yesterday'/);
    expect(() => load('rateLimited', 'yes')).toThrow(/'rateLimited' must be true or false/);
    expect(() => load('eventsPerSec', '10')).toThrow(/eventsPerSec/);
  });

  it('rateLimited: only the events whose time the wall clock has reached; availableNow reads those due at its start', async () => {
    const base = Date.now() - 3_000, before = Date.now();
    const q = await session.readStream.format('nexmark').options({ rateLimited: true, eventsPerSecond: 1_000, baseTime: base }).load()
      .select('event_type').writeStream.format('memory').queryName('nexmark_rate').trigger({ availableNow: true }).start();
    await q.awaitTermination();
    expect(q.exception()).toBeNull();
    const read = q.recentProgress.reduce((n, p) => n + p.numInputRows, 0);
    // 1000 events a second from 3 s ago: event k is due at base + k ms.
    expect(read).toBeGreaterThanOrEqual(before - base);
    expect(read).toBeLessThanOrEqual(Date.now() - base + 1);
  });

  it('two open sources of one config (a self-join) share each chunk until both read it; one source keeps none', async () => {
    const opts = new Map([['seed', '7'], ['baseTime', '0'], ['totalEvents', '1000']]);
    const a = nexmarkSource.create({ options: opts }), b = nexmarkSource.create({ options: opts });
    const [x] = await a.getBatch({ events: 0, baseTime: 0 }, { events: 100, baseTime: 0 });
    const [y] = await b.getBatch({ events: 0, baseTime: 0 }, { events: 100, baseTime: 0 });
    expect(y).toBe(x);
    const [z] = await a.getBatch({ events: 0, baseTime: 0 }, { events: 100, baseTime: 0 });
    expect(z, 'read by both: no longer kept').not.toBe(x);
    expect(toArrowTable(z!).toArray().map((r) => r.toJSON())).toEqual(toArrowTable(x!).toArray().map((r) => r.toJSON()));
    await b.stop();
    const [u] = await a.getBatch({ events: 100, baseTime: 0 }, { events: 200, baseTime: 0 });
    const [v] = await a.getBatch({ events: 100, baseTime: 0 }, { events: 200, baseTime: 0 });
    expect(v, 'one open source: nothing kept').not.toBe(u);
    await a.stop();
  });
});

// ---- the queries over format('nexmark') -------------------------------------------------------

describe('nexmark queries == DuckDB over the same events (format nexmark)', () => {
  const N = 24_000;
  // 200 events/s: 120 s of event time, so 10 s windows close; batches of 1700 events.
  const inOrder = { totalEvents: N, eventsPerSecond: 200, maxEventsPerTrigger: 1_700 };
  let bidsFile: string, bids: BidEv[];
  beforeAll(async () => {
    bids = bidsOf({ ...defaultConfig, seed: SEED, eventsPerSecond: 200 }, N);
    bidsFile = await jsonFile('bids.json', bids);
  });

  it('q0 (pass-through), q1 (currency) and q2 (selection): every bid, once, with its values', async () => {
    const outs = { q0: path.join(tmp, 'q0'), q1: path.join(tmp, 'q1'), q2: path.join(tmp, 'q2') };
    for (const [name, out] of Object.entries(outs)) await runToParquet(queries[name]!.build(nexmark(inOrder)), name, out);
    const exp0 = await duckQuery(`SELECT auction, bidder, price, t, extra FROM ${bidsSql(bidsFile)}`);
    const act0 = await duckQuery(`SELECT auction, bidder, price, epoch_ms("dateTime") AS t, extra FROM ${parquet(outs.q0)}`);
    expect(act0.length).toBe(bids.length);
    expect(lines(act0, ['auction', 'bidder', 'price', 't', 'extra'])).toEqual(lines(exp0, ['auction', 'bidder', 'price', 't', 'extra']));
    // q1 is exact: Spark's decimal(24,3) (Flink's DECIMAL(23,3)), compared digit for digit with DuckDB's 0.908 * price.
    const exp1 = await duckQuery(`SELECT auction, bidder, CAST(0.908 * price AS VARCHAR) AS price, t FROM ${bidsSql(bidsFile)}`);
    const act1 = await duckQuery(`SELECT auction, bidder, CAST(price AS VARCHAR) AS price, epoch_ms("dateTime") AS t FROM ${parquet(outs.q1)}`);
    const [q1Type] = await duckQuery(`SELECT typeof(price) AS t FROM ${parquet(outs.q1)} LIMIT 1`);
    expect(q1Type!.t).toBe('DECIMAL(24,3)');
    expect(lines(act1, ['auction', 'bidder', 'price', 't'])).toEqual(lines(exp1, ['auction', 'bidder', 'price', 't']));
    const exp2 = await duckQuery(`SELECT auction, price FROM ${bidsSql(bidsFile)} WHERE auction % 123 = 0`);
    const act2 = await duckQuery(`SELECT auction, price FROM ${parquet(outs.q2)}`);
    expect(exp2.length, 'q2 selects some bids').toBeGreaterThan(0);
    expect(lines(act2, ['auction', 'price'])).toEqual(lines(exp2, ['auction', 'price']));
  }, 120_000);

  it('q5 (hot items): counts per sliding window minus the late pairs, and the top auctions of each window', async () => {
    // Event times shuffled within groups of 3000 events (15 s at 200/s), far more than the 4 s delay.
    const cfg = { ...defaultConfig, seed: SEED, eventsPerSecond: 200, outOfOrderGroupSize: 3_000 };
    const shuffled = bidsOf(cfg, N);
    const file = await jsonFile('bids-shuffled.json', shuffled);
    const counts: Record<string, unknown>[] = [], hot: Record<string, unknown>[] = [];
    const q = await queries.q5!.build(nexmark({ ...inOrder, outOfOrderGroupSize: 3_000 })).writeStream.outputMode('append')
      .option('checkpointLocation', path.join(tmp, 'q5-cp')).trigger({ availableNow: true })
      .foreachBatch((df) => { counts.push(...df.collect()); hot.push(...hotItems(df)); }).start();
    await q.awaitTermination();
    expect(q.exception()).toBeNull();
    const inRange = (p: StreamingQueryProgress): BidEv[] => { const [s, e] = rangeOf(p); return shuffled.filter((b) => b.k >= s && b.k < e); };
    const { late, finalW } = replayWindows(ran(q.recentProgress, inRange), 10_000, 2_000);
    expect(late.length, 'the shuffled times make late pairs').toBeGreaterThan(0);
    const exp = await expectedQ5(file, await jsonFile('q5-late.json', [{ k: -1, wstart: -1 }, ...late]), finalW);
    const line = (r: Record<string, unknown>): string => `${r.auction}|${r.num}|${(r.starttime as Date).toISOString()}`;
    expect(exp.counts.length, 'windows closed').toBeGreaterThan(100);
    expect(counts.map(line).sort()).toEqual(exp.counts);
    expect(hot.map(line).sort()).toEqual(exp.hot);
  }, 120_000);

  it('q7 (highest bid: window max joined back to the bids): every top bid of each closed window, ties kept, minus what each operator drops as late', async () => {
    // 20 events/s: 1200 s of event time, so ~120 windows close. Times are shuffled within groups of
    // 900 events (45 s), batches of 400 events (20 s) cut the groups: the aggregation drops
    // bids of closed windows, the join bids at or before W(N-1).
    const cfg = { ...defaultConfig, seed: SEED, eventsPerSecond: 20, outOfOrderGroupSize: 900 };
    const shuffled = bidsOf(cfg, N);
    const file = await jsonFile('q7-bids.json', shuffled);
    const out = path.join(tmp, 'q7');
    const progress = await runToParquet(queries.q7!.build(nexmark({ ...inOrder, eventsPerSecond: 20, outOfOrderGroupSize: 900, maxEventsPerTrigger: 400 })), 'q7', out);
    const inRange = (p: StreamingQueryProgress): BidEv[] => { const [s, e] = rangeOf(p); return shuffled.filter((b) => b.k >= s && b.k < e); };
    const batches = ran(progress, inRange).map((b) => ({ ...b, dropped: undefined }));
    const { late: aggLate, finalW } = replayWindows(batches, 10_000, 10_000);
    const joinLate = lateByTime(batches);
    // stateOperators: the join (operator 0), then the aggregation on its right side (1).
    const droppedBy = (op: number): number => progress.reduce((n, p) => n + (p.stateOperators[op] as { numRowsDroppedByWatermark: number }).numRowsDroppedByWatermark, 0);
    expect(progress.at(-1)!.stateOperators.map((o) => (o as { operatorName: string }).operatorName)).toEqual(['symmetricHashJoin', 'stateStoreSave']);
    expect(aggLate.length, 'the shuffled times make late rows').toBeGreaterThan(0);
    expect(droppedBy(1), 'the aggregation drops the bids of closed windows').toBe(aggLate.length);
    expect(droppedBy(0), 'the join drops the bids at or before W(N-1)').toBe(joinLate.length);
    const exp = await expectedQ7(file, await jsonFile('q7-agg-late.json', [{ k: -1, wstart: -1 }, ...aggLate]),
      await jsonFile('q7-join-late.json', [{ k: -1 }, ...joinLate.map((k) => ({ k }))]), finalW);
    expect(exp.length, 'windows closed, one top bid each unless prices tie').toBeGreaterThan(100);
    expect(await actualQ7(out)).toEqual(exp);
  }, 180_000);

  it('q9 (winning bids, transformWithState per auction) and q4 (their average per category, update mode) == DuckDB minus the late events', async () => {
    // Shuffled as q7's, so bids come before their auction and auctions and bids come late.
    const opts = { ...inOrder, eventsPerSecond: 20, outOfOrderGroupSize: 900, maxEventsPerTrigger: 400 };
    const cfg = { ...defaultConfig, seed: SEED, eventsPerSecond: 20, outOfOrderGroupSize: 900 };
    const shuffledBids = bidsOf(cfg, N), shuffledAuctions = auctionsAt(cfg, N, BASE_TIME);
    const bidsF = await jsonFile('q9-bids.json', shuffledBids), auctionsF = await jsonFile('q9-auctions.json', shuffledAuctions);
    const events = [...shuffledBids, ...shuffledAuctions].sort((a, b) => a.k - b.k);
    const inRange = (p: StreamingQueryProgress): { k: number; t: number }[] => { const [s, e] = rangeOf(p); return events.filter((x) => x.k >= s && x.k < e); };

    const out9 = path.join(tmp, 'q9');
    const p9 = await runToParquet(queries.q9!.build(nexmark(opts)), 'q9', out9);
    const late = lateByTime(p9.map((p) => ({ bids: inRange(p) })));
    expect(late.length, 'the shuffled times make late events').toBeGreaterThan(0);
    expect(p9.reduce((n, p) => n + dropped(p), 0), 'transformWithState drops the events at or before W(N-1)').toBe(late.length);
    const finalW = Date.parse(p9.at(-1)!.eventTime.watermark!);
    const exp9 = await expectedQ9(bidsF, auctionsF, await jsonFile('q9-late.json', [{ k: -1 }, ...late.map((k) => ({ k }))]), finalW);
    expect(exp9.length, 'auctions expired with a winner').toBeGreaterThan(50);
    const act9 = await duckQuery(`SELECT id, category, epoch_ms(expires) AS expires, bidder, price, epoch_ms(bid_dateTime) AS t FROM ${parquet(out9)}`);
    const cols9 = ['id', 'category', 'expires', 'bidder', 'price', 't'];
    expect(lines(act9, cols9)).toEqual(lines(exp9, cols9));

    // q4: the last update of each category is the average of its winners so far.
    const last = new Map<string, number>();
    const q = await queries.q4!.build(nexmark(opts)).writeStream.outputMode('update').option('checkpointLocation', path.join(tmp, 'q4-cp'))
      .trigger({ availableNow: true }).foreachBatch((df) => { for (const r of df.collect()) last.set(String(r.category), Number(r.avg_price)); }).start();
    await q.awaitTermination();
    expect(q.exception()).toBeNull();
    expect(Date.parse(q.lastProgress!.eventTime.watermark!), 'q4 ran to the same watermark').toBe(finalW);
    const sums = new Map<string, { n: number; sum: number }>();
    for (const r of exp9) { const c = String(r.category), s = sums.get(c) ?? { n: 0, sum: 0 }; s.n++; s.sum += Number(r.price); sums.set(c, s); }
    expect([...last.keys()].sort()).toEqual([...sums.keys()].sort());
    for (const [c, s] of sums) expect(last.get(c), `category ${c}`).toBeCloseTo(s.sum / s.n, 6);
  }, 240_000);

  it('q11 (user sessions): every closed session of every bidder, nothing late with times in order', async () => {
    const out = path.join(tmp, 'q11');
    const progress = await runToParquet(queries.q11!.build(nexmark(inOrder)), 'q11', out);
    expect(progress.reduce((n, p) => n + dropped(p), 0)).toBe(0);
    const finalW = Math.max(...bids.map((b) => b.t)) - DELAY_MS;
    expect(progress.at(-1)!.eventTime.watermark).toBe(iso(finalW));
    const expected = await expectedQ11(bidsFile, finalW);
    expect(expected.length, 'sessions closed').toBeGreaterThan(20);
    expect(await actualQ11(out)).toEqual(expected);
  }, 120_000);

  it('q3 (local item suggestion, join) and q8 (new users, windowed join then aggregation) == DuckDB\'s joins of the persons and auctions', async () => {
    const tables = await personsAndAuctions(tmp, { ...defaultConfig, seed: SEED, eventsPerSecond: 200 }, N, BASE_TIME);
    const P = tables.persons, A = tables.auctions;

    const out3 = path.join(tmp, 'q3');
    await runToParquet(queries.q3!.build(nexmark(inOrder)), 'q3', out3);
    const exp3 = await duckQuery(`SELECT P.name, P.city, P.state, A.id FROM ${A} AS A JOIN ${P} AS P ON A.seller = P.id
      WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')`);
    expect(exp3.length, 'q3 finds sellers').toBeGreaterThan(10);
    expect(lines(await duckQuery(`SELECT * FROM ${parquet(out3)}`), ['name', 'city', 'state', 'id'])).toEqual(lines(exp3, ['name', 'city', 'state', 'id']));

    // q8: in order, nothing is late; the windows the join's output watermark (the query's, for a
    // join on a time key) passed by the last batch are out, each once.
    const out8 = path.join(tmp, 'q8');
    const p8 = await runToParquet(queries.q8!.build(nexmark(inOrder)), 'q8', out8);
    expect(p8.reduce((n, p) => n + (p.stateOperators as { numRowsDroppedByWatermark: number }[]).reduce((m, o) => m + o.numRowsDroppedByWatermark, 0), 0)).toBe(0);
    const finalW = Date.parse(p8.at(-1)!.eventTime.watermark!);
    const exp8 = await expectedQ8(tables, finalW);
    expect(exp8.length, 'q8 finds new sellers').toBeGreaterThan(5);
    const act8 = await actualQ8(out8);
    expect(act8).toEqual(exp8);
    console.log(`nexmark q3: ${exp3.length} rows; q8: ${act8.length} (person, window) rows over ${p8.length} batches`);
  }, 120_000);

  it('q12 (processing-time window): bids per bidder in the 10 s window of their batch time, windows the batch time passed', async () => {
    // Batch times come from the offset log; a second run after the next 10 s boundary closes the first run's windows.
    const out = path.join(tmp, 'q12'), cp = path.join(tmp, 'q12-cp'), half = 12_000;
    const run = async (total: number): Promise<StreamingQueryProgress[]> => {
      const q = await queries.q12!.build(nexmark({ ...inOrder, totalEvents: total })).writeStream.format('parquet').outputMode('append')
        .option('checkpointLocation', cp).trigger({ availableNow: true }).start(out);
      await q.awaitTermination();
      expect(q.exception()).toBeNull();
      return q.recentProgress;
    };
    const first = await run(half);
    await new Promise((r) => setTimeout(r, 10_000 - (Date.now() % 10_000) + 50));
    const progress = [...first, ...await run(N)];
    const batchTime = new Map<number, number>();
    for (const f of await fs.readdir(path.join(cp, 'offsets'))) {
      if (!/^\d+$/.test(f)) continue;
      const meta = JSON.parse((await fs.readFile(path.join(cp, 'offsets', f), 'utf8')).split('\n')[1]!) as { batchTimestampMs: number };
      batchTime.set(Number(f), meta.batchTimestampMs);
    }
    const pTime = new Map<number, number>();
    for (const p of progress) { const [s, e] = rangeOf(p); for (let k = s; k < e; k++) pTime.set(k, batchTime.get(p.batchId)!); }
    const finalW = Math.max(...batchTime.values());
    const f = await jsonFile('q12.json', bids.map((b) => ({ bidder: b.bidder, p: pTime.get(b.k)! })));
    const exp = await duckQuery(`SELECT bidder, count(*) AS n, p // 10000 * 10000 AS s FROM read_json(${sqlStr(f)}, format = 'newline_delimited', columns = {bidder: 'BIGINT', p: 'BIGINT'})
      GROUP BY bidder, s HAVING s + 10000 <= ${finalW}`);
    const act = await duckQuery(`SELECT bidder, bid_count AS n, epoch_ms(starttime) AS s FROM ${parquet(out)}`);
    expect(exp.length, 'the first run\'s windows closed').toBeGreaterThan(0);
    expect(lines(act, ['bidder', 'n', 's'])).toEqual(lines(exp, ['bidder', 'n', 's']));
  }, 120_000);
});

// ---- the queries over Kafka JSON --------------------------------------------------------------

describe('nexmark queries over Kafka JSON (3 partitions) == DuckDB over the same events', () => {
  let broker: TestBroker;
  afterAll(async () => { await broker?.stop(); });
  /** The topic the first case writes, for the cases after it. */
  let written: { topic: string; n: number; eps: number } | undefined;

  it('the events written by the Kafka sink and read back with from_json: q2, q5 counts with late rows, q11', async () => {
    broker = await startBroker();
    const topic = uniqueTopic('nexmark');
    await broker.createTopic(topic, 3);
    const N = 12_000, eps = 200;
    await nexmarkToKafka(session, {
      bootstrap: broker.bootstrap, topic, checkpoint: path.join(tmp, 'to-kafka-cp'),
      source: { totalEvents: N, eventsPerSecond: eps, seed: SEED, baseTime: BASE_TIME, maxEventsPerTrigger: 5_000 },
    });
    written = { topic, n: N, eps };
    const bids = bidsOf({ ...defaultConfig, seed: SEED, eventsPerSecond: eps }, N);
    const file = await jsonFile('kafka-bids.json', bids);
    const events = (): DataFrame => nexmarkFromKafka(session, broker.bootstrap, topic, 1_500);
    const finalW = Math.max(...bids.map((b) => b.t)) - DELAY_MS;

    const out2 = path.join(tmp, 'k-q2');
    await runToParquet(queries.q2!.build(events()), 'k-q2', out2);
    const exp2 = await duckQuery(`SELECT auction, price FROM ${bidsSql(file)} WHERE auction % 123 = 0`);
    expect(lines(await duckQuery(`SELECT auction, price FROM ${parquet(out2)}`), ['auction', 'price'])).toEqual(lines(exp2, ['auction', 'price']));

    // The sink puts unkeyed records on one partition in runs (the Java client's sticky partitioner),
    // so reading the three partitions side by side mixes times ~10 s apart: late rows, modelled from
    // each record's partition and offset (read back with kcat) and the progress' offsets.
    const records = await kcatRecords(broker.bootstrap, topic);
    expect(records.length, 'every event in the topic once').toBe(N);
    const kafkaBids: (BidEv & { p: number; o: number })[] = [];
    for (const r of records) {
      const e = JSON.parse(r.value!) as { event_type: number; bid?: Record<string, unknown> };
      if (e.event_type !== 2) continue;
      const b = e.bid!;
      kafkaBids.push({ k: r.partition * 1e7 + r.offset, p: r.partition, o: r.offset, auction: Number(b.auction), bidder: Number(b.bidder),
        price: Number(b.price), channel: b.channel as string, url: b.url as string, t: Date.parse(b.dateTime as string), extra: b.extra as string });
    }
    const key = (b: BidEv): string => `${b.auction}|${b.bidder}|${b.price}|${b.t}|${b.channel}|${b.url}|${b.extra}`;
    expect(kafkaBids.map(key).sort(), 'the bids read from Kafka are the generator\'s').toEqual(bids.map(key).sort());
    const kFile = await jsonFile('kafka-bids-po.json', kafkaBids);
    type Off = Record<string, Record<string, number>> | null;
    const off = (o: unknown, p: number): number => (o as Off)?.[topic]?.[String(p)] ?? 0;
    const inBatch = (pr: StreamingQueryProgress): BidEv[] =>
      kafkaBids.filter((b) => b.o >= off(pr.sources[0]!.startOffset, b.p) && b.o < off(pr.sources[0]!.endOffset, b.p));
    const out5 = path.join(tmp, 'k-q5');
    const p5 = await runToParquet(queries.q5!.build(events()), 'k-q5', out5);
    const { late, finalW: w5 } = replayWindows(ran(p5, inBatch), 10_000, 2_000);
    expect(late.length, 'partitions read side by side make late pairs').toBeGreaterThan(0);
    const exp5 = await expectedQ5(kFile, await jsonFile('k-late.json', [{ k: -1, wstart: -1 }, ...late]), w5);
    const act5 = await duckQuery(`SELECT auction, num, epoch_ms(starttime) AS s FROM ${parquet(out5)}`);
    expect(exp5.counts.length, 'windows closed').toBeGreaterThan(50);
    expect(act5.map((r) => `${r.auction}|${r.num}|${iso(Number(r.s))}`).sort()).toEqual(exp5.counts);

    // q11 in one batch (no maxOffsetsPerTrigger): the late-row model of sessions is
    // test/event-time-differential.test.ts's; here the path Kafka -> from_json -> session window is checked.
    const out11 = path.join(tmp, 'k-q11');
    const p11 = await runToParquet(queries.q11!.build(nexmarkFromKafka(session, broker.bootstrap, topic)), 'k-q11', out11);
    expect(p11.filter((p) => p.numInputRows > 0).length).toBe(1);
    expect(await actualQ11(out11)).toEqual(await expectedQ11(file, finalW));
  }, 240_000);

  it('q7, q9 and q4 over the same topic, in one batch (nothing late; the closing no-data batch emits the windows and expired auctions)', async () => {
    expect(written, 'the case above wrote the topic').toBeDefined();
    const { topic, n, eps } = written!;
    const cfg = { ...defaultConfig, seed: SEED, eventsPerSecond: eps };
    const bids = bidsOf(cfg, n), auctions = auctionsAt(cfg, n, BASE_TIME);
    const bidsF = await jsonFile('k2-bids.json', bids), auctionsF = await jsonFile('k2-auctions.json', auctions);
    const none = await jsonFile('k2-none.json', [{ k: -1, wstart: -1 }]);
    const events = (): DataFrame => nexmarkFromKafka(session, broker.bootstrap, topic);

    const out7 = path.join(tmp, 'k-q7');
    const p7 = await runToParquet(queries.q7!.build(events()), 'k-q7', out7);
    const w7 = Date.parse(p7.at(-1)!.eventTime.watermark!);
    expect(w7).toBe(Math.max(...bids.map((b) => b.t)) - DELAY_MS);
    const exp7 = await expectedQ7(bidsF, none, none, w7);
    expect(exp7.length, 'q7: 60 s of events close 5 windows').toBeGreaterThanOrEqual(5);
    expect(await actualQ7(out7)).toEqual(exp7);

    const out9 = path.join(tmp, 'k-q9');
    const p9 = await runToParquet(queries.q9!.build(events()), 'k-q9', out9);
    const w9 = Date.parse(p9.at(-1)!.eventTime.watermark!);
    expect(w9).toBe(Math.max(...bids.map((b) => b.t), ...auctions.map((a) => a.t)) - DELAY_MS);
    const exp9 = await expectedQ9(bidsF, auctionsF, none, w9);
    expect(exp9.length, 'q9: auctions expired with a winner').toBeGreaterThan(50);
    const cols9 = ['id', 'category', 'expires', 'bidder', 'price', 't'];
    expect(lines(await duckQuery(`SELECT id, category, epoch_ms(expires) AS expires, bidder, price, epoch_ms(bid_dateTime) AS t FROM ${parquet(out9)}`), cols9))
      .toEqual(lines(exp9, cols9));

    const last = new Map<string, number>();
    const q = await queries.q4!.build(events()).writeStream.outputMode('update').option('checkpointLocation', path.join(tmp, 'k-q4-cp'))
      .trigger({ availableNow: true }).foreachBatch((df) => { for (const r of df.collect()) last.set(String(r.category), Number(r.avg_price)); }).start();
    await q.awaitTermination();
    expect(q.exception()).toBeNull();
    const avg = new Map<string, number[]>();
    for (const r of exp9) avg.set(String(r.category), [...(avg.get(String(r.category)) ?? []), Number(r.price)]);
    expect([...last.keys()].sort()).toEqual([...avg.keys()].sort());
    for (const [c, ps] of avg) expect(last.get(c), `q4 category ${c}`).toBeCloseTo(ps.reduce((a, b) => a + b, 0) / ps.length, 6);
  }, 240_000);
});

