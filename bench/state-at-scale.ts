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
 * CPU time (user + system, all threads) and the load average are printed too.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Session, MemoryStream, col, window, sum, count, types as T } from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';

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
const cpuMs = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return Math.round((u.user + u.system) / 1000); };
const memory = () => { gc(); gc(); const m = process.memoryUsage(); return { rssMB: m.rss / MB, heapMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, externalMB: m.external / MB }; };

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
const batchCpuMs: number[] = [];
for (const b of batches) { stream.addData(b()); const c0 = process.cpuUsage(); await q.processAllAvailable(); batchCpuMs.push(cpuMs(c0)); }
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

const files = readdirSync(path.join(cp, 'state', '0')).map((f) => [f, statSync(path.join(cp, 'state', '0', f)).size] as const);
console.log(JSON.stringify({
  keys: KEYS, stateRows: p.at(-1)!.stateOperators[0] && (p.at(-1)!.stateOperators[0] as { numRowsTotal: number }).numRowsTotal,
  batchMsAllKeysCreated: p[0]!.durationMs.triggerExecution, batchMsOnePercent: p[1]!.durationMs.triggerExecution, batchMsAllKeysTouched: p[2]!.durationMs.triggerExecution,
  commitMsAllKeysCreated: commit[0], commitMsOnePercent: commit[1], commitMsAllKeysTouched: commit[2],
  commitRatioOnePercentVsAll: +(commit[1]! / commit[2]!).toFixed(3),
  durationMs: p.map((x) => x.durationMs),
  cpuMsAllKeysCreated: batchCpuMs[0], cpuMsOnePercent: batchCpuMs[1], cpuMsAllKeysTouched: batchCpuMs[2],
  restartMs: Math.round(withState.restartMs), restartCpuMs: withState.restartCpuMs, noStateRestartCpuMs: noState.restartCpuMs, stateMemoryMB: Math.round(withState.rssMB - noState.rssMB),
  restartRssMB: Math.round(withState.rssMB), noStateRssMB: Math.round(noState.rssMB),
  stateHeapMB: Math.round(withState.heapMB - noState.heapMB), stateExternalMB: Math.round(withState.externalMB - noState.externalMB),
  peakRssMB, stateFiles: Object.fromEntries(files), baselineMapWriteAllMs: Math.round(baselineMs),
  loadAverage: loadavg().map((x) => +x.toFixed(1)),
}));
