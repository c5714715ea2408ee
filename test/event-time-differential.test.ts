// Differential test of event-time aggregation (DESIGN §4 no-data batches, §6 watermark rules; issue 3,
// "What must be shown" item 2).
//
// Generated event streams (seeded PRNG: times on a 30-second grid, so window edges, exact gaps and
// end == watermark ties happen; out-of-order jitter; a share of very late events) are cut into
// batches of random sizes and run through tumbling, sliding and session-window aggregations in
// append mode to Parquet, with restarts (a new query on the same checkpoint) between the batches,
// several state snapshot intervals and a small minBatchesToRetain. Most cases use MemoryStream (batch
// boundaries chosen by the test); one reads a 3-partition Kafka topic with a random maxOffsetsPerTrigger
// (boundaries read back from the progress' start/end offsets).
//
// An independent model replays the batches: it carries the watermark W(N) (first batch 0; next =
// max(W, max event time seen − delay)), decides which (row, window) pairs are late (window end <=
// W(N-1); for sessions, as Spark: the event's own session end, event time + gap, <= W(N-1)), runs a no-data batch whenever the watermark has moved
// past the last batch's (Spark's shouldRunAnotherBatch, issue 12 item 2), and tracks the windows /
// sessions held in state to know which each batch closes (end <= W(N)). Every progress record is
// compared with it (batch id, input rows, watermark, numRowsDroppedByWatermark, output rows), and the
// union of the Parquet output must equal DuckDB's batch SQL over all events minus exactly the late
// pairs the model found. For sessions the model also says which events each session holds: Spark's
// late rule lets an event start a new session beside one already closed and written, which no
// batch query over the events would split, so DuckDB aggregates the model's groups. A final far-future event (its own user, excluded) closes every other window.
//
// EVENT_TIME_SEED=<n> replays another seed; SLUICE_KEEP_DIFF_DIR=1 keeps the directories.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  Session, MemoryStream, col, from_json, window, session_window, sum, count, types as T,
  type DataFrame, type StreamingQueryProgress,
} from '../src/index.ts';
import { duckQuery } from './support/duck.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { mulberry32, pick, randInt, type Rng } from './support/prng.ts';
import { tmpDir } from './support/tmp.ts';

const SEED = Number(process.env.EVENT_TIME_SEED ?? 7_310_519);
const MIN = 60_000;
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);
const SENTINEL_USER = 'zz-end';
/** Event times are multiples of this: window edges, exact session gaps and end == watermark ties happen often. */
const GRID = 30_000;

// ---- seeded PRNG (mulberry32) ------------------------------------------------------------------

/** Each case's own stream, so seeds n and n+1 do not share cases. */
const caseSeed = (offset: number): number => Math.imul(SEED ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(offset, 0x85ebca6b);

// ---- events ------------------------------------------------------------------------------------

interface Ev { id: number; user_id: string; t: number; amount: number }

/** Event times: a clock moving forward on a 30 s grid, jitter of -2..+1 min, and ~8% of events 3..25 min late. */
class EventGen {
  private clock = T0 + 20 * MIN;
  private nextId = 0;
  readonly all: Ev[] = [];
  constructor(private readonly rng: Rng, private readonly users: number) {}
  take(n: number): Ev[] {
    const out: Ev[] = [];
    for (let i = 0; i < n; i++) {
      this.clock += randInt(this.rng, 0, 2) * GRID;
      let t = this.clock + randInt(this.rng, -4, 2) * GRID;
      if (this.rng() < 0.08) t = this.clock - randInt(this.rng, 6, 50) * GRID;
      const e = { id: this.nextId++, user_id: `u${randInt(this.rng, 0, this.users - 1)}`, t, amount: randInt(this.rng, 1, 100) };
      out.push(e);
      this.all.push(e);
    }
    return out;
  }
  /** One event far in the future, for its own user: the watermark it brings closes everything else. */
  sentinel(): Ev {
    const e = { id: this.nextId++, user_id: SENTINEL_USER, t: Math.max(...this.all.map((x) => x.t)) + 24 * 60 * MIN, amount: 1 };
    this.all.push(e);
    return e;
  }
}

// ---- the reference model -----------------------------------------------------------------------

type WindowSpec =
  | { kind: 'tumbling'; sizeMs: number }
  | { kind: 'sliding'; sizeMs: number; slideMs: number }
  | { kind: 'session'; gapMs: number };

interface ExpectedBatch { numInputRows: number; watermark: number; dropped: number; closed: number }

/** Every window [s, s + size) with s a multiple of the slide (from the epoch) and s <= t < s + size. */
function windowStarts(t: number, sizeMs: number, slideMs: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor(t / slideMs) * slideMs; s + sizeMs > t; s -= slideMs) if (s <= t) out.push(s);
  return out;
}

