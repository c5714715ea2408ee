/**
 * The array functions over N rows of 8-word lines, each against a same-run baseline that reads the
 * same string column and writes one string per row (upper(line)): split, size(split), sort_array and
 * array_distinct of the split, and explode(split), which makes 8 rows of each.
 *
 *   npx tsx bench/array-functions.ts [--rows 1000000] [--rounds 3]
 *
 * Rows go into a MemoryStream in chunks of 100k (set-up, not timed); each round times start() ..
 * processAllAvailable() into a foreachBatch sink that counts rows, the variants in rotated order.
 * Each variant's best round is reported with input rows/s and its time relative to the baseline.
 * Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { Session, MemoryStream, col, upper, split, size, sort_array, array_distinct, explode, types as T, type DataFrame, type Column } from '../src/index.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.rows), ROUNDS = Number(args.rounds), CHUNK = 100_000, WORDS = 8;
const session = Session.builder().appName('bench-array-functions').getOrCreate();
const schema = T.struct({ line: T.string });

function source(): DataFrame {
  const stream = new MemoryStream(session, schema);
  for (let start = 0; start < N; start += CHUNK) {
    const rows: { line: string }[] = [];
    for (let i = start; i < Math.min(N, start + CHUNK); i++) {
      rows.push({ line: Array.from({ length: WORDS }, (_, w) => `w${(i * 31 + w * 7) % 5000}`).join(' ') });
    }
    stream.addData(rows);
  }
  return stream.toDF();
}

const variants: Record<string, { cols: () => Column[]; rowsOut: number }> = {
  baseline_upper: { cols: () => [upper('line')], rowsOut: N },
  split: { cols: () => [split('line', ' ')], rowsOut: N },
  size_split: { cols: () => [size(split('line', ' '))], rowsOut: N },
  sort_array_split: { cols: () => [sort_array(split('line', ' '))], rowsOut: N },
  array_distinct_split: { cols: () => [array_distinct(split('line', ' '))], rowsOut: N },
  explode_split: { cols: () => [explode(split(col('line'), ' '))], rowsOut: N * WORDS },
};

async function time(name: string): Promise<number> {
  const v = variants[name]!, df = source();
  let rows = 0;
  const t0 = performance.now();
  const q = await df.select(...v.cols()).writeStream.foreachBatch((b) => { rows += b.count(); }).start();
  await q.processAllAvailable();
  await q.stop();
  const ms = performance.now() - t0;
  if (rows !== v.rowsOut) throw new Error(`${name}: expected ${v.rowsOut} rows, got ${rows}`);
  return ms;
}

const names = Object.keys(variants), best: Record<string, number> = {};
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, k) => names[(k + r) % names.length]!);
  for (const n of order) best[n] = Math.min(best[n] ?? Infinity, await time(n));
}
const base = best.baseline_upper!;
console.log(JSON.stringify({
  bench: 'array-functions', rows: N, wordsPerRow: WORDS, rounds: ROUNDS,
  results: Object.fromEntries(names.map((n) => [n, { ms: Math.round(best[n]!), rowsPerSec: Math.round(N / (best[n]! / 1000)), vsBaseline: +(best[n]! / base).toFixed(2) }])),
}));
