// Exactly-once windowed aggregation through real process crashes (DESIGN §4 recovery, §5 state files,
// §6 append mode; issue 3, "What must be shown" item 3).
//
// test/fixtures/stateful-query.ts runs Kafka (3 partitions) -> from_json -> withWatermark('5 minutes') ->
// groupBy(window, user_id).agg(sum, count) -> append to Parquet (availableNow, maxOffsetsPerTrigger) in a
// child process with a state snapshot every 2 versions and minBatchesToRetain 3, so recovery reads a
// snapshot plus deltas and old state files are purged. The child is SIGKILLed
//   a. at each phase of the trigger loop (SLUICE_TEST_CRASH_AT), data batches and no-data batches, some
//      re-runs killed again, then restarted;
//   b. by the parent after seeded random delays;
//   c. finally run to completion after a far-future event whose watermark closes every other window.
// Event times rise with the produce order (1 s apart, a pause now and then) and the watermark delay
// is far larger than any skew between partitions, so no row is late: the expected result is DuckDB's
// batch SQL over the events. After every run the Parquet output must be exactly the expected windows
// with end <= W(c), c the newest batch in the sink's log (the last committed one, or the next when the
// kill came between sink and commit): each (window, user) once, with its full sum and count; files of a
// batch killed inside its sink may be visible too, holding only complete windows that batch closes.
// Tumbling windows, then session windows (fewer kills) on their own topic and checkpoint.
//
// CRASH_SEED=<n> replays another random schedule; SLUICE_KEEP_CRASH_DIR=1 keeps the directories.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';
import { runQueryChild, type ChildRunOptions, type ChildResult as QueryChildResult, describeRun } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/stateful-query.ts', import.meta.url));
const SEED = Number(process.env.CRASH_SEED ?? 90_210);
const PARTITIONS = 3;
const MAX_OFFSETS = 60;
const USERS = 7;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const SENTINEL_USER = 'zz-end';
const CHILD_TIMEOUT_MS = 30_000;
/** The fixture's watermark delay (STATEFUL_DELAY default). */
const DELAY_MS = 5 * 60_000;

const rng = mulberry32(SEED);

let broker: TestBroker;
let tmp: string;
beforeAll(async () => {
  tmp = tmpDir('et-crash');
  broker = await startBroker();
  console.log(`event-time-crash: seed ${SEED}, dir ${tmp}`);
});
afterAll(async () => {
  await broker?.stop();
  if (tmp && !process.env.SLUICE_KEEP_CRASH_DIR) await fs.rm(tmp, { recursive: true, force: true });
});

type Kind = 'tumbling' | 'session';
type Phase = 'afterOffsetLog' | 'beforeSink' | 'beforeCommit' | 'afterCommit';
type Offsets = Record<string, Record<string, number>>;

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; watermark: string; dropped: number; stateRows: number; startOffset: Offsets; endOffset: Offsets }
type ChildResult = QueryChildResult<Progress>;
type RunOptions = ChildRunOptions;

interface Ev { id: number; user_id: string; t: number; amount: number }

/** One query: its topic, checkpoint, output, the events produced so far, and every progress line seen. */
class Pipeline {
  readonly cp: string;
  readonly out: string;
  readonly topic = uniqueTopic('et-crash');
  readonly events: Ev[] = [];
  readonly seen: Progress[] = [];
  constructor(readonly kind: Kind, readonly dir: string) {
    this.cp = path.join(dir, 'cp');
    this.out = path.join(dir, 'out');
  }

  async init(): Promise<void> { await fs.mkdir(this.dir, { recursive: true }); await broker.createTopic(this.topic, PARTITIONS); }