class WatermarkModel {
  /** W(N) of the next batch, and W(N-1): the watermark of the last batch that ran. */
  w = 0;
  prevW = 0;
  private maxSeen = -Infinity;
  /** Windows held in state (tumbling/sliding), by user + start. */
  private readonly open = new Map<string, { start: number; end: number }>();
  /** Sessions held in state, per user: intervals that neither overlap nor touch, with their events' ids. */
  private readonly sessions = new Map<string, { start: number; end: number; ids: number[] }[]>();
  /** The events of each session closed so far. */
  private readonly closedSessions: number[][] = [];
  /** Late (row, window) pairs; for sessions the window start is the event time (one per late event). */
  readonly late: { id: number; start: number }[] = [];
  lateCount = 0;
  closedCount = 0;
  /** Late pairs right on the edge (window or session end == W(N-1)): the `<=` of the rule. */
  edgeLate = 0;

  constructor(readonly spec: WindowSpec, readonly delayMs: number) {}

  /**
   * After a batch: must the engine run a batch without data? Spark's rule (shouldRunAnotherBatch):
   * whenever the watermark moved past the last batch's, whether or not the state holds anything it closes.
   */
  get noDataPending(): boolean { return this.w > this.prevW; }

  /** Windows/sessions still held in state. */
  openKeys(): string[] {
    return [...this.open.keys(), ...[...this.sessions].flatMap(([u, l]) => l.map((x) => `${u}@${x.start}`))];
  }

  /** Every session's events, closed or still open: [id, session number] pairs. */
  sessionGroups(): { id: number; gid: number }[] {
    const groups = [...this.closedSessions, ...[...this.sessions.values()].flat().map((x) => x.ids)];
    return groups.flatMap((ids, gid) => ids.map((id) => ({ id, gid })));
  }

  step(events: readonly Ev[]): ExpectedBatch {
    const W = this.w, lateW = this.prevW, spec = this.spec;
    let dropped = 0;
    for (const e of events) {
      this.maxSeen = Math.max(this.maxSeen, e.t);
      if (spec.kind === 'session') {
        const ownEnd = e.t + spec.gapMs;
        if (ownEnd <= lateW) { dropped++; if (ownEnd === lateW) this.edgeLate++; this.late.push({ id: e.id, start: e.t }); continue; }
        const list = this.sessions.get(e.user_id) ?? [];
        let s = e.t, end = ownEnd;
        const ids = [e.id];
        const keep = list.filter((x) => {
          if (x.start <= end && s <= x.end) { s = Math.min(s, x.start); end = Math.max(end, x.end); ids.push(...x.ids); return false; }
          return true;
        });
        // A merge can only reach sessions the event itself overlaps (they are disjoint), but check again.
        const again = keep.filter((x) => !(x.start <= end && s <= x.end));
        expect(again.length, 'model: transitive session merge').toBe(keep.length);
        keep.push({ start: s, end, ids });
        this.sessions.set(e.user_id, keep);
      } else {
        const slide = spec.kind === 'sliding' ? spec.slideMs : spec.sizeMs;
        for (const start of windowStarts(e.t, spec.sizeMs, slide)) {
          const end = start + spec.sizeMs;
          if (end <= lateW) { dropped++; if (end === lateW) this.edgeLate++; this.late.push({ id: e.id, start }); continue; }
          this.open.set(`${e.user_id}@${start}`, { start, end });
        }
      }
    }
    let closed = 0;
    for (const [k, x] of this.open) if (x.end <= W) { this.open.delete(k); closed++; }
    for (const [u, list] of this.sessions) {
      const keep = list.filter((x) => x.end > W);
      for (const x of list) if (x.end <= W) this.closedSessions.push(x.ids);
      closed += list.length - keep.length;
      if (keep.length) this.sessions.set(u, keep); else this.sessions.delete(u);
    }
    this.lateCount += dropped;
    this.closedCount += closed;
    this.prevW = W;
    if (this.maxSeen > -Infinity) this.w = Math.max(W, this.maxSeen - this.delayMs);
    return { numInputRows: events.length, watermark: W, dropped, closed };
  }
}

