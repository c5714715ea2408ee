// Scale-out's tasks and workers (docs/design/scale-out.md) with real processes: test/fixtures/scale-out-query.ts
// runs Kafka (8 partitions) -> from_json -> filter -> select -> Parquet, availableNow, as a plain query, as one
// worker that owns the 8 tasks 0_0..0_7, or as worker i of 3 (tasks i, i+3, ... round robin). DuckDB reads the
// outputs: every row once, the same rows as the plain run; a worker SIGKILLed mid-batch and started again
// completes its tasks without touching another task's files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';
import { runSluice } from './support/cli.ts';
import { produceWhileAlive } from './support/waves.ts';
import { describeRun, runQueryChild, type ChildRunOptions, type ChildResult } from './support/query-child.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/scale-out-query.ts', import.meta.url));
const PARTITIONS = 8;
const ROWS = 800;
/** Rows per task batch: each task's 100 rows take 4 batches. */
const MAX_OFFSETS = 25;
const CHILD_TIMEOUT_MS = 180_000;

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; task?: string; owned?: string[]; generation?: number }

let broker: TestBroker;
let topic: string;
/** The ids a correct run writes: every row but the skipped kind. */
const expected = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 5 !== 0);

beforeAll(async () => {
  broker = await startBroker();
  topic = uniqueTopic('scale-out');
  await broker.createTopic(topic, PARTITIONS);
  await produce(broker.bootstrap, topic, Array.from({ length: ROWS }, (_, i) => row(i)));
}, 60_000);
afterAll(async () => { await broker?.stop(); });

function run(cp: string, out: string, mode: string, o: ChildRunOptions = {}, input = topic): Promise<ChildResult<Progress>> {
  return runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, input, cp, out, String(MAX_OFFSETS), mode], { ...process.env }, o, CHILD_TIMEOUT_MS);
}

/** Row i of the input: JSON spread over the partitions round robin. */
const row = (i: number) => ({ partition: i % PARTITIONS, value: JSON.stringify({ id: i, kind: i % 5 === 0 ? 'skip' : 'k', amount: i / 4 }) });

/** Every id a plain DuckDB glob over `out` sees, in order (duplicates kept). */
async function ids(out: string): Promise<number[]> {
  return (await duckQuery(`SELECT id FROM read_parquet('${out}/**/*.parquet') ORDER BY id`)).map((r) => Number(r.id));
}

/** The data files under `out`, by name. */
const dataFiles = (out: string): string[] => readdirSync(out).filter((f) => f.endsWith('.parquet')).sort();

