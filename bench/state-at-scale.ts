/**
 * State at scale: 1M distinct live window keys in the state store.
 *
 *   npx tsx bench/state-at-scale.ts [--keys 1000000]
 *
 * Batch 0 creates every key (one row per user in one 1-hour window the watermark never
 * closes), batch 1 touches 1% of them, batch 2 touches all again. Then a new query restarts
 * from the checkpoint (loading the state: newest snapshot + deltas) in a child process, and the
 * same query starts in another child on an empty checkpoint: the difference of their RSS (after
 * a full GC, input rows not counted) is what the state costs in memory. Prints one JSON line:
 * each batch's time and state commit time (progress's durationMs), the restart time, the state's
 * memory, peak RSS, and the state files' sizes. Baseline in the same run: a hand-written Map of
 * the same keys written whole as JSON (what "commit everything" costs).
 * On a shared machine the wall times swell with the load, so each batch's and the restart's
 * CPU time (user + system, all threads) and the load average are printed too, and so are the
 * page faults of the create and touch batches and what this machine charges for fresh memory.
 *
 *   npx tsx bench/state-at-scale.ts --keys 10000000 --budget 512m [--chunk 500000]
 *
 * With --budget (sluice.state.memoryBudget), state past memory instead (issue #15): batches of
 * --chunk new keys until --keys are live, then a batch touching 1% of them spread over all
 * (most are spilled: read back from the local store), then one touching the newest chunk
 * again. Each run is its own child process, so its peak RSS is its own: first the baseline,
 * the same batches for one chunk of keys with no budget (all in memory), then the spilling
 * run. Prints one JSON line: per batch its time, commit time, rows in memory and spilled,
 * pages and rows read back; per run peak RSS and, at the end, RSS split into anonymous memory
 * and mapped file pages (LMDB's reads come through its memory map), also after each batch.
 * Each chunk of input is dropped once its batch ran (as a Kafka source holds none of it);
 * --keep-input keeps them all in the MemoryStream, as it did before (inputMB: their size).
 *
 * Both print GLIBC_TUNABLES as glibcTunables: with glibc.malloc.hugetlb=1 the big arrays get
 * transparent huge pages, which changes the fresh-memory figures a lot on a VM (docs/operations.md,
 * "Memory on virtual machines"). Compare runs with the same value.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Session, MemoryStream, col, window, sum, count, types as T } from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { type MemoryStreamData, rowsToBatch } from '../src/sources/memory/memory-source.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const KEYS = arg('keys', 1_000_000);
const session = Session.builder().appName('state-at-scale').config('sluice.stateSnapshotInterval', 100).getOrCreate();
const schema = T.struct({ user_id: T.string, amount: T.double, event_time: T.timestamp });
const t0 = Date.UTC(2024, 0, 1, 10);
const rows = (n: number, step: number, amount: number) => Array.from({ length: n }, (_, i) => ({ user_id: `user-${(i * step) % KEYS}`, amount, event_time: new Date(t0 + (i % 3600) * 1000) }));
const query = (s: MemoryStream, cp: string) => s.toDF().withWatermark('event_time', '1 day')
  .groupBy(window(col('event_time'), '1 hour'), col('user_id')).agg(sum('amount').alias('total'), count('*').alias('n'))
  .writeStream.outputMode('update').foreachBatch(() => undefined).option('checkpointLocation', cp);
const BATCHES = 3;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 2 ** 20;

/** This process's /proc/self/status now: a field's kB (VmRSS, RssAnon, RssFile...) read as MB. */
function statusMB(): (field: string) => number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return (field) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}
const cpuMs = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return Math.round((u.user + u.system) / 1000); };
const memory = () => { gc(); gc(); const m = process.memoryUsage(); return { rssMB: m.rss / MB, heapMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, externalMB: m.external / MB }; };