  /** n events, times rising 1 s apart with a 1-minute pause every 150 (sessions end there), round-robin over partitions. */
  async produceEvents(n: number, sentinel = false): Promise<void> {
    const msgs = [];
    for (let k = 0; k < n; k++) {
      const i = this.events.length;
      const e: Ev = sentinel ? { id: i, user_id: SENTINEL_USER, t: Math.max(...this.events.map((x) => x.t)) + 24 * 3600_000, amount: 1 } : this.nth(i);
      this.events.push(e);
      msgs.push({ partition: i % PARTITIONS, value: JSON.stringify({ id: e.id, user_id: e.user_id, amount: e.amount, event_time: new Date(e.t).toISOString() }) });
    }
    await produce(broker.bootstrap, this.topic, msgs);
  }

  /** Window (or session) ends of the events so far plus `extra` more, the sentinel left out. */
  private ends(extra: number): number[] {
    const all = [...this.events.filter((e) => e.user_id !== SENTINEL_USER)];
    for (let i = this.events.length; i < this.events.length + extra; i++) all.push(this.nth(i));
    if (this.kind === 'tumbling') return [...new Set(all.map((e) => Math.floor(e.t / 60_000) * 60_000 + 60_000))];
    const byUser = new Map<string, number[]>();
    for (const e of all) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e.t]);
    const out: number[] = [];
    for (const ts of byUser.values()) {
      ts.sort((a, b) => a - b);
      ts.forEach((t, i) => { if (i === ts.length - 1 || ts[i + 1]! - t > 30_000) out.push(t + 30_000); });
    }
    return out;
  }

  /**
   * Would a no-data batch follow the last data batch if `extra` events were produced now and the topic
   * drained from `consumed`? Approximately: batches take MAX_OFFSETS events in produce order (times
   * rise with it); the no-data batch runs when a window ends in (W(last data batch), max time − delay].
   */
  closesAfterLastBatch(consumed: number, extra: number): boolean {
    const total = this.events.length + extra;
    const lastStart = consumed + Math.max(0, Math.ceil((total - consumed) / MAX_OFFSETS) - 1) * MAX_OFFSETS;
    if (lastStart === 0) return false;
    const wLast = this.nth(lastStart - 1).t - DELAY_MS, wNext = this.nth(total - 1).t - DELAY_MS;
    return this.ends(extra).some((e) => e > wLast && e <= wNext);
  }

  /** The i-th event (produced or not yet): times rise 1 s apart with a 1-minute pause every 150. */
  nth(i: number): Ev {
    return this.events[i] ?? { id: i, user_id: `u${(i * 5) % USERS}`, t: T0 + i * 1000 + Math.floor(i / 150) * 60_000, amount: (i % 97) + 1 };
  }

  run(o: RunOptions = {}): Promise<ChildResult> {
    const env: NodeJS.ProcessEnv = { ...process.env, STATEFUL_WINDOW: this.kind, STATEFUL_SNAPSHOT_INTERVAL: '2', STATEFUL_MIN_BATCHES_TO_RETAIN: '3' };
    return runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, this.topic, this.cp, this.out, String(MAX_OFFSETS)], env, o, CHILD_TIMEOUT_MS,
      (p) => this.seen.push(p));
  }

  async runClean(): Promise<ChildResult> {
    const r = await this.run();
    expect(r.code, `${this.kind}: a run without a crash must exit 0: ${describeRun(r)}`).toBe(0);
    expect(r.done).toBe(true);
    return r;
  }

  private async logIds(sub: string): Promise<number[]> {
    let names: string[];
    try { names = await fs.readdir(path.join(this.cp, sub)); } catch { return []; }
    return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }
  offsetIds(): Promise<number[]> { return this.logIds('offsets'); }
  commitIds(): Promise<number[]> { return this.logIds('commits'); }
  async offsetEntry(id: number): Promise<{ watermark: number; offsets: Offsets }> {
    const lines = (await fs.readFile(path.join(this.cp, 'offsets', String(id)), 'utf8')).split('\n');
    expect(lines[0]).toBe('v1');
    return { watermark: (JSON.parse(lines[1]!) as { batchWatermarkMs: number }).batchWatermarkMs, offsets: JSON.parse(lines[2]!) as Offsets };
  }
  consumed(o: Offsets): number {
    return Object.values(o[this.topic] ?? {}).reduce((a, b) => a + b, 0);
  }

  /** DuckDB's batch result over the events produced so far (sentinel left out), as `user|start|end|total|n`, with the window end. */
  async expected(): Promise<{ line: string; end: number }[]> {
    const file = path.join(this.dir, 'events.json');
    await fs.writeFile(file, this.events.filter((e) => e.user_id !== SENTINEL_USER).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const ev = `read_json('${file}', format = 'newline_delimited', columns = {id: 'BIGINT', user_id: 'VARCHAR', t: 'BIGINT', amount: 'DOUBLE'})`;
    const rows = this.kind === 'session'
      ? await duckQuery(`WITH ev AS (SELECT * FROM ${ev}),
          f AS (SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY user_id ORDER BY t, id) <= 30000 THEN 0 ELSE 1 END AS new_session FROM ev),
          s AS (SELECT *, sum(new_session) OVER (PARTITION BY user_id ORDER BY t, id ROWS UNBOUNDED PRECEDING) AS sid FROM f)
          SELECT user_id, min(t) AS wstart, max(t) + 30000 AS wend, sum(amount) AS total, count(*) AS n FROM s GROUP BY user_id, sid`)
      : await duckQuery(`SELECT user_id, (t // 60000) * 60000 AS wstart, (t // 60000) * 60000 + 60000 AS wend, sum(amount) AS total, count(*) AS n
          FROM ${ev} GROUP BY ALL`);
    return rows.map((r) => ({ line: lineOf(r), end: Number(r.wend) })).sort((a, b) => (a.line < b.line ? -1 : 1));
  }

  /** The output rows (sentinel left out) as sorted lines, with the batch id in the name of each row's file. */
  async actualRows(): Promise<{ line: string; batch: number }[]> {
    const c = this.kind === 'session' ? 'session_window' : 'window';
    let rows: Record<string, unknown>[];
    try {
      rows = await duckQuery(`SELECT user_id, epoch_ms("${c}".start) AS wstart, epoch_ms("${c}".end) AS wend, total, n, filename
        FROM read_parquet('${this.out}/**/*.parquet', filename = true) WHERE user_id <> '${SENTINEL_USER}'`);
    } catch (e) {
      if (/No files found/i.test(String(e))) return [];
      throw e;
    }
    return rows.map((r) => {
      const m = /part-(\d+)-\d+\.parquet$/.exec(String(r.filename));
      expect(m, `output file name ${String(r.filename)}`).not.toBeNull();
      return { line: lineOf(r), batch: Number(m![1]) };
    }).sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  }
  async actual(): Promise<string[]> { return (await this.actualRows()).map((r) => r.line); }

  /**
   * Exactly once so far: the files of batches up to c, the newest batch in the sink's log (the last
   * committed one, or the next when the kill came between sink and commit), hold exactly the expected
   * windows with end <= W(c), each once, with its full sum and count. A batch after c was killed inside
   * its sink: its files may be visible already (DESIGN §7 promises no partial file and no row twice, not
   * an all-or-nothing batch), and must hold only windows that batch closes, with their full values.
   */
  async expectExactlyOnce(where: string): Promise<{ committed: number | null; windows: number; pendingRows: number }> {
    let sinkLog: number[] = [];
    try { sinkLog = (await fs.readdir(path.join(this.out, '_sluice_log'))).filter((n) => /^\d+$/.test(n)).map(Number); } catch { /* none yet */ }
    const committed = (await this.commitIds()).at(-1) ?? null;
    const c = Math.max(committed ?? -1, ...sinkLog);
    expect(c, 'the sink is at most one batch ahead of the commit log').toBeLessThanOrEqual((committed ?? -1) + 1);
    const w = c < 0 ? -Infinity : (await this.offsetEntry(c)).watermark;
    const expected = await this.expected();
    const want = expected.filter((x) => x.end <= w).map((x) => x.line);
    const rows = await this.actualRows();
    const got = rows.filter((r) => r.batch <= c).map((r) => r.line);
    const wText = Number.isFinite(w) ? new Date(w).toISOString() : 'none';
    expect(got, `${this.kind} (seed ${SEED}) ${where}: Parquet output of batches <= ${c} vs the windows they closed (watermark ${wText})`).toEqual(want);
    const later = rows.filter((r) => r.batch > c);
    if (later.length) {
      const pending = (await this.offsetIds()).at(-1)!;
      expect(new Set(later.map((r) => r.batch)), `${where}: only the pending batch ${pending} has files beyond the sink log`).toEqual(new Set([pending]));
      const wp = (await this.offsetEntry(pending)).watermark;
      const closable = new Set(expected.filter((x) => x.end > w && x.end <= wp).map((x) => x.line));
      expect(later.filter((r) => !closable.has(r.line)).map((r) => r.line), `${where}: rows of the pending batch ${pending} are windows it closes, complete`).toEqual([]);
    }
    expect(new Set(rows.map((r) => r.line.split('|').slice(0, 2).join('|'))).size, `${where}: no (user, window) twice`).toBe(rows.length);
    return { committed, windows: got.length, pendingRows: later.length };
  }
}

