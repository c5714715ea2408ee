/**
 * A 1M-key state snapshot written in the batch or in the background (issue #15), same run.
 *
 *   npx tsx bench/async-snapshot.ts [--keys 1000000] [--rounds 1]
 *
 * Each mode runs in its own child process (a fresh heap), alternating sync, async per round. Batch
 * 0 creates every key (one 1-hour window per user that the watermark never closes); batches 1..6
 * each touch a different 1% of them. A snapshot is due at version 3 (sluice.stateSnapshotInterval
 * 3, the next at 6). Prints one JSON line: per mode, the time of batch 3 (the one a snapshot is due
 * in) and its stateCommit, the median of batches 1-2 (1%, no snapshot) as the same-run baseline, the
 * batches 4-5 that run while a background snapshot is written, batches 3-5 together (the encoding
 * runs on the same thread, so what leaves batch 3 lands partly on 4 and 5), the snapshot as progress reports it
 * (stateOperators[0].snapshot: where written, view/encode/write ms) and how long stop() took.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Session, MemoryStream, col, window, sum, count, types as T } from '../src/index.ts';
import { tmpDir } from '../test/support/tmp.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const KEYS = arg('keys', 1_000_000), ROUNDS = arg('rounds', 1);
const modeAt = process.argv.indexOf('--mode');

interface ModeResult {
  mode: string; snapshotBatchMs: number; snapshotBatchCommitMs: number; baselineOnePercentMs: number;
  batchesWhileBackgroundMs: number[]; batches3to5Ms: number; snapshot: unknown; stopMs: number; commitMs: number[]; batchMs: number[];
}

if (modeAt > 0) {
  const mode = process.argv[modeAt + 1]!;
  const session = Session.builder().appName('async-snapshot').config('sluice.stateSnapshotInterval', 3)
    .config('sluice.stateSnapshotAsync', String(mode === 'async')).getOrCreate();
  const schema = T.struct({ user_id: T.string, amount: T.double, event_time: T.timestamp });
  const t0 = Date.UTC(2024, 0, 1, 10);
  const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ user_id: `user-${(from + i) % KEYS}`, amount: 1, event_time: new Date(t0 + (i % 3600) * 1000) }));
  const stream = new MemoryStream(session, schema);
  // No watermark: a moved watermark would add no-data batches and shift the batch ids.
  const q = await stream.toDF()
    .groupBy(window(col('event_time'), '1 hour'), col('user_id')).agg(sum('amount').alias('total'), count('*').alias('n'))
    .writeStream.outputMode('update').foreachBatch(() => undefined).option('checkpointLocation', tmpDir('async-snapshot-bench')).start();
  const onePercent = KEYS / 100;
  stream.addData(rows(KEYS, 0));
  await q.processAllAvailable();
  for (let b = 1; b <= 6; b++) { stream.addData(rows(onePercent, b * onePercent)); await q.processAllAvailable(); }
  const s0 = performance.now();
  await q.stop();
  const stopMs = Math.round(performance.now() - s0);
  const p = [0, 1, 2, 3, 4, 5, 6].map((id) => q.recentProgress.find((x) => x.batchId === id)!);
  const batchMs = p.map((x) => x.durationMs.triggerExecution!), commitMs = p.map((x) => x.durationMs.stateCommit ?? 0);
  const snapshot = p.map((x) => (x.stateOperators[0] as { snapshot?: unknown }).snapshot).find((s) => s !== undefined) ?? null;
  const r: ModeResult = {
    mode, snapshotBatchMs: batchMs[3]!, snapshotBatchCommitMs: commitMs[3]!, baselineOnePercentMs: Math.round((batchMs[1]! + batchMs[2]!) / 2),
    batchesWhileBackgroundMs: batchMs.slice(4, 6), batches3to5Ms: batchMs[3]! + batchMs[4]! + batchMs[5]!, snapshot, stopMs, commitMs, batchMs,
  };
  console.log(JSON.stringify(r));
  process.exit(0);
}

const runs: ModeResult[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of ['sync', 'async']) {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--keys', String(KEYS), '--mode', mode],
      { encoding: 'utf8', maxBuffer: 1 << 20 });
    runs.push(JSON.parse(out.trim().split('\n').at(-1)!) as ModeResult);
  }
}
const of = (mode: string) => runs.filter((x) => x.mode === mode);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(JSON.stringify({
  keys: KEYS, rounds: ROUNDS,
  snapshotBatchMsSync: median(of('sync').map((x) => x.snapshotBatchMs)), snapshotBatchMsAsync: median(of('async').map((x) => x.snapshotBatchMs)),
  baselineOnePercentBatchMs: median(runs.map((x) => x.baselineOnePercentMs)),
  // The snapshot's cost moves to the next batches (one thread encodes it): what batches 3-5 took together.
  batches3to5MsSync: median(of('sync').map((x) => x.batches3to5Ms)), batches3to5MsAsync: median(of('async').map((x) => x.batches3to5Ms)),
  runs,
}));
