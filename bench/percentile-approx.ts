/**
 * percentile_approx's state over N values in G groups, streamed in batches of B rows per group,
 * against a same-run baseline that keeps every value (collect_list's state) and sorts it to
 * answer: ns per value folded, the numbers kept in state at the end (3 per summary sample: value,
 * g, delta; plus the head), and
 * the worst rank error of the answers at p = 0.01 … 0.99 relative to n / accuracy (must be <= 1).
 *
 *   npx tsx bench/percentile-approx.ts [--values 2000000] [--groups 20] [--batch 5000] [--accuracy 1000]
 *
 * Drives the aggregators as the hash aggregate does (update per row, endBatch per group per
 * batch), without Kafka or Arrow, to measure the summary alone. Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { double } from '../src/data/types.ts';
import type { Cell } from '../src/data/cells.ts';
import { makeAggregator } from '../src/exec/aggregate/aggregators.ts';
import { mulberry32 } from '../test/support/prng.ts';

const { values: args } = parseArgs({ options: {
  values: { type: 'string', default: '2000000' }, groups: { type: 'string', default: '20' },
  batch: { type: 'string', default: '5000' }, accuracy: { type: 'string', default: '1000' },
} });
const N = Number(args.values), G = Number(args.groups), B = Number(args.batch), ACC = Number(args.accuracy);
const ps = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
const rng = mulberry32(7);
const data = Float64Array.from({ length: N }, () => rng() * 1e6);

function run(fn: 'percentile_approx' | 'collect_list') {
  const agg = fn === 'collect_list' ? makeAggregator('collect_list', double, 'l') : makeAggregator('percentile_approx', double, 'p', { percentages: ps, asArray: true, accuracy: ACC });
  const vals: Cell[][] = agg.stateFields.map(() => new Array<Cell>(G).fill(null));
  const t0 = process.hrtime.bigint();
  for (let start = 0; start < N; start += B * G) {
    for (let i = start; i < Math.min(N, start + B * G); i++) agg.update(vals, 0, i % G, data[i]!);
    if (agg.endBatch) for (let g = 0; g < G; g++) agg.endBatch(vals, 0, g);
  }
  const answers: Cell[] = [];
  for (let g = 0; g < G; g++) answers.push(agg.result(vals, 0, g));
  const ns = Number(process.hrtime.bigint() - t0) / N;
  const kept = vals.filter((c) => agg.stateFields[vals.indexOf(c)]!.type.kind === 'array')
    .reduce((a, col) => a + col.reduce((b: number, v) => b + ((v as Cell[] | null)?.length ?? 0), 0), 0);
  return { ns, kept, answers };
}

function worstRankError(answers: Cell[]): number {
  let worst = 0;
  for (let g = 0; g < G; g++) {
    const xs: number[] = [];
    for (let i = g; i < N; i += G) xs.push(data[i]!);
    xs.sort((a, b) => a - b);
    const n = xs.length;
    (answers[g] as number[]).forEach((v, k) => {
      const rank = xs.indexOf(v) + 1;
      worst = Math.max(worst, Math.abs(rank - Math.ceil(ps[k]! * n)) / (n / ACC));
    });
  }
  return worst;
}

const base = run('collect_list');
const sketch = run('percentile_approx');
process.stdout.write(JSON.stringify({
  bench: 'percentile-approx', values: N, groups: G, batchPerGroup: B, accuracy: ACC,
  ns_per_value: Math.round(sketch.ns), baseline_collect_list_ns_per_value: Math.round(base.ns),
  values_kept: sketch.kept, baseline_values_kept: base.kept,
  worst_rank_error_over_bound: Number(worstRankError(sketch.answers).toFixed(3)),
}) + '\n');