const lineOf = (r: Record<string, unknown>): string =>
  `${r.user_id}|${new Date(Number(r.wstart)).toISOString()}|${new Date(Number(r.wend)).toISOString()}|${Number(r.total)}|${Number(r.n)}`;


interface PhaseCase {
  phase: Phase;
  /** Which batch dies: 'noData' = the no-data batch after the run's last data batch; a number = next batch id + n. */
  at: number | 'noData' | 'lastData';
  before: number;
  between: number;
  crashAgainAt?: Phase;
}

async function phaseKills(p: Pipeline, cases: readonly PhaseCase[]): Promise<string[]> {
  const summary: string[] = [];
  let noDataKills = 0;
  for (const k of cases) {
    let target = -1, label = '', crashed: ChildResult | null = null, tries = 0;
    // A no-data batch runs only when the watermark moves past the end of a window in state; when the
    // run ends without one (sessions end rarely), it was a clean run: produce more and try again.
    while (!crashed && tries++ < 4) {
      const c = (await p.commitIds()).at(-1) ?? -1;
      expect((await p.offsetIds()).at(-1) ?? -1, 'no batch pending before the case').toBe(c);
      const consumed = c < 0 ? 0 : p.consumed((await p.offsetEntry(c)).offsets);
      let n = tries === 1 ? k.before : 60;
      if (k.at === 'noData' || k.at === 'lastData') while (!p.closesAfterLastBatch(consumed, n)) n += 30;
      await p.produceEvents(n);
      // maxOffsetsPerTrigger: each batch but the last takes exactly MAX_OFFSETS records.
      const dataBatches = Math.ceil((p.events.length - consumed) / MAX_OFFSETS);
      target = k.at === 'noData' ? c + dataBatches + 1 : k.at === 'lastData' ? c + dataBatches : c + 1 + k.at;
      label = `${p.kind} ${k.phase}:${target} (${k.at})`;
      const r = await p.run({ crashAt: `${k.phase}:${target}` });
      if (k.at === 'noData' && r.code === 0 && !r.progress.some((x) => x.batchId === target)) {
        await p.expectExactlyOnce(`${label}: a run that had no no-data batch`);
        continue;
      }
      expect(r.signal, `${label}: the hook must kill the child: ${describeRun(r)}`).toBe('SIGKILL');
      crashed = r;
    }
    expect(crashed, `${label}: the target batch ran in one of ${tries - 1} tries`).not.toBeNull();
    const o = await p.offsetIds(), cs = await p.commitIds();
    expect(o.at(-1), `${label}: offsets/${target} is the newest offset log entry`).toBe(target);
    expect(cs.at(-1) ?? -1, label).toBe(k.phase === 'afterCommit' ? target : target - 1);
    const entry = await p.offsetEntry(target);
    const isNoData = target > 0 && p.consumed(entry.offsets) === p.consumed((await p.offsetEntry(target - 1)).offsets);
    if (k.at === 'noData') { expect(isNoData, `${label}: batch ${target} is a no-data batch`).toBe(true); noDataKills++; }
    await p.expectExactlyOnce(`after the kill at ${label}`);
    await p.produceEvents(k.between);
    if (k.crashAgainAt) {
      const again = await p.run({ crashAt: `${k.crashAgainAt}:${target}` });
      expect(again.signal, `${label}: second crash at ${k.crashAgainAt}: ${describeRun(again)}`).toBe('SIGKILL');
      await p.expectExactlyOnce(`after the second kill at ${label}, ${k.crashAgainAt}`);
    }
    const restarted = await p.runClean();
    const first = restarted.progress[0];
    if ((k.crashAgainAt ?? k.phase) === 'afterCommit') {
      expect(restarted.progress.map((x) => x.batchId), `${label}: a committed batch is not run again`).not.toContain(target);
      if (k.at === 'lastData' && k.between === 0) {
        // The watermark commits/<target> recorded closes windows still in state: the restart begins with a no-data batch.
        expect(first, `${label}: the restart runs the no-data batch that was due: ${describeRun(restarted)}`)
          .toMatchObject({ batchId: target + 1, numInputRows: 0, startOffset: entry.offsets, endOffset: entry.offsets });
        expect(first!.numOutputRows).toBeGreaterThan(0);
      }
    } else {
      expect(first?.batchId, `${label}: the restart re-runs batch ${target} first: ${describeRun(restarted)}`).toBe(target);
      expect(first!.endOffset, `${label}: the re-run reads offsets/${target}`).toEqual(entry.offsets);
      expect(first!.watermark, `${label}: the re-run uses the logged watermark`).toBe(new Date(entry.watermark).toISOString());
    }
    const { windows } = await p.expectExactlyOnce(`after the restart from ${label}`);
    summary.push(`${label}${isNoData ? ' [no-data batch]' : ''}${k.crashAgainAt ? `, again at ${k.crashAgainAt}` : ''}${tries > 1 ? ` (try ${tries})` : ''}: ` +
      `killed after ${crashed!.ms} ms; ` +
      `restart ran ${restarted.progress.length} batches in ${restarted.ms} ms; ${windows} windows out`);
  }
  if (cases.some((k) => k.at === 'noData')) expect(noDataKills).toBeGreaterThan(0);
  return summary;
}