describe('scale-out: tasks over Kafka partitions, Parquet output', () => {
  it('1 worker and 3 workers write the rows of the plain run, each once', async () => {
    const dir = tmpDir('scale-out-eq');
    const plain = await run(path.join(dir, 'cp-plain'), path.join(dir, 'plain'), 'plain');
    expect(plain.code, describeRun(plain)).toBe(0);
    const one = await run(path.join(dir, 'cp-1'), path.join(dir, 'one'), '0/1');
    expect(one.code, describeRun(one)).toBe(0);
    const three = await Promise.all([0, 1, 2].map((i) => run(path.join(dir, 'cp-3'), path.join(dir, 'three'), `${i}/3`)));
    for (const r of three) expect(r.code, describeRun(r)).toBe(0);

    expect(await ids(path.join(dir, 'plain'))).toEqual(expected);
    expect(await ids(path.join(dir, 'one'))).toEqual(expected);
    expect(await ids(path.join(dir, 'three'))).toEqual(expected);

    // Each worker ran only its round-robin share, and said so in its progress.
    const tasksOf = (r: ChildResult<Progress>): string[] => [...new Set(r.progress.map((p) => p.task!))].sort();
    expect(tasksOf(one)).toEqual(['0_0', '0_1', '0_2', '0_3', '0_4', '0_5', '0_6', '0_7']);
    expect(three.map(tasksOf)).toEqual([['0_0', '0_3', '0_6'], ['0_1', '0_4', '0_7'], ['0_2', '0_5']]);
    expect(three[1]!.progress.every((p) => JSON.stringify(p.owned) === JSON.stringify(['0_1', '0_4', '0_7']))).toBe(true);
    // Batch ids count per task: 4 batches of 25 rows each (20 written) per task.
    expect(three.flatMap((r) => r.progress).filter((p) => p.task === '0_5').map((p) => [p.batchId, p.numInputRows, p.numOutputRows]))
      .toEqual([[0, 25, 20], [1, 25, 20], [2, 25, 20], [3, 25, 20]]);
    expect(dataFiles(path.join(dir, 'three'))).toContain('part-0_5-3-0.parquet');
    expect(readdirSync(path.join(dir, 'three', '_sluice_log')).sort()).toEqual(['0_0', '0_1', '0_2', '0_3', '0_4', '0_5', '0_6', '0_7']);

    // `sluice query` reads the per-task logs.
    const q = await runSluice(['query', path.join(dir, 'three'), 'SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM output', '--json']);
    expect(q.code, q.stderr).toBe(0);
    const [row] = JSON.parse(q.stdout) as Record<string, string>[];
    expect([row!.n, row!.d, row!.s].map(Number)).toEqual([expected.length, expected.length, expected.reduce((x, y) => x + y, 0)]);
  }, 600_000);

  it('a worker SIGKILLed mid-batch, started again, completes its tasks; every row once', async () => {
    const dir = tmpDir('scale-out-kill');
    const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    // Worker 1 kills itself once its first task has written batch 1 but not committed it (offsets/1
    // without commits/1); worker 2 is killed from outside after its 2nd batch of 8 (its two tasks' 4 each, back to back
    // under availableNow: an earlier kill leaves it more batches to run while the kill is on its way). Worker 0 runs to its end meanwhile.
    let killedPid = 0;
    const first = await Promise.all([
      run(cp, out, '0/3'),
      run(cp, out, '1/3', { crashAt: 'beforeCommit:1', onSpawn: (c) => { killedPid = c.pid; } }),
      run(cp, out, '2/3', { killAfterProgress: { n: 2, delayMs: 0 } }),
    ]);
    expect(first[0]!.code, describeRun(first[0]!)).toBe(0);
    expect(first[1]!.signal, describeRun(first[1]!)).toBe('SIGKILL');
    expect(first[2]!.signal, describeRun(first[2]!)).toBe('SIGKILL');
    const taskDir = (t: string, sub: string): string[] => { try { return readdirSync(path.join(cp, 'tasks', t, sub)); } catch { return []; } };
    // Its tasks run concurrently, so more than one may be cut between offsets/1 and commits/1; the crash hook's wrote its files.
    const cut = ['0_1', '0_4', '0_7'].filter((t) => taskDir(t, 'offsets').includes('1') && !taskDir(t, 'commits').includes('1') && dataFiles(out).includes(`part-${t}-1-0.parquet`));
    expect(cut.length, ['0_1', '0_4', '0_7'].map((t) => `${t}: ${taskDir(t, 'offsets')} / ${taskDir(t, 'commits')}`).join('; ')).toBeGreaterThan(0);
    // `checkpoint show` reads the per-task layout: the cut task's batch waits for its re-run, its lease was left by the dead worker.
    const shown = await runSluice(['checkpoint', 'show', cp]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Stage 0     8 tasks (0_0..0_7) over ${topic} (8 partitions)  (scale-out)`);
    const line = (text: string, t: string): string => text.split('\n').find((l) => l.startsWith(`${t} `)) ?? `(no line for ${t} in:\n${text})`;
    expect(line(shown.stdout, cut[0]!)).toMatch(new RegExp(`^${cut[0]} +\\| +\\d+ \\| +1 \\(1: re-run on restart\\) .*\\| left by pid ${killedPid} on `));
    expect(line(shown.stdout, '0_3')).toMatch(/^0_3 +\| +\d+ \| +\d+ +\| [-0-9: .]+\| +\d+ \| \S+ 3:100 +\| free$/);
    // What an earlier attempt of the cut batch with more files would have left: the re-run removes it.
    const stale = `part-${cut[0]}-1-7.parquet`;
    copyFileSync(path.join(out, `part-${cut[0]}-1-0.parquet`), path.join(out, stale));

    // Started again (same host: the dead processes' task leases are taken over at once).
    const again = await Promise.all([run(cp, out, '1/3'), run(cp, out, '2/3')]);
    for (const r of again) expect(r.code, describeRun(r)).toBe(0);
    expect(await ids(out)).toEqual(expected);
    // Worker 0's tasks were done before and are untouched: its files are all still there.
    for (const t of ['0_0', '0_3', '0_6']) expect(dataFiles(out).filter((f) => f.startsWith(`part-${t}-`))).toHaveLength(4);
    expect(dataFiles(out)).not.toContain(stale);
    const after = await runSluice(['checkpoint', 'show', cp]);
    for (let p = 0; p < PARTITIONS; p++) expect(line(after.stdout, `0_${p}`)).toMatch(new RegExp(`\\| \\S+ ${p}:100 +\\| free$`));
    expect(after.stdout).toContain(`records read; no state`);
  }, 600_000);

  it("a worker of the group SIGKILLed mid-run: the others take its tasks over when its session ends; every row once", async () => {
    const dir = tmpDir('scale-out-group');
    const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    const kills: (() => void)[] = [];
    // The input arrives in waves while the workers run, so every member of the group has batches to run
    // whichever joins last. Worker 1 is killed once it has run 2 batches; the others run until the output is whole.
    const input = uniqueTopic('scale-out-group');
    await broker.createTopic(input, PARTITIONS);
    const workers = [0, 1, 2].map((i) => run(cp, out, 'group', { onSpawn: (c) => { kills[i] = c.kill; }, ...(i === 1 ? { killAfterProgress: { n: 2, delayMs: 0 } } : {}) }, input));
    // Waves of 40 rows a second until 800 rows are in and worker 1 has been gone (however slowly the machine
    // started it) for 3 waves, so each of its tasks has new rows for its next owner.
    const { produced } = await produceWhileAlive(workers[1]!,
      (from, n) => produce(broker.bootstrap, input, Array.from({ length: n }, (_, k) => row(from + k))), { minRows: 800, everyMs: 1000 });
    const wanted = Array.from({ length: produced }, (_, i) => i).filter((i) => i % 5 !== 0);
    const killed = await workers[1]!;
    expect(killed.signal, describeRun(killed)).toBe('SIGKILL');
    const lost = new Set(killed.progress.at(-1)!.owned);
    const deadline = Date.now() + 240_000;
    let seen: number[] = [];
    while (Date.now() < deadline) {
      seen = await ids(out).catch(() => []);
      if (seen.length >= wanted.length) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    kills[0]!(); kills[2]!();
    const survivors = await Promise.all([workers[0]!, workers[2]!]);
    expect(seen, survivors.map(describeRun).join('\n')).toEqual(wanted);
    expect(await ids(out)).toEqual(wanted);
    // The killed worker's tasks were taken over by the survivors in a later generation.
    const after = survivors.flatMap((r) => r.progress).filter((p) => lost.has(p.task!) && p.generation! > killed.progress.at(-1)!.generation!);
    expect(new Set(after.map((p) => p.task))).toEqual(lost);
  }, 600_000);

  it('sluice run --workers 3 runs the script in 3 prefixed worker processes', async () => {
    const dir = tmpDir('scale-out-cli');
    const out = path.join(dir, 'out');
    const r = await runSluice(['run', '--workers', '3', '--log-format', 'json', FIXTURE, '--', broker.bootstrap, topic, path.join(dir, 'cp'), out, String(MAX_OFFSETS), 'run']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (const w of [0, 1, 2]) expect(lines.some((l) => l.startsWith(`[worker ${w}] {`)), r.stdout.slice(0, 2000)).toBe(true);
    expect(lines.every((l) => /^\[worker [0-2]\] /.test(l))).toBe(true);
    // The reporter's progress records carry the tasks each worker owns.
    const records = lines.map((l) => JSON.parse(l.replace(/^\[worker \d\] /, '')) as { event?: string; task?: string; tasks?: { owned: { task: string }[] } })
      .filter((p) => p.event === undefined && p.task !== undefined);
    expect(new Set(records.map((p) => p.task)).size).toBe(PARTITIONS);
    expect(records.every((p) => p.tasks!.owned.some((o) => o.task === p.task))).toBe(true);
    expect(await ids(out)).toEqual(expected);
  }, 600_000);
});
