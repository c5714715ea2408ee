/**
 * Throughput of a query run by 1, 2 and 4 scale-out worker processes on this machine, against the plain
 * query (one process, one trigger loop) in the same run (docs/design/scale-out.md):
 *
 *   npx tsx bench/scale-out.ts [--events 200000] [--partitions 8] [--workers 1,2,4] [--idle-secs 3]
 *
 * Two queries, each over its own topic of N events on P partitions (produced first, not timed), with the
 * tests' child fixtures (fixed split, worker i of n):
 * - stateless: test/fixtures/scale-out-query.ts (from_json -> filter -> Parquet), availableNow; timed from
 *   spawning the processes until all have exited, so it includes each process's start (startup_secs and startup_cpu_secs:
 *   the plain query over an empty topic; the *_after_startup figures subtract one start's time, and every
 *   process's start-up CPU);
 * - windowed: test/fixtures/scale-out-windowed-query.ts (withWatermark 10 min, count per 10 s window and key,
 *   append) as stage-0 and stage-1 tasks, processingTime 100 ms; event times span 5 minutes, below the
 *   delay, so no row is late whichever task runs ahead. When every input partition has been read (the
 *   progress lines' endOffsets), one flush row per partition a day later closes every window; timed from
 *   spawn until DuckDB sees all 210 windows (polled every 250 ms), then checked: the counts add up to N.
 * Per-task cost, for projecting N machines: the workers' CPU seconds per run (this process's reaped
 * children, /proc/self/stat cutime+cstime), hence events per CPU second; and each configuration's idle CPU
 * (ms per wall second, /proc/<pid>/stat, over --idle-secs after the windowed run has caught up) divided by
 * its task count. Prints one JSON line on stdout; progress on stderr.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { producePartitioned } from './support/kafka.ts';
import { childCpuSecs, pidCpuSecs } from './support/proc-cpu.ts';
import { startBroker, produce, uniqueTopic, type TestBroker } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { repartitionTopic } from '../src/runtime/scale-out/shuffle-stages.ts';
import { runQueryChild, describeRun, type ChildResult } from '../test/support/query-child.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, partitions: { type: 'string', default: '8' }, workers: { type: 'string', default: '1,2,4' }, 'idle-secs': { type: 'string', default: '3' } },
});
const N = Number(args.events), P = Number(args.partitions), WORKERS = args.workers.split(',').map(Number), IDLE_MS = Number(args['idle-secs']) * 1000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STATELESS = fileURLToPath(new URL('../test/fixtures/scale-out-query.ts', import.meta.url));
const WINDOWED = fileURLToPath(new URL('../test/fixtures/scale-out-windowed-query.ts', import.meta.url));
const MAX_OFFSETS = '20000';
const BASE = Date.UTC(2024, 0, 1), SPAN_MS = 300_000, KEYS = 7;
const WINDOWS = (SPAN_MS / 10_000) * KEYS;
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface Progress { batchId: number; task?: string; endOffset?: unknown }
interface RunFigures { secs: number; cpu_secs: number; idle_cpu_ms_per_sec?: number; tasks: number; processes: number }

async function topicOf(broker: TestBroker, name: string, value: (i: number) => string): Promise<string> {
  const topic = uniqueTopic(name);
  await broker.createTopic(topic, P);
  const parts: Buffer[][] = Array.from({ length: P }, () => []);
  for (let i = 0; i < N; i++) parts[i % P]!.push(Buffer.from(value(i)));
  await producePartitioned(broker.bootstrap, topic, parts);
  return topic;
}

function modes(workers: number): string[] {
  return workers === 0 ? ['plain'] : Array.from({ length: workers }, (_, i) => `${i}/${workers}`);
}

/** The stateless query by `workers` processes (0: the plain query), availableNow; output checked. */
async function stateless(broker: TestBroker, topic: string, workers: number, expectRows: number): Promise<RunFigures> {
  const dir = tmpDir('bench-so-stateless');
  try {
    const cpu0 = childCpuSecs(), t0 = performance.now();
    const runs = await Promise.all(modes(workers).map((m) => runQueryChild<{ batchId: number }>(ROOT, [STATELESS, broker.bootstrap, topic, join(dir, 'cp'), join(dir, 'out'), MAX_OFFSETS, m], { ...process.env }, {}, 900_000)));
    const secs = (performance.now() - t0) / 1000, cpu = childCpuSecs() - cpu0;
    for (const r of runs) if (r.code !== 0) throw new Error(describeRun(r));
    if (expectRows >= 0) {
      const [r] = await duckQuery(`select count(*)::BIGINT n, count(distinct id)::BIGINT d from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
      if (Number(r!.n) !== expectRows || Number(r!.d) !== expectRows) throw new Error(`stateless ${workers} workers: ${r!.n} rows (${r!.d} distinct), expected ${expectRows}`);
    }
    return { secs, cpu_secs: cpu, tasks: workers ? P : 1, processes: Math.max(1, workers) };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** The windowed query by `workers` processes (0: the plain query, live), until every window is out; then its idle CPU; output checked. */
async function windowed(broker: TestBroker, workers: number): Promise<RunFigures> {
  const topic = await topicOf(broker, 'bench-so-win', (i) => JSON.stringify({ id: i, k: `k${i % KEYS}`, ts: new Date(BASE + Math.floor((i * SPAN_MS) / N)).toISOString() }));
  const dir = tmpDir('bench-so-win'), out = join(dir, 'out');
  const ends = new Map<number, number>();
  const observe = (p: Progress): void => {
    if (workers && !p.task?.startsWith('0_')) return;
    const e = (typeof p.endOffset === 'string' ? JSON.parse(p.endOffset) : p.endOffset) as Record<string, Record<string, number>> | undefined;
    for (const [part, off] of Object.entries(e?.[topic] ?? {})) ends.set(Number(part), Math.max(off, ends.get(Number(part)) ?? -1));
  };
  const pids: number[] = [], kills: (() => void)[] = [];
  try {
    if (workers) {
      // The repartition topic with the shuffle's count (the test broker has no CreateTopics): the query id fixed first.
      const id = randomUUID();
      mkdirSync(join(dir, 'cp'), { recursive: true });
      writeFileSync(join(dir, 'cp', 'metadata'), JSON.stringify({ id }) + '\n');
      await broker.createTopic(repartitionTopic(id), P);
    }
    const cpu0 = childCpuSecs(), t0 = performance.now();
    const runs: Promise<ChildResult<Progress>>[] = (workers ? modes(workers) : ['live']).map((m) => runQueryChild<Progress>(ROOT,
      [WINDOWED, broker.bootstrap, topic, join(dir, 'cp'), out, MAX_OFFSETS, m], { ...process.env },
      { onSpawn: (c) => { pids.push(c.pid); kills.push(c.kill); } }, 900_000, observe));
    const until = Date.now() + 900_000;
    while (Array.from({ length: P }, (_, p) => ends.get(p) ?? -1).some((e, p) => e < Math.floor(N / P) + (p < N % P ? 1 : 0))) {
      if (Date.now() > until) throw new Error(`windowed ${workers}: input not read in time`);
      await sleep(100);
    }
    await produce(broker.bootstrap, topic, Array.from({ length: P }, (_, p) => ({ partition: p, value: JSON.stringify({ id: -1, k: 'flush', ts: new Date(BASE + 86_400_000).toISOString() }) })));
    const count = async () => Number((await duckQuery(`select count(*)::BIGINT n from read_parquet('${out}/**/*.parquet')`).catch(() => [{ n: 0 }]))[0]!.n);
    while (await count() < WINDOWS) {
      if (Date.now() > until) throw new Error(`windowed ${workers}: windows not out in time`);
      await sleep(250);
    }
    const secs = (performance.now() - t0) / 1000;
    const c0 = pids.reduce((s, pid) => s + pidCpuSecs(pid), 0), i0 = performance.now();
    await sleep(IDLE_MS);
    const idle = ((pids.reduce((s, pid) => s + pidCpuSecs(pid), 0) - c0) * 1000) / ((performance.now() - i0) / 1000);
    for (const k of kills) k();
    await Promise.all(runs);
    const cpu = childCpuSecs() - cpu0;
    const [r] = await duckQuery(`select count(*)::BIGINT n, sum(count)::BIGINT s from read_parquet('${out}/**/*.parquet')`);
    if (Number(r!.n) !== WINDOWS || Number(r!.s) !== N) throw new Error(`windowed ${workers} workers: ${r!.n} windows summing to ${r!.s}, expected ${WINDOWS} summing to ${N}`);
    return { secs, cpu_secs: cpu, idle_cpu_ms_per_sec: Math.round(idle), tasks: workers ? 2 * P : 1, processes: Math.max(1, workers) };
  } finally {
    for (const k of kills) k();
    rmSync(dir, { recursive: true, force: true });
  }
}

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 200) / P / (1 << 20)) * 4) });
try {
  const purchases = Array.from({ length: N }, (_, i) => i).filter((i) => i % 5 !== 0).length;
  const input = await topicOf(broker, 'bench-so', (i) => JSON.stringify({ id: i, kind: i % 5 === 0 ? 'skip' : 'k', amount: i / 4 }));
  const empty = uniqueTopic('bench-so-empty');
  await broker.createTopic(empty, P);
  log(`produced ${N} events over ${P} partitions`);
  const startup = await stateless(broker, empty, 0, -1);
  log(`startup (plain over an empty topic): ${startup.secs.toFixed(2)} s`);
  const fig = (r: RunFigures) => ({
    secs: +r.secs.toFixed(2), events_per_sec: Math.round(N / r.secs),
    // Less one process start (startup_secs; the processes start in parallel): the rate of the loops themselves.
    events_per_sec_after_startup: Math.round(N / Math.max(0.01, r.secs - startup.secs)),
    // Less every process's start-up CPU (startup_cpu_secs each): the CPU the events themselves cost.
    events_per_cpu_sec_after_startup: Math.round(N / Math.max(0.01, r.cpu_secs - r.processes * startup.cpu_secs)), cpu_secs: +r.cpu_secs.toFixed(2), events_per_cpu_sec: Math.round(N / r.cpu_secs),
    ...(r.idle_cpu_ms_per_sec !== undefined ? { idle_cpu_ms_per_sec: r.idle_cpu_ms_per_sec, idle_cpu_ms_per_sec_per_task: +(r.idle_cpu_ms_per_sec / r.tasks).toFixed(1) } : {}),
  });
  const result: Record<string, unknown> = { bench: 'scale-out', events: N, partitions: P, cores: availableParallelism(), startup_secs: +startup.secs.toFixed(2), startup_cpu_secs: +startup.cpu_secs.toFixed(2) };
  const sl: Record<string, unknown> = {}, win: Record<string, unknown> = {};
  for (const w of [0, ...WORKERS]) {
    const r = await stateless(broker, input, w, purchases);
    log(`stateless ${w || 'plain'}: ${r.secs.toFixed(2)} s, ${r.cpu_secs.toFixed(2)} CPU s`);
    sl[w ? `workers_${w}` : 'baseline_plain'] = fig(r);
  }
  for (const w of [0, ...WORKERS]) {
    const r = await windowed(broker, w);
    log(`windowed ${w || 'plain'}: ${r.secs.toFixed(2)} s, ${r.cpu_secs.toFixed(2)} CPU s, idle ${r.idle_cpu_ms_per_sec} ms/s`);
    win[w ? `workers_${w}` : 'baseline_plain'] = fig(r);
  }
  result.stateless = sl;
  result.windowed = win;
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await broker.stop();
}