async function randomKills(p: Pipeline, runs: number): Promise<string[]> {
  const summary: string[] = [];
  for (let i = 0; i < runs; i++) {
    const c = (await p.commitIds()).at(-1) ?? -1;
    const consumed = c < 0 ? 0 : p.consumed((await p.offsetEntry(c)).offsets);
    const backlog = p.events.length - consumed;
    if (backlog < 6 * MAX_OFFSETS) await p.produceEvents(6 * MAX_OFFSETS - backlog + randInt(rng, 0, 120));
    // Counted from a progress line, the kill lands in a later batch (~50 ms each); from the spawn,
    // anywhere from the startup (~1 s: tsx, Kafka metadata, state load) to the last batches.
    const anchored = rng() < 0.8;
    const how: RunOptions = anchored ? { killAfterProgress: { n: randInt(rng, 1, 3), delayMs: randInt(rng, 0, 60) } } : { killAfterMs: randInt(rng, 1000, 1600) };
    const r = await p.run(how);
    if (!r.killedByParent) expect(r.code, `random run ${i} ended by itself: ${describeRun(r)}`).toBe(0);
    else expect(r.signal, describeRun(r)).toBe('SIGKILL');
    const o = await p.offsetIds(), cs = await p.commitIds();
    const pending = o.at(-1) !== cs.at(-1) ? o.at(-1) : null;
    const { committed, windows, pendingRows } = await p.expectExactlyOnce(`after random kill #${i + 1}`);
    const label = anchored ? `progress#${how.killAfterProgress!.n}+${how.killAfterProgress!.delayMs}ms` : `spawn+${how.killAfterMs}ms`;
    summary.push(`${label}${r.killedByParent ? '' : ' (exited 0 first)'} (${r.ms} ms): committed ${committed}, pending ${pending ?? '-'}, ${windows} windows out` +
      (pendingRows ? ` + ${pendingRows} rows of the pending batch's files (killed inside its sink)` : ''));
  }
  return summary;
}