const runAt = process.argv.indexOf('--run');
if (runAt > 0) {
  // Child of --budget: one run, `--run <keys> <budget|none> <chunk>`.
  const [keysArg, budget, chunkArg] = process.argv.slice(runAt + 1);
  const keys = Number(keysArg), chunk = Number(chunkArg);
  const s = Session.builder().appName('state-at-scale-spill').config('sluice.stateSnapshotInterval', 100_000);
  if (budget !== 'none') s.config('sluice.state.memoryBudget', budget!);
  const input = new MemoryStream(s.getOrCreate(), schema);
  const q = await query(input, tmpDir('state-bench-spill')).start();
  const chunkRows = (from: number, n: number, step: number, amount: number) => Array.from({ length: n }, (_, i) => ({
    user_id: `user-${(from + i * step) % keys}`, amount, event_time: new Date(t0 + (i % 3600) * 1000) }));
  // MemoryStream keeps every chunk added (10.6M rows' Arrow columns at --keys 10000000); a Kafka
  // source holds none of a committed batch, and Spark's MemoryStream.commit trims them too
  // (batches.trimStart). So each chunk is dropped once its batch ran, unless --keep-input;
  // inputMB says what keeping them would hold.
  const chunks = (input as unknown as { data: MemoryStreamData }).data.chunks, empty = rowsToBatch(schema, []);
  let inputBytes = 0;
  const rss: { anonMB: number; fileMB: number }[] = [];
  const step = async (rowsIn: Record<string, unknown>[]) => {
    input.addData(rowsIn);
    inputBytes += chunks.at(-1)!.columns.reduce((n, c) => n + c.byteLength, 0);
    await q.processAllAvailable();
    if (!process.argv.includes('--keep-input')) chunks.fill(empty);
    const mb = statusMB();
    rss.push({ anonMB: mb('RssAnon'), fileMB: mb('RssFile') });
  };
  const w0 = performance.now();
  for (let k = 0; k < keys; k += chunk) await step(chunkRows(k, Math.min(chunk, keys - k), 1, 1));
  await step(chunkRows(7, Math.floor(keys / 100), 100, 2));
  await step(chunkRows(Math.max(0, keys - chunk), Math.min(chunk, keys), 1, 3));
  const wallMs = Math.round(performance.now() - w0);
  await q.stop();
  let read = { pages: 0, rows: 0 };
  const batchesOut = q.recentProgress.filter((x) => x.numInputRows > 0).map((x, i) => {
    const op = x.stateOperators[0] as { numRowsTotal: number; customMetrics: Record<string, number> };
    const m = op.customMetrics, pages = m.numSpillPagesRead ?? 0, rows = m.numRowsReadBack ?? 0;
    const out = { rows: x.numInputRows, ms: x.durationMs.triggerExecution, commitMs: x.durationMs.stateCommit ?? 0, stateRows: op.numRowsTotal,
      spilled: m.numRowsSpilled ?? 0, pagesRead: pages - read.pages, rowsReadBack: rows - read.rows, ...rss[i] };
    read = { pages, rows };
    return out;
  });
  const kb = statusMB();
  console.log(JSON.stringify({ keys, budget, wallMs, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    endRssMB: kb('VmRSS'), endRssAnonMB: kb('RssAnon'), endRssFileMB: kb('RssFile'), inputMB: Math.round(inputBytes / MB),
    inputKept: process.argv.includes('--keep-input'), batches: batchesOut }));
  process.exit(0);
}

const budgetAt = process.argv.indexOf('--budget');
if (budgetAt > 0) {
  const budget = process.argv[budgetAt + 1]!, chunk = arg('chunk', 500_000);
  const run = (keys: number, b: string) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--run', String(keys), b, String(chunk), ...process.argv.filter((a) => a === '--keep-input')],
    { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!) as { batches: { rows: number; ms: number; commitMs: number; spilled: number; rowsReadBack: number }[] };
  const load0 = loadavg().map((x) => +x.toFixed(1));
  const baseline = run(chunk, 'none');
  const spill = run(KEYS, budget);
  const b = spill.batches, newKeys = b.slice(0, -2), spread = b.at(-2)!, again = b.at(-1)!;
  // Spill cost per row: the commits of the new-key batches over the rows they moved out (delta writes included: an upper bound).
  let moved = 0, prev = 0;
  for (const x of newKeys) { moved += Math.max(0, x.spilled - prev); prev = x.spilled; }
  const spillCommitMs = newKeys.reduce((n, x) => n + x.commitMs, 0) - newKeys.length * (baseline.batches[0]!.commitMs);
  console.log(JSON.stringify({ keys: KEYS, budget, chunk, spill, baseline,
    spillUsPerRow: moved ? +(spillCommitMs * 1000 / moved).toFixed(2) : null,
    // Read-back cost per row: the 1% batch's time past what the baseline's 1% batch took a row, over the rows read back.
    readBackUsPerRow: spread.rowsReadBack ? +(((spread.ms - spread.rows * baseline.batches.at(-2)!.ms / baseline.batches.at(-2)!.rows) * 1000) / spread.rowsReadBack).toFixed(2) : null,
    newestChunkAgainVsBaseline: +(again.ms / baseline.batches.at(-1)!.ms).toFixed(2),
    loadAverage: { start: load0, end: loadavg().map((x) => +x.toFixed(1)) }, glibcTunables: process.env.GLIBC_TUNABLES ?? null }));
  process.exit(0);
}

const restartAt = process.argv.indexOf('--restart');
if (restartAt > 0) {
  // Child: restart the query on a checkpoint (with state, or empty) and report time and RSS.
  const cp = process.argv[restartAt + 1]!;
  const again = new MemoryStream(session, schema);
  for (let b = 0; b < BATCHES; b++) again.addData(rows(1, 1, 1));
  const r0 = performance.now(), c0 = process.cpuUsage();
  const q = await query(again, cp).start();
  await q.processAllAvailable();
  const restartMs = performance.now() - r0, restartCpuMs = cpuMs(c0);
  const mem = memory();
  await q.stop();
  console.log(JSON.stringify({ restartMs, restartCpuMs, ...mem }));
  process.exit(0);
}

