// Exactly-once through real process crashes (DESIGN §4 recovery, §5 checkpoint, §7 Parquet sink).
//
// One Kafka topic on the real (mock-cluster) broker, one checkpoint and one output directory for the
// whole file. test/fixtures/crash-query.ts runs the query Kafka -> from_json -> Parquet partitioned by
// user_id (trigger availableNow, maxOffsetsPerTrigger, so several batches per run and ~USERS files per
// batch) in a child process that is killed again and again:
//   a. at each phase of the trigger loop via SLUICE_TEST_CRASH_AT (the engine SIGKILLs itself), then
//      restarted without the hook: the re-run batch must read exactly the logged offsets;
//   b. by the parent with SIGKILL after a seeded random delay, some counted from the spawn and some
//      from a batch's progress line (so they land inside the next batch, mostly in its sink);
//   c. finally run to completion; DuckDB over `<out>/**/*.parquet` must see every produced id once.
// After every recovery the output is checked too, so a duplicate or a loss is caught where it began.
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
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-query.ts', import.meta.url));

const PARTITIONS = 4;
/** Distinct user_id values: each batch writes about this many files (one per partition directory). */
const USERS = 48;
const MAX_OFFSETS = 240;
/** Small, so the purge of old checkpoint entries runs in most batches (and kills land in it too). */
const MIN_BATCHES_TO_RETAIN = 3;
const CHILD_TIMEOUT_MS = 30_000;
const SEED = Number(process.env.CRASH_SEED ?? 20240611);

// ---- seeded PRNG (mulberry32) ------------------------------------------------------------------

const rng = mulberry32(SEED);

// ---- shared state ------------------------------------------------------------------------------

let broker: TestBroker;
let topic: string;
let tmp: string;
let cp: string;
let out: string;
let produced = 0; // ids 0..produced-1 are in the topic
let expectedSum = 0;
let partAOk = false;
let partBOk = false;

/** Exactly representable (multiples of 0.25), so sums compare exactly whatever the order. */
const amountOf = (id: number): number => (id % 1009) * 0.25;

async function produceRecords(n: number): Promise<void> {
  const msgs = [];
  for (let i = 0; i < n; i++) {
    const id = produced + i;
    msgs.push({
      key: `k${id}`,
      partition: id % PARTITIONS,
      value: JSON.stringify({ id, user_id: `u${(id * 7) % USERS}`, amount: amountOf(id), type: id % 3 === 0 ? 'purchase' : 'view' }),
    });
    expectedSum += amountOf(id);
  }
  await produce(broker.bootstrap, topic, msgs);
  produced += n;
}

// ---- the child ---------------------------------------------------------------------------------

interface Progress {
  event: 'progress';
  batchId: number;
  numInputRows: number;
  numOutputRows: number;
  startOffset: Record<string, Record<string, number>>;
  endOffset: Record<string, Record<string, number>>;
  durationMs: Record<string, number>;
}

type ChildResult = QueryChildResult<Progress>;

interface RunOptions extends ChildRunOptions {
  maxRecordsPerFile?: number;
}

function runChild(o: RunOptions = {}): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, CRASH_MIN_BATCHES_TO_RETAIN: String(MIN_BATCHES_TO_RETAIN) };
  const args = [FIXTURE, broker.bootstrap, topic, cp, out, String(MAX_OFFSETS), String(o.maxRecordsPerFile ?? 0)];
  return runQueryChild<Progress>(ROOT, args, env, o, CHILD_TIMEOUT_MS);
}


/** Runs the query without a hook (no kill) and expects it to end normally. */
async function runClean(maxRecordsPerFile?: number): Promise<ChildResult> {
  const r = await runChild({ maxRecordsPerFile });
  expect(r.code, `a run without a crash must exit 0: ${describeRun(r)}`).toBe(0);
  expect(r.done).toBe(true);
  return r;
}

// ---- checkpoint and output inspection ----------------------------------------------------------

type Offsets = Record<string, Record<string, number>>;

async function logIds(dir: string): Promise<number[]> {
  let names: string[];
  try { names = await fs.readdir(dir); } catch { return []; }
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}
const offsetIds = (): Promise<number[]> => logIds(path.join(cp, 'offsets'));
const commitIds = (): Promise<number[]> => logIds(path.join(cp, 'commits'));
const sinkLogIds = (): Promise<number[]> => logIds(path.join(out, '_sluice_log'));