async function finish(p: Pipeline): Promise<string> {
  await p.produceEvents(1, true);
  const r = await p.runClean();
  const c = (await p.commitIds()).at(-1)!;
  expect(p.consumed((await p.offsetEntry(c)).offsets), 'every event consumed').toBe(p.events.length);
  const want = (await p.expected()).map((x) => x.line);
  expect(await p.actual(), `${p.kind} (seed ${SEED}): the whole Parquet output vs DuckDB's batch SQL`).toEqual(want);
  // No row was late (the test is built so), and recovery really went through snapshots and purges.
  expect(p.seen.filter((x) => x.dropped !== 0).map((x) => x.batchId), 'batches that dropped late rows').toEqual([]);
  const stateFiles = await fs.readdir(path.join(p.cp, 'state', '0'));
  expect(stateFiles.some((f) => f.endsWith('.snapshot'))).toBe(true);
  expect(stateFiles.filter((f) => /^\d+\.delta$/.test(f)).map((f) => parseInt(f, 10))).not.toContain(0);
  return `${p.kind}: ${p.events.length} events, ${c + 1} batches, ${want.length} windows; last run ${r.progress.length} batches in ${r.ms} ms`;
}

describe('event-time crash recovery: SIGKILL during stateful processing, restart, output exactly once', () => {
  it('tumbling windows: kills at every phase (data and no-data batches), at random times, then to the end', async () => {
    const t0 = Date.now();
    const p = new Pipeline('tumbling', path.join(tmp, 'tumbling'));
    await p.init();
    const cases: PhaseCase[] = [
      { phase: 'afterOffsetLog', at: 0, before: 400, between: 60 },          // batch 0 of a new checkpoint
      { phase: 'beforeCommit', at: 2, before: 300, between: 90, crashAgainAt: 'beforeSink' },
      { phase: 'afterCommit', at: 'lastData', before: 200, between: 0 },     // the restart starts with the no-data batch
      { phase: 'beforeCommit', at: 'noData', before: 180, between: 0 },
      { phase: 'beforeSink', at: 'noData', before: 150, between: 0, crashAgainAt: 'afterCommit' },
      { phase: 'afterOffsetLog', at: 'noData', before: 120, between: 70 },  // the re-run no-data batch has data after it
    ];
    const a = await phaseKills(p, cases);
    const b = await randomKills(p, 4);
    const c = await finish(p);
    console.log(`event-time-crash tumbling (${Date.now() - t0} ms):\n  ${a.join('\n  ')}\n  random:\n  ${b.join('\n  ')}\n  ${c}`);
  }, 120_000);

  it('session windows: kills at several phases and at random times, then to the end', async () => {
    const t0 = Date.now();
    const p = new Pipeline('session', path.join(tmp, 'session'));
    await p.init();
    const a = await phaseKills(p, [
      { phase: 'beforeSink', at: 1, before: 400, between: 50 },
      { phase: 'beforeCommit', at: 'noData', before: 200, between: 40, crashAgainAt: 'afterCommit' },
    ]);
    const b = await randomKills(p, 2);
    const c = await finish(p);
    console.log(`event-time-crash session (${Date.now() - t0} ms):\n  ${a.join('\n  ')}\n  random:\n  ${b.join('\n  ')}\n  ${c}`);
  }, 120_000);
});