const cp = tmpDir('state-bench');
// Each batch's rows become Arrow columns in addData and are then dropped: a million live row
// objects would make every GC of the batches slower, which is the benchmark's cost, not the store's.
const batches = [() => rows(KEYS, 1, 1), () => rows(KEYS / 100, 100, 2), () => rows(KEYS, 1, 3)];
const stream = new MemoryStream(session, schema);
const q = await query(stream, cp).start();
const batchCpuMs: number[] = [], batchFaults: number[] = [];
for (const b of batches) {
  stream.addData(b());
  const c0 = process.cpuUsage(), f0 = process.resourceUsage().minorPageFault;
  await q.processAllAvailable();
  batchCpuMs.push(cpuMs(c0)); batchFaults.push(process.resourceUsage().minorPageFault - f0);
}
await q.stop();
// The batches with input, in order (no-data batches that only move the watermark are left out).
const p = q.recentProgress.filter((x) => x.numInputRows > 0);
const commit = p.map((x) => x.durationMs.stateCommit ?? 0);
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

const child = (dir: string): { restartMs: number; restartCpuMs: number; rssMB: number; heapMB: number; externalMB: number } => JSON.parse(execFileSync(process.execPath,
  [...process.execArgv, fileURLToPath(import.meta.url), '--keys', String(KEYS), '--restart', dir], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)!);
const withState = child(cp), noState = child(tmpDir('state-bench-empty'));

// Baseline: a Map of the same keys, written whole.
const b0 = performance.now();
const m = new Map<string, [number, number]>();
for (const r of batches[0]!()) m.set(`${r.user_id}|${t0}`, [r.amount, 1]);
writeFileSync(path.join(cp, 'baseline.json'), JSON.stringify([...m]));
const baselineMs = performance.now() - b0;

// What this machine charges for memory touched for the first time, in ms per MB: a child (so this
// process's allocator is left as it was) writes one byte per 4 KB page of 64 MB, median of three.
// On a VM that traps on each first touch of a page it is several times a bare machine's, and a
// batch's page faults (faults*: pages of 4 KB first touched in the batch) are then much of its time.
const freshMemoryMsPerMB = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ['-e',
  'const t = performance.now(), a = new Uint8Array(64 << 20); for (let i = 0; i < a.length; i += 4096) a[i] = 1; console.log((performance.now() - t) / 64)'],
{ encoding: 'utf8' }).trim())).sort((a, b) => a - b)[1]!;

const files = readdirSync(path.join(cp, 'state', '0')).map((f) => [f, statSync(path.join(cp, 'state', '0', f)).size] as const);
console.log(JSON.stringify({
  keys: KEYS, stateRows: p.at(-1)!.stateOperators[0] && (p.at(-1)!.stateOperators[0] as { numRowsTotal: number }).numRowsTotal,
  batchMsAllKeysCreated: p[0]!.durationMs.triggerExecution, batchMsOnePercent: p[1]!.durationMs.triggerExecution, batchMsAllKeysTouched: p[2]!.durationMs.triggerExecution,
  commitMsAllKeysCreated: commit[0], commitMsOnePercent: commit[1], commitMsAllKeysTouched: commit[2],
  commitRatioOnePercentVsAll: +(commit[1]! / commit[2]!).toFixed(3),
  durationMs: p.map((x) => x.durationMs),
  cpuMsAllKeysCreated: batchCpuMs[0], cpuMsOnePercent: batchCpuMs[1], cpuMsAllKeysTouched: batchCpuMs[2],
  faultsAllKeysCreated: batchFaults[0], faultsAllKeysTouched: batchFaults[2], freshMemoryMsPerMB: +freshMemoryMsPerMB.toFixed(2),
  restartMs: Math.round(withState.restartMs), restartCpuMs: withState.restartCpuMs, noStateRestartCpuMs: noState.restartCpuMs, stateMemoryMB: Math.round(withState.rssMB - noState.rssMB),
  restartRssMB: Math.round(withState.rssMB), noStateRssMB: Math.round(noState.rssMB),
  stateHeapMB: Math.round(withState.heapMB - noState.heapMB), stateExternalMB: Math.round(withState.externalMB - noState.externalMB),
  peakRssMB, stateFiles: Object.fromEntries(files), baselineMapWriteAllMs: Math.round(baselineMs),
  loadAverage: loadavg().map((x) => +x.toFixed(1)), glibcTunables: process.env.GLIBC_TUNABLES ?? null,
}));