// ---- replaying a query's progress against the model ------------------------------------------

interface Replay {
  model: WatermarkModel;
  nextBatchId: number;
  /** Per batch: what the engine reported vs what the model expects (printed on failure). */
  trace: string[];
  droppedReported: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface StateOp { numRowsDroppedByWatermark: number; numRowsTotal: number }

/**
 * Checks one query instance's progress records against the model, batch by batch. `eventsOf` maps
 * a batch's start/end offsets to its events; `same` says the offsets are equal (a no-data batch).
 */
function replayInstance(r: Replay, progress: readonly StreamingQueryProgress[], eventsOf: (start: unknown, end: unknown) => Ev[],
  same: (a: unknown, b: unknown) => boolean, label: string): void {
  for (const p of progress) {
    const src = p.sources[0]!;
    const noData = same(src.startOffset, src.endOffset);
    const where = `${label} (seed ${SEED}) batch ${p.batchId}\n${r.trace.slice(-8).join('\n')}`;
    if (noData) expect(r.model.noDataPending, `${where}: the engine ran a no-data batch the model does not expect`).toBe(true);
    const evs = noData ? [] : eventsOf(src.startOffset, src.endOffset);
    const exp = r.model.step(evs);
    const op = p.stateOperators[0] as StateOp | undefined;
    const got = {
      batchId: p.batchId, numInputRows: p.numInputRows, watermark: p.eventTime.watermark,
      dropped: op?.numRowsDroppedByWatermark, closed: p.sink.numOutputRows,
    };
    const want = { batchId: r.nextBatchId, numInputRows: exp.numInputRows, watermark: iso(exp.watermark), dropped: exp.dropped, closed: exp.closed };
    r.trace.push(`  #${p.batchId} ${noData ? 'no-data' : `rows ${evs.length}`}: engine ${JSON.stringify(got)}; model ${JSON.stringify(want)}`);
    expect(got, where).toEqual(want);
    r.droppedReported += op?.numRowsDroppedByWatermark ?? 0;
    r.nextBatchId++;
  }
  expect(r.model.noDataPending, `${label} (seed ${SEED}): the query ended, but the model says a no-data batch was due (the watermark moved to ${iso(r.model.w)})\n${r.trace.slice(-8).join('\n')}`).toBe(false);
}

// ---- queries -----------------------------------------------------------------------------------

function aggregate(df: DataFrame, spec: WindowSpec, delayMs: number): DataFrame {
  const w = df.withWatermark('event_time', `${delayMs / 1000} seconds`);
  const aggs = [sum('amount').alias('total'), count('*').alias('n')] as const;
  switch (spec.kind) {
    case 'tumbling': return w.groupBy(window(col('event_time'), `${spec.sizeMs / 1000} seconds`), col('user_id')).agg(...aggs);
    case 'sliding': return w.groupBy(window(col('event_time'), `${spec.sizeMs / 1000} seconds`, `${spec.slideMs / 1000} seconds`), col('user_id')).agg(...aggs);
    case 'session': return w.groupBy(col('user_id'), session_window(col('event_time'), `${spec.gapMs / 1000} seconds`)).agg(...aggs);
  }
}

const session = Session.builder().appName('event-time-differential').getOrCreate();
/** Snapshot interval and log retention for the next start() (read by the writer at start). */
function configure(rng: Rng): string {
  const snap = pick(rng, [1, 2, 2, 3, 10]);
  const retain = pick(rng, [1, 2, 3, 100]);
  session.conf.set('sluice.stateSnapshotInterval', String(snap));
  session.conf.set('spark.sql.streaming.minBatchesToRetain', String(retain));
  return `snapshot every ${snap}, retain ${retain}`;
}

// ---- the batch result in DuckDB ----------------------------------------------------------------

const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function writeJsonLines(file: string, rows: readonly object[]): Promise<void> {
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/**
 * DuckDB's batch answer over all events minus the late pairs, and the union of the Parquet output,
 * both as sorted `user|start|end|total|n` lines (the sentinel user left out).
 */
async function expectedAndActual(dir: string, out: string, events: readonly Ev[], model: WatermarkModel): Promise<{ expected: string[]; actual: string[]; droppedBySql: number }> {
  const evFile = path.join(dir, 'events.json'), lateFile = path.join(dir, 'late.json');
  await writeJsonLines(evFile, events.filter((e) => e.user_id !== SENTINEL_USER));
  // A dummy pair keeps the file non-empty (no event has id -1).
  await writeJsonLines(lateFile, [{ id: -1, wstart: -1 }, ...model.late.map((l) => ({ id: l.id, wstart: l.start }))]);
  const spec = model.spec;
  const base = `
    ev AS (SELECT * FROM read_json(${sqlStr(evFile)}, format = 'newline_delimited', columns = {id: 'BIGINT', user_id: 'VARCHAR', t: 'BIGINT', amount: 'DOUBLE'})),
    late AS (SELECT * FROM read_json(${sqlStr(lateFile)}, format = 'newline_delimited', columns = {id: 'BIGINT', wstart: 'BIGINT'}))`;
  let sql: string;
  if (spec.kind === 'session') {
    // The model's sessions (which events each holds; sessions that touch merge, as Spark's), aggregated
    // by DuckDB: a session runs from its first event to gap after its last. Every event not late is in one.
    const groupFile = path.join(dir, 'groups.json');
    await writeJsonLines(groupFile, [{ id: -1, gid: -1 }, ...model.sessionGroups()]);
    sql = `WITH ${base},
      groups AS (SELECT * FROM read_json(${sqlStr(groupFile)}, format = 'newline_delimited', columns = {id: 'BIGINT', gid: 'BIGINT'})),
      kept AS (SELECT ev.*, groups.gid FROM ev JOIN groups USING (id) WHERE id NOT IN (SELECT id FROM late))
      SELECT user_id, min(t) AS wstart, max(t) + ${spec.gapMs} AS wend, sum(amount) AS total, count(*) AS n,
             (SELECT count(*) - 1 FROM late) AS dropped,
             (SELECT count(*) FROM ev WHERE id NOT IN (SELECT id FROM late) AND id NOT IN (SELECT id FROM groups)) AS ungrouped
      FROM kept GROUP BY user_id, gid`;
  } else {
    const size = spec.sizeMs, slide = spec.kind === 'sliding' ? spec.slideMs : spec.sizeMs;
    // Each event in every window [s, s + size), s a multiple of the slide, s <= t < s + size.
    sql = `WITH ${base},
      pairs AS (SELECT ev.*, (t // ${slide} - k) * ${slide} AS wstart FROM ev, range(0, ${Math.ceil(size / slide) + 1}) AS r(k)),
      inwin AS (SELECT * FROM pairs WHERE wstart <= t AND t < wstart + ${size}),
      kept AS (SELECT * FROM inwin ANTI JOIN late USING (id, wstart))
      SELECT user_id, wstart, wstart + ${size} AS wend, sum(amount) AS total, count(*) AS n,
             (SELECT count(*) FROM inwin SEMI JOIN late USING (id, wstart)) AS dropped
      FROM kept GROUP BY user_id, wstart`;
  }
  const exp = await duckQuery(sql);
  if (spec.kind === 'session') expect(Number(exp[0]?.ungrouped ?? 0), 'events not late that are in no session of the model').toBe(0);
  const col = spec.kind === 'session' ? 'session_window' : 'window';
  const act = await duckQuery(`SELECT user_id, epoch_ms("${col}".start) AS wstart, epoch_ms("${col}".end) AS wend, total, n
    FROM read_parquet(${sqlStr(out + '/**/*.parquet')}) WHERE user_id <> ${sqlStr(SENTINEL_USER)}`);
  const line = (r: Record<string, unknown>): string => `${r.user_id}|${iso(Number(r.wstart))}|${iso(Number(r.wend))}|${Number(r.total)}|${Number(r.n)}`;
  return { expected: exp.map(line).sort(), actual: act.map(line).sort(), droppedBySql: exp.length ? Number(exp[0]!.dropped) : 0 };
}

// ---- a MemoryStream case -----------------------------------------------------------------------

const schema = T.struct({ id: T.long, user_id: T.string, amount: T.double, event_time: T.timestamp });
const toRow = (e: Ev): Record<string, unknown> => ({ id: e.id, user_id: e.user_id, amount: e.amount, event_time: new Date(e.t) });

let tmpRoot: string;
beforeAll(async () => { tmpRoot = tmpDir('et-diff'); });
afterAll(async () => { if (tmpRoot && !process.env.SLUICE_KEEP_DIFF_DIR) await fs.rm(tmpRoot, { recursive: true, force: true }); });

interface CaseSummary { batches: number; restarts: number; events: number; late: number; edgeLate: number; windows: number; noData: number; ms: number }

async function memoryCase(name: string, spec: WindowSpec, delayMs: number, seedOffset: number): Promise<CaseSummary> {
  const started = Date.now();
  const rng = mulberry32(caseSeed(seedOffset));
  const dir = path.join(tmpRoot, name), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  await fs.mkdir(dir, { recursive: true });
  const gen = new EventGen(rng, randInt(rng, 3, 6));
  const stream = new MemoryStream(session, schema);
  const chunks: Ev[][] = [];
  const addChunk = (evs: Ev[]): void => { chunks.push(evs); stream.addData(evs.map(toRow)); };
  const r: Replay = { model: new WatermarkModel(spec, delayMs), nextBatchId: 0, trace: [], droppedReported: 0 };
  const eventsOf = (a: unknown, b: unknown): Ev[] => chunks.slice(a as number, b as number).flat();
  const same = (a: unknown, b: unknown): boolean => a === b;
  let restarts = 0, noData = 0;
  const TARGET_EVENTS = 420;

  const runInstance = async (finalRound: boolean): Promise<void> => {
    const conf = configure(rng);
    const continuous = !finalRound && rng() < 0.25;
    const label = `${name} run ${restarts} (${continuous ? 'processAllAvailable' : 'availableNow'}, ${conf})`;
    // The data batches this instance must run: [start, end) in chunks, one per round.
    const rounds: [number, number][] = [];
    const addRound = (): void => {
      const from = chunks.length;
      const k = finalRound ? 1 : randInt(rng, 1, 3);
      for (let i = 0; i < k; i++) {
        if (finalRound) addChunk([gen.sentinel()]);
        else addChunk(gen.take(pick(rng, [0, 1, 2, 5, 9, 14, 20, 30, 45])));
      }
      rounds.push([from, chunks.length]);
    };
    const query = aggregate(stream.toDF(), spec, delayMs).writeStream.outputMode('append').format('parquet')
      .option('checkpointLocation', cp);
    let q;
    if (continuous) {
      q = await query.start(out);
      for (let i = randInt(rng, 1, 3); i > 0; i--) { addRound(); await q.processAllAvailable(); }
      await q.stop();
    } else {
      addRound();
      q = await query.trigger({ availableNow: true }).start(out);
      await q.awaitTermination();
    }
    expect(q.exception(), label).toBeNull();
    const progress = q.recentProgress;
    const dataBatches = progress.filter((p) => !same(p.sources[0]!.startOffset, p.sources[0]!.endOffset))
      .map((p) => [p.sources[0]!.startOffset, p.sources[0]!.endOffset]);
    expect(dataBatches, `${label}: one batch per round, exactly over its chunks`).toEqual(rounds);
    noData += progress.length - dataBatches.length;
    replayInstance(r, progress, eventsOf, same, label);
    restarts++;
  };

  while (gen.all.length < TARGET_EVENTS) await runInstance(false);
  await runInstance(true);

  const open = r.model.openKeys();
  expect(open.every((k) => k.startsWith(SENTINEL_USER)), `only the sentinel's window stays open: ${open.join(', ')}`).toBe(true);
  const { expected, actual, droppedBySql } = await expectedAndActual(dir, out, gen.all, r.model);
  expect(droppedBySql, 'the late pairs the model found are pairs of the events').toBe(r.model.lateCount);
  expect(r.droppedReported, 'sum of numRowsDroppedByWatermark == late pairs of the model').toBe(r.model.lateCount);
  expect(new Set(actual.map((l) => l.split('|').slice(0, 2).join('|'))).size, 'each (user, window) emitted once').toBe(actual.length);
  expect(actual, `${name} (seed ${SEED}): Parquet output vs DuckDB batch SQL minus the late rows`).toEqual(expected);
  expect(actual.length).toBe(r.model.closedCount);
  expect(r.model.lateCount, 'the stream has late rows to drop').toBeGreaterThan(0);
  return { batches: r.nextBatchId, restarts, events: gen.all.length, late: r.model.lateCount, edgeLate: r.model.edgeLate, windows: actual.length, noData, ms: Date.now() - started };
}

const summaries: string[] = [];
const note = (name: string, s: CaseSummary): void => {
  summaries.push(`${name}: ${s.events} events, ${s.batches} batches (${s.noData} no-data) in ${s.restarts} query runs, ` +
    `${s.late} late pairs (${s.edgeLate} on the edge), ${s.windows} windows, ${s.ms} ms`);
};
afterAll(() => { console.log(`event-time differential, seed ${SEED}\n  ${summaries.join('\n  ')}`); });

describe('event-time differential: Parquet output == batch SQL minus the late rows of the watermark model', () => {
  it('tumbling windows (5 minutes), watermark delay 2 minutes, MemoryStream', async () => {
    note('tumbling', await memoryCase('tumbling', { kind: 'tumbling', sizeMs: 5 * MIN }, 2 * MIN, 1));
  });

  it('tumbling windows (3 minutes), watermark delay 0, MemoryStream', async () => {
    note('tumbling-0', await memoryCase('tumbling-0', { kind: 'tumbling', sizeMs: 3 * MIN }, 0, 2));
  });

  it('sliding windows (10 minutes every 4 minutes), watermark delay 1 minute, MemoryStream', async () => {
    note('sliding', await memoryCase('sliding', { kind: 'sliding', sizeMs: 10 * MIN, slideMs: 4 * MIN }, 1 * MIN, 3));
  });

  it('sliding windows (6 minutes every 2 minutes), watermark delay 3 minutes, MemoryStream', async () => {
    note('sliding-3', await memoryCase('sliding-3', { kind: 'sliding', sizeMs: 6 * MIN, slideMs: 2 * MIN }, 3 * MIN, 4));
  });

  it('session windows (gap 3 minutes), watermark delay 1 minute, MemoryStream', async () => {
    note('session', await memoryCase('session', { kind: 'session', gapMs: 3 * MIN }, 1 * MIN, 5));
  });

  it('session windows (gap 90 seconds), watermark delay 0, MemoryStream', async () => {
    note('session-0', await memoryCase('session-0', { kind: 'session', gapMs: 90_000 }, 0, 6));
  });
});

// ---- the Kafka case ----------------------------------------------------------------------------

const PARTITIONS = 3;
let broker: TestBroker | undefined;
afterAll(async () => { await broker?.stop(); });

type KafkaOffsets = Record<string, Record<string, number>>;

/**
 * Events spread at random over 3 partitions (so a batch cut by maxOffsetsPerTrigger mixes the
 * partitions' times differently from the produce order), produced in rounds of random size; after
 * each round a new availableNow query (a restart) with a random maxOffsetsPerTrigger drains the topic
 * in several batches, whose boundaries come from the progress' start/end offsets.
 */
async function kafkaCase(name: string, spec: WindowSpec, delayMs: number, seedOffset: number): Promise<CaseSummary> {
  const started = Date.now();
  const rng = mulberry32(caseSeed(seedOffset));
  broker ??= await startBroker();
  const topic = uniqueTopic(`et-diff-${name}`);
  await broker.createTopic(topic, PARTITIONS);
  const dir = path.join(tmpRoot, name), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  await fs.mkdir(dir, { recursive: true });
  const gen = new EventGen(rng, randInt(rng, 3, 6));
  const byPartition: Ev[][] = Array.from({ length: PARTITIONS }, () => []);
  const produceEvents = async (evs: Ev[]): Promise<void> => {
    const msgs = evs.map((e) => {
      const partition = randInt(rng, 0, PARTITIONS - 1);
      byPartition[partition]!.push(e);
      return { partition, value: JSON.stringify({ id: e.id, user_id: e.user_id, amount: e.amount, event_time: iso(e.t) }) };
    });
    await produce(broker!.bootstrap, topic, msgs);
  };
  const off = (o: unknown, p: number): number => (o as KafkaOffsets | undefined)?.[topic]?.[String(p)] ?? 0;
  const eventsOf = (a: unknown, b: unknown): Ev[] => byPartition.flatMap((evs, p) => evs.slice(off(a, p), off(b, p)));
  const same = (a: unknown, b: unknown): boolean => byPartition.every((_, p) => off(a, p) === off(b, p));
  const r: Replay = { model: new WatermarkModel(spec, delayMs), nextBatchId: 0, trace: [], droppedReported: 0 };
  const jsonSchema = T.struct({ id: T.long, user_id: T.string, amount: T.double, event_time: T.timestamp });
  let restarts = 0, noData = 0;
  const ROUNDS = 4;
  for (let round = 0; round <= ROUNDS; round++) {
    const last = round === ROUNDS;
    await produceEvents(last ? [gen.sentinel()] : gen.take(randInt(rng, 40, 110)));
    const conf = configure(rng);
    const maxOffsets = randInt(rng, 6, 45);
    const label = `${name} run ${restarts} (availableNow, maxOffsetsPerTrigger ${maxOffsets}, ${conf})`;
    const events = aggregate(session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest')
      .option('maxOffsetsPerTrigger', String(maxOffsets)).load()
      .select(from_json(col('value').cast('string'), jsonSchema).alias('data')).select('data.*'), spec, delayMs);
    const q = await events.writeStream.outputMode('append').format('parquet').option('checkpointLocation', cp)
      .trigger({ availableNow: true }).start(out);
    await q.awaitTermination();
    const progress = q.recentProgress;
    expect(progress.length, `${label}: fewer than 100 batches (recentProgress keeps 100)`).toBeLessThan(100);
    const consumed = progress.at(-1)!.sources[0]!.endOffset;
    expect(byPartition.map((_, p) => off(consumed, p)), `${label}: availableNow drained the topic`).toEqual(byPartition.map((e) => e.length));
    for (const p of progress) expect(p.numInputRows, `${label}: batch ${p.batchId} respects maxOffsetsPerTrigger`).toBeLessThanOrEqual(maxOffsets);
    noData += progress.filter((p) => same(p.sources[0]!.startOffset, p.sources[0]!.endOffset)).length;
    replayInstance(r, progress, eventsOf, same, label);
    restarts++;
  }
  const open = r.model.openKeys();
  expect(open.every((k) => k.startsWith(SENTINEL_USER)), `only the sentinel's window stays open: ${open.join(', ')}`).toBe(true);
  const { expected, actual, droppedBySql } = await expectedAndActual(dir, out, gen.all, r.model);
  expect(droppedBySql).toBe(r.model.lateCount);
  expect(r.droppedReported, 'sum of numRowsDroppedByWatermark == late pairs of the model').toBe(r.model.lateCount);
  expect(actual, `${name} (seed ${SEED}): Parquet output vs DuckDB batch SQL minus the late rows`).toEqual(expected);
  expect(actual.length).toBe(r.model.closedCount);
  expect(r.model.lateCount, 'the stream has late rows to drop').toBeGreaterThan(0);
  return { batches: r.nextBatchId, restarts, events: gen.all.length, late: r.model.lateCount, edgeLate: r.model.edgeLate, windows: actual.length, noData, ms: Date.now() - started };
}

describe('event-time differential over Kafka (3 partitions, random maxOffsetsPerTrigger, a restart per round)', () => {
  it('sliding windows (5 minutes every 2 minutes), watermark delay 1 minute', async () => {
    note('kafka-sliding', await kafkaCase('kafka-sliding', { kind: 'sliding', sizeMs: 5 * MIN, slideMs: 2 * MIN }, 1 * MIN, 11));
  });

  it('session windows (gap 2 minutes), watermark delay 30 seconds', async () => {
    note('kafka-session', await kafkaCase('kafka-session', { kind: 'session', gapMs: 2 * MIN }, 30_000, 12));
  });
});
