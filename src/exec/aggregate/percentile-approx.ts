import { array, type DataType } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import type { Aggregator } from './aggregators.ts';
import { collect } from './collect.ts';

/**
 * percentile_approx(col, percentage, accuracy): for each percentage p, an actual input value
 * (nulls skipped), as Spark's ApproximatePercentile over QuantileSummaries answers while every
 * value is still a sample: the least value when p <= 1/accuracy, the greatest when
 * p >= 1 - 1/accuracy, else the value of rank ceil(p * n). An array of percentages gives an
 * array (containsNull false), in the order given.
 *
 * Why not a sketch library: the npm sketches (DDSketch in @datadog/sketches-js, t-digest)
 * answer with bucket midpoints or interpolations, not input values, so their answers cannot
 * match Spark's; sluice keeps the group's values (collect_list's state, one array value
 * column that survives restarts) and answers exactly, which is inside any accuracy bound. Its
 * size grows with the group, unlike Spark's compressed summary: see docs/porting-from-pyspark.md.
 */
export function percentileApprox(name: string, input: DataType, percentages: readonly number[], asArray: boolean, accuracy: number): Aggregator {
  const list = collect(name, input, false);
  const relativeError = 1 / accuracy;
  const cmp = (a: Cell, b: Cell): number => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);
  const at = (sorted: readonly Cell[], p: number): Cell => {
    if (p <= relativeError) return sorted[0]!;
    if (p >= 1 - relativeError) return sorted[sorted.length - 1]!;
    const rank = Math.ceil(p * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
  };
  return {
    ...list,
    type: asArray ? array(input, false) : input,
    result: (vals, base, slot) => {
      const values = (vals[base]![slot] as Cell[] | null) ?? [];
      if (!values.length) return null;
      const sorted = [...values].sort(cmp);
      const out = percentages.map((p) => at(sorted, p));
      return asArray ? out : out[0]!;
    },
  };
}
