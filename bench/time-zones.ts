/**
 * from_utc_timestamp / to_utc_timestamp over N timestamps spread over a year (so every hour of it
 * and both DST transitions are met), against a same-run baseline that reads the same column and
 * writes one timestamp per row through the same row-wise path (date_trunc('hour', ts)), and against
 * a fixed offset ('+08:00', no Intl call at all). Intl is asked once per hour of the year per zone
 * (the offset cache in exec/functions/time-zone.ts), so a region zone should cost about what the
 * fixed offset does.
 *
 *   npx tsx bench/time-zones.ts [--rows 1000000] [--rounds 3]
 *
 * Rows go into a MemoryStream in chunks of 100k (set-up, not timed); each round times start() ..
 * processAllAvailable() into a foreachBatch sink that counts rows, the variants in rotated order.
 * Prints one JSON line on stdout: each variant's best round, rows/s and time relative to the baseline.
 */
import { parseArgs } from 'node:util';
import { Session, MemoryStream, date_trunc, from_utc_timestamp, to_utc_timestamp, types as T, type DataFrame, type Column } from '../src/index.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.rows), ROUNDS = Number(args.rounds), CHUNK = 100_000;
const session = Session.builder().appName('bench-time-zones').getOrCreate();
const schema = T.struct({ ts: T.timestamp });
const START = Date.UTC(2024, 0, 1), YEAR_MS = 366 * 86_400_000;

function source(): DataFrame {
  const stream = new MemoryStream(session, schema);
  for (let start = 0; start < N; start += CHUNK) {
    const rows: { ts: number }[] = [];
    for (let i = start; i < Math.min(N, start + CHUNK); i++) rows.push({ ts: START + Math.floor((i * 2654435761) % N / N * YEAR_MS) });
    stream.addData(rows as never);
  }
  return stream.toDF();
}

const variants: Record<string, () => Column[]> = {
  baseline_date_trunc_hour: () => [date_trunc('hour', 'ts')],
  from_utc_fixed_offset: () => [from_utc_timestamp('ts', '+08:00')],
  from_utc_los_angeles: () => [from_utc_timestamp('ts', 'America/Los_Angeles')],
  to_utc_los_angeles: () => [to_utc_timestamp('ts', 'America/Los_Angeles')],
  from_utc_europe_paris: () => [from_utc_timestamp('ts', 'Europe/Paris')],
};

async function time(name: string): Promise<number> {
  const df = source();
  let rows = 0;
  const t0 = performance.now();
  const q = await df.select(...variants[name]!()).writeStream.foreachBatch((b) => { rows += b.count(); }).start();
  await q.processAllAvailable();
  await q.stop();
  const ms = performance.now() - t0;
  if (rows !== N) throw new Error(`${name}: expected ${N} rows, got ${rows}`);
  return ms;
}

const names = Object.keys(variants), best: Record<string, number> = {};
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, k) => names[(k + r) % names.length]!);
  for (const n of order) best[n] = Math.min(best[n] ?? Infinity, await time(n));
}
const base = best.baseline_date_trunc_hour!;
console.log(JSON.stringify({
  bench: 'time-zones', rows: N, rounds: ROUNDS,
  results: Object.fromEntries(names.map((n) => [n, { ms: Math.round(best[n]!), rowsPerSec: Math.round(N / (best[n]! / 1000)), vsBaseline: +(best[n]! / base).toFixed(2) }])),
}));