async function readOffsets(batchId: number): Promise<Offsets> {
  const text = await fs.readFile(path.join(cp, 'offsets', String(batchId)), 'utf8');
  const lines = text.split('\n');
  expect(lines[0]).toBe('v1');
  return JSON.parse(lines[2]!) as Offsets;
}

const totalOf = (o: Offsets | undefined): number =>
  Object.values(o ?? {}).reduce((s, ps) => s + Object.values(ps).reduce((a, b) => a + b, 0), 0);

/** Rows of the topic that committed batches have consumed (the topic starts at offset 0). */
async function committedRows(): Promise<number> {
  const c = await commitIds();
  return c.length ? totalOf(await readOffsets(c.at(-1)!)) : 0;
}

async function walk(dir: string): Promise<string[]> {
  const outFiles: string[] = [];
  const rec = async (d: string): Promise<void> => {
    let entries;
    try { entries = await fs.readdir(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await rec(p); else outFiles.push(path.relative(out, p).split(path.sep).join('/'));
    }
  };
  await rec(dir);
  return outFiles.sort();
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const dataFilesOf = (files: string[], batchId: number): string[] =>
  files.filter((f) => new RegExp(`^part-${batchId}-\\d+\\.parquet$`).test(base(f)));
const tempFilesOf = (files: string[], batchId: number): string[] =>
  files.filter((f) => new RegExp(`^\\.part-${batchId}-\\d+\\.parquet\\..*\\.tmp$`).test(base(f)));

/** The state a kill left: the batch logged but not committed (if any) and what its sink had written. */
interface KillState {
  committed: number | null;
  pending: number | null;
  dataFiles: number;
  newTempFiles: number;
  sinkLog: boolean;
}
const seenTemp = new Set<string>();

async function killState(): Promise<KillState> {
  const o = await offsetIds(), c = await commitIds();
  const lastO = o.at(-1) ?? null, lastC = c.at(-1) ?? null;
  const pending = lastO !== null && lastO !== lastC ? lastO : null;
  const files = await walk(out);
  let dataFiles = 0, newTempFiles = 0, sinkLog = false;
  if (pending !== null) {
    dataFiles = dataFilesOf(files, pending).length;
    newTempFiles = tempFilesOf(files, pending).filter((f) => !seenTemp.has(f)).length;
    sinkLog = (await sinkLogIds()).includes(pending);
  }
  for (const f of files) if (f.endsWith('.tmp')) seenTemp.add(f);
  return { committed: lastC, pending, dataFiles, newTempFiles, sinkLog };
}

const glob = (): string => `'${out.replace(/'/g, "''")}/**/*.parquet'`;

/** Exactly once so far: every id consumed by a committed batch is in the output once, and no other. */
async function expectExactlyOnceSoFar(where: string): Promise<void> {
  const rows = await committedRows();
  const [r] = await duckQuery(
    `select count(*) as n, count(distinct id) as d, coalesce(min(id), -1) as lo, coalesce(max(id), -1) as hi
     from read_parquet(${glob()}, hive_partitioning = true)`);
  const got = { n: Number(r!.n), d: Number(r!.d), lo: Number(r!.lo), hi: Number(r!.hi) };
  // Ids are produced round-robin over partitions, so a committed prefix of every partition is not
  // an id prefix; count and distinctness are what must hold.
  expect(got, `${where}: rows in the Parquet output vs rows consumed by committed batches`)
    .toMatchObject({ n: rows, d: rows });
}

// ---- setup -------------------------------------------------------------------------------------

beforeAll(async () => {
  tmp = tmpDir('crash');
  cp = path.join(tmp, 'checkpoint');
  out = path.join(tmp, 'out');
  broker = await startBroker();
  topic = uniqueTopic('crash');
  await broker.createTopic(topic, PARTITIONS);
  console.log(`crash-recovery: seed ${SEED}, dir ${tmp}`);
});

afterAll(async () => {
  await broker?.stop();
  if (tmp && !process.env.SLUICE_KEEP_CRASH_DIR) await fs.rm(tmp, { recursive: true, force: true });
});

// ---- a. deterministic kills at each phase --------------------------------------------------------

interface PhaseCase {
  phase: 'afterOffsetLog' | 'beforeSink' | 'beforeCommit' | 'afterCommit';
  /** Which batch of the run dies: the next batch id + this. */
  ahead: number;
  /** Records produced before the crashing run / between the crash and the restart. */
  before: number;
  between: number;
  /** maxRecordsPerFile of the crashing run and of the restart (a change renames the batch's files). */
  crashFiles?: number;
  restartFiles?: number;
  /** Crash the restart too, at this phase of the same batch, before the clean run. */
  crashAgainAt?: 'beforeSink' | 'beforeCommit' | 'afterCommit';
}

const CASES: PhaseCase[] = [
  { phase: 'afterOffsetLog', ahead: 0, before: 500, between: 200 }, // batch 0 of a new checkpoint
  { phase: 'beforeSink', ahead: 1, before: 500, between: 0 },
  // Files of the crashed attempt are cut 2 rows each; the restart writes one file per directory,
  // so most of the first attempt's names are leftovers the re-run must remove.
  { phase: 'beforeCommit', ahead: 0, before: 500, between: 200, crashFiles: 2, restartFiles: 0 },
  { phase: 'afterCommit', ahead: 1, before: 500, between: 250 },
  // Killed mid-recovery: three attempts at one batch with three file namings (1, 3 and 1 file per
  // directory); the re-run that dies again has finished its sink.
  { phase: 'beforeCommit', ahead: 1, before: 400, between: 100, crashFiles: 0, crashAgainAt: 'beforeCommit', restartFiles: 3 },
  // The re-run dies again just after its commit: the next start must not run the batch a third time.
  { phase: 'beforeSink', ahead: 0, before: 300, between: 0, crashAgainAt: 'afterCommit', restartFiles: 2 },
];

describe('crash recovery: Kafka -> Parquet stays exactly once through SIGKILLs', () => {
  it('a. deterministic kills at every phase, then a restart re-runs the same offsets', async () => {
    const summary: string[] = [];
    for (const k of CASES) {
      const label = `${k.phase}+${k.ahead}`;
      const t0 = Date.now();
      const cBefore = await commitIds();
      expect((await offsetIds()).at(-1) ?? null, `${label}: no batch pending before the case`).toBe(cBefore.at(-1) ?? null);
      const target = (cBefore.at(-1) ?? -1) + 1 + k.ahead;
      await produceRecords(k.before);

      const crashed = await runChild({ crashAt: `${k.phase}:${target}`, maxRecordsPerFile: k.crashFiles });
      expect(crashed.signal, `${label} at batch ${target}: the hook must kill the child: ${describeRun(crashed)}`).toBe('SIGKILL');
      expect(crashed.progress.map((p) => p.batchId)).not.toContain(target);

      // What the checkpoint and the output look like at that phase.
      const o = await offsetIds(), c = await commitIds(), logs = await sinkLogIds();
      const files = await walk(out);
      expect(o.at(-1), `${label}: offsets/${target} is the newest offset log entry`).toBe(target);
      if (k.phase === 'afterCommit') {
        expect(c.at(-1), `${label}: commits/${target} written`).toBe(target);
        expect(logs).toContain(target);
      } else {
        expect(c.at(-1) ?? -1, `${label}: commits/${target} not written`).toBe(target - 1);
        if (k.phase === 'beforeCommit') {
          expect(logs, `${label}: the sink finished (its log entry is there)`).toContain(target);
          expect(dataFilesOf(files, target).length).toBeGreaterThan(0);
        } else {
          expect(logs).not.toContain(target);
          expect(dataFilesOf(files, target), `${label}: the sink has not started`).toEqual([]);
        }
      }
      const logged = await readOffsets(target);
      const loggedStart = target === 0 ? null : await readOffsets(target - 1);
      await produceRecords(k.between);

      let restarted: ChildResult;
      if (k.crashAgainAt) {
        const again = await runChild({ crashAt: `${k.crashAgainAt}:${target}`, maxRecordsPerFile: k.restartFiles });
        expect(again.signal, `${label}: second crash at ${k.crashAgainAt}: ${describeRun(again)}`).toBe('SIGKILL');
        expect(again.progress, `${label}: the re-run died in batch ${target}, the first it runs`).toEqual([]);
        restarted = await runClean(0);
      } else {
        restarted = await runClean(k.restartFiles);
      }
      {
        if ((k.crashAgainAt ?? k.phase) === 'afterCommit') {
          expect(restarted.progress.map((p) => p.batchId), `${label}: a committed batch is not run again`).not.toContain(target);
          expect(restarted.progress[0]?.batchId).toBe(target + 1);
          expect(restarted.progress[0]?.startOffset).toEqual(logged);
        } else {
          // The uncommitted batch is re-run first, with exactly the ranges written ahead.
          const first = restarted.progress[0]!;
          expect(first?.batchId, `${label}: the restart re-runs batch ${target} first: ${describeRun(restarted)}`).toBe(target);
          expect(first.endOffset, `${label}: re-run of ${target} uses offsets/${target}`).toEqual(logged);
          if (loggedStart) expect(first.startOffset).toEqual(loggedStart);
          expect(first.numInputRows).toBe(totalOf(logged) - totalOf(loggedStart ?? undefined));
        }
      }
      expect(await committedRows(), `${label}: availableNow consumed the whole topic`).toBe(produced);
      await expectExactlyOnceSoFar(`after ${label} at batch ${target}`);
      if (k.crashFiles !== undefined || k.restartFiles !== undefined) {
        // The leftovers of the other file naming are gone: the directory holds exactly the logged files.
        const entry = JSON.parse(await fs.readFile(path.join(out, '_sluice_log', String(target)), 'utf8')) as { files: { path: string }[] };
        expect(dataFilesOf(await walk(out), target)).toEqual(entry.files.map((f) => f.path).sort());
      }
      summary.push(`  ${label} at batch ${target}${k.crashAgainAt ? `, again at ${k.crashAgainAt}` : ''}: killed after ${crashed.ms} ms, ` +
        `restart ran batches ${restarted.progress[0]?.batchId}..${restarted.progress.at(-1)?.batchId}; case ${Date.now() - t0} ms`);
    }
    console.log(`crash-recovery a: ${produced} ids so far\n${summary.join('\n')}`);
    partAOk = true;
  }, 240_000); // ~40 s alone at load 8; past 90 s in a whole-suite run at load 10

  // ---- b. kills at random times --------------------------------------------------------------

  it('b. SIGKILL at seeded random times (many landing inside the Parquet sink)', async () => {
    expect(partAOk, 'part a failed; part b builds on its checkpoint').toBe(true);
    const MIN_KILLS = 10, MAX_KILLS = 18, WANT_IN_SINK = 3;
    const states: (KillState & { how: string; ms: number; midSink?: boolean })[] = [];
    let midSink = 0, runs = 0, sinkKills = 0;
    while (runs < MAX_KILLS && (runs < MIN_KILLS || sinkKills < WANT_IN_SINK)) {
      runs++;
      // Keep a backlog of several batches so a kill always has work to interrupt.
      const backlog = produced - (await committedRows());
      const want = 4 * MAX_OFFSETS + randInt(rng, 0, 400);
      if (backlog < want) await produceRecords(want - backlog);
      else if (rng() < 0.3) await produceRecords(randInt(rng, 100, 400));
      const anchored = rng() < 0.65;
      // Counted from a progress line, the delay lands in the next batch (~50 files, a few hundred
      // ms, most of it in the sink); counted from the spawn, anywhere from startup to a late batch.
      const how = anchored ? { killAfterProgress: { n: randInt(rng, 1, 2), delayMs: randInt(rng, 0, 350) } } : { killAfterMs: randInt(rng, 250, 2400) };
      const r = await runChild(how);
      if (!r.killedByParent) {
        // It may finish first (a short backlog); anything but a clean exit is a failure.
        expect(r.code, `random run ${runs} ended by itself: ${describeRun(r)}`).toBe(0);
      } else {
        expect(r.signal, describeRun(r)).toBe('SIGKILL');
      }
      const s = await killState();
      const label = anchored ? `progress#${how.killAfterProgress!.n}+${how.killAfterProgress!.delayMs}ms` : `spawn+${how.killAfterMs}ms`;
      states.push({ ...s, how: r.killedByParent ? label : `${label} (exited 0 first)`, ms: r.ms });
      // A batch caught with some files (or a temp file) but no log entry was inside its sink;
      // whether it had all its files is known once it commits (see below).
      if (s.pending !== null && !s.sinkLog && (s.dataFiles > 0 || s.newTempFiles > 0)) sinkKills++;
    }
    // Restart until done: each run must exit 0 at once; then the output is exactly once so far.
    await runClean();
    expect(await committedRows()).toBe(produced);
    await expectExactlyOnceSoFar('after the random kills');
    // Mid-sink: the batch had some but not all of its files (the full count is in its log entry now
    // that it is committed), or a write was cut short (a temp file was left).
    for (const s of states) {
      if (s.pending === null || s.sinkLog) continue;
      const entry = JSON.parse(await fs.readFile(path.join(out, '_sluice_log', String(s.pending)), 'utf8')) as { files: unknown[] };
      if (s.newTempFiles > 0 || (s.dataFiles > 0 && s.dataFiles < entry.files.length)) { s.midSink = true; midSink++; }
    }
    console.log(`crash-recovery b: ${runs} random runs, ${midSink} killed mid-sink\n` + states.map((s, i) =>
      `  #${i + 1} ${s.how} (${s.ms} ms): committed ${s.committed}, pending ${s.pending ?? '-'}` +
      (s.pending !== null ? `, ${s.dataFiles} data files, ${s.newTempFiles} new temp files, sink log ${s.sinkLog ? 'written' : 'not written'}` : '') +
      (s.midSink ? ' [mid-sink]' : '')).join('\n'));
    expect(midSink, 'kills that caught a batch with part of its Parquet files written').toBeGreaterThanOrEqual(1);
    partBOk = true;
  }, 240_000);

  // ---- c. final run and the whole output -------------------------------------------------------

  it('c. the final output holds every produced id exactly once', async () => {
    expect(partBOk, 'part b failed; part c checks what a and b left').toBe(true);
    await produceRecords(777);
    const last = await runClean();
    expect(last.progress.length).toBeGreaterThanOrEqual(2);
    expect(await committedRows()).toBe(produced);

    // Every id once, nothing else, and the amounts add up (DuckDB reads every *.parquet file:
    // a partial file would make this fail).
    const [r] = await duckQuery(
      `select count(*) as n, count(distinct id) as d, min(id) as lo, max(id) as hi, sum(amount) as s,
              count(distinct user_id) as users, count(*) filter (where user_id is null or amount is null) as nulls
       from read_parquet(${glob()}, hive_partitioning = true)`);
    expect({ n: Number(r!.n), d: Number(r!.d), lo: Number(r!.lo), hi: Number(r!.hi), users: Number(r!.users), nulls: Number(r!.nulls) })
      .toEqual({ n: produced, d: produced, lo: 0, hi: produced - 1, users: USERS, nulls: 0 });
    expect(Number(r!.s)).toBe(expectedSum);
    // user_id comes back from the directory names and matches the rows' own values.
    const [bad] = await duckQuery(
      `select count(*) as n from read_parquet(${glob()}, hive_partitioning = true) where user_id <> 'u' || ((id * 7) % ${USERS})`);
    expect(Number(bad!.n)).toBe(0);

    // Batches 0..last are committed, each has its sink log entry, and the log entries list
    // exactly the *.parquet files on disk with their row counts.
    const c = await commitIds();
    const lastBatch = c.at(-1)!;
    const logs = await sinkLogIds();
    expect(logs).toEqual(Array.from({ length: lastBatch + 1 }, (_, i) => i));
    expect(c.length).toBeLessThanOrEqual(MIN_BATCHES_TO_RETAIN); // old entries were purged
    const listed = new Map<string, number>();
    let loggedRows = 0;
    for (const id of logs) {
      const e = JSON.parse(await fs.readFile(path.join(out, '_sluice_log', String(id)), 'utf8')) as { batchId: number; numRows: number; files: { path: string; rows: number }[] };
      expect(e.batchId).toBe(id);
      for (const f of e.files) {
        expect(listed.has(f.path), `${f.path} is listed by two batches`).toBe(false);
        listed.set(f.path, f.rows);
      }
      loggedRows += e.numRows;
    }
    expect(loggedRows).toBe(produced);
    const onDisk = (await walk(out)).filter((f) => f.endsWith('.parquet'));
    expect(onDisk).toEqual([...listed.keys()].sort());
    const perFile = await duckQuery(
      `select filename, count(*) as n from read_parquet(${glob()}, filename = true) group by filename`);
    const counted = new Map(perFile.map((x) => [path.relative(out, String(x.filename)).split(path.sep).join('/'), Number(x.n)]));
    expect(counted).toEqual(listed);
    const temps = (await walk(out)).filter((f) => f.endsWith('.tmp'));
    console.log(`crash-recovery c: ${produced} ids in ${lastBatch + 1} batches, ${onDisk.length} files; ${temps.length} temp files left by killed writes`);
  }, 60_000);
});
