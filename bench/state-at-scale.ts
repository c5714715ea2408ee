/**
 * State at scale: 1M distinct live window keys in the state store.
 *
 *   npx tsx bench/state-at-scale.ts [--keys 1000000]
 *
 * Batch 0 creates every key (one row per user in one 1-hour window the watermark never
 * closes), batch 1 touches 1% of them, batch 2 touches all again. Then a new query restarts
 * from the checkpoint (loading the state: newest snapshot + deltas). Prints one JSON line:
 * the state commit time of each batch (from the progress record's durationMs.stateCommit),
 * the restart time, peak RSS, and the state files' sizes. Baseline in the same run: a
 * hand-written Map of the same keys written whole as JSON (what "commit everything" costs).
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Session, MemoryStream, col, window, sum, count, types as T } from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const KEYS = arg('keys', 1_000_000);
const session = Session.builder().appName('state-at-scale').config('sluice.stateSnapshotInterval', 100).getOrCreate();
const schema = T.struct({ user_id: T.string, amount: T.double, event_time: T.timestamp });
const t0 = Date.UTC(2024, 0, 1, 10);
const rows = (n: number, step: number, amount: number) => Array.from({ length: n }, (_, i) => ({ user_id: `user-${(i * step) % KEYS}`, amount, event_time: new Date(t0 + (i % 3600) * 1000) }));
const cp = tmpDir('state-bench');
const query = (s: MemoryStream) => s.toDF().withWatermark('event_time', '1 day')
  .groupBy(window(col('event_time'), '1 hour'), col('user_id')).agg(sum('amount').alias('total'), count('*').alias('n'))
  .writeStream.outputMode('update').foreachBatch(() => undefined).option('checkpointLocation', cp);

const batches = [rows(KEYS, 1, 1), rows(KEYS / 100, 100, 2), rows(KEYS, 1, 3)];
const stream = new MemoryStream(session, schema);
const q = await query(stream).start();
for (const b of batches) { stream.addData(b); await q.processAllAvailable(); }
await q.stop();
const p = q.recentProgress;
const commit = p.map((x) => x.durationMs.stateCommit ?? 0);

// Restart: a new query on the same checkpoint loads the state; nothing new to read.
const again = new MemoryStream(session, schema);
for (const b of batches) again.addData(b.slice(0, 1));
const r0 = performance.now();
const q2 = await query(again).start();
await q2.processAllAvailable();
const restartMs = performance.now() - r0;
await q2.stop();

// Baseline: a Map of the same keys, written whole.
const b0 = performance.now();
const m = new Map<string, [number, number]>();
for (const r of batches[0]!) m.set(`${r.user_id}|${t0}`, [r.amount, 1]);
writeFileSync(path.join(cp, 'baseline.json'), JSON.stringify([...m]));
const baselineMs = performance.now() - b0;

const files = readdirSync(path.join(cp, 'state', '0')).map((f) => [f, statSync(path.join(cp, 'state', '0', f)).size] as const);
console.log(JSON.stringify({
  keys: KEYS, stateRows: p.at(-1)!.stateOperators[0] && (p.at(-1)!.stateOperators[0] as { numRowsTotal: number }).numRowsTotal,
  commitMsAllKeysCreated: commit[0], commitMsOnePercent: commit[1], commitMsAllKeysTouched: commit[2],
  commitRatioOnePercentVsAll: +(commit[1]! / commit[2]!).toFixed(3),
  batchMs: p.map((x) => x.durationMs.triggerExecution),
  restartMs: Math.round(restartMs), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  stateFiles: Object.fromEntries(files), baselineMapWriteAllMs: Math.round(baselineMs),
}));
