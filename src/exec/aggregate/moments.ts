import { double, type StructField } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import type { Aggregator } from './aggregators.ts';

/** The central-moment aggregates, by Spark SQL name (CentralMomentAgg's subclasses). */
export type MomentFn = 'stddev' | 'std' | 'stddev_samp' | 'stddev_pop' | 'variance' | 'var_samp' | 'var_pop' | 'skewness' | 'kurtosis';

type Moments = { n: number; mean: number; m2: number; m3: number; m4: number };

// Spark 3's default (spark.sql.legacy.statisticalAggregate=false): a division by zero is null,
// so stddev_samp of one row and skewness/kurtosis of a constant group are null, not NaN.
const results: Record<MomentFn, (m: Moments) => number | null> = {
  stddev_samp: (m) => (m.n < 2 ? null : Math.sqrt(m.m2 / (m.n - 1))),
  stddev: (m) => results.stddev_samp(m),
  std: (m) => results.stddev_samp(m),
  stddev_pop: (m) => (m.n === 0 ? null : Math.sqrt(m.m2 / m.n)),
  var_samp: (m) => (m.n < 2 ? null : m.m2 / (m.n - 1)),
  variance: (m) => results.var_samp(m),
  var_pop: (m) => (m.n === 0 ? null : m.m2 / m.n),
  skewness: (m) => (m.n === 0 || m.m2 === 0 ? null : (Math.sqrt(m.n) * m.m3) / Math.sqrt(m.m2 * m.m2 * m.m2)),
  kurtosis: (m) => (m.n === 0 || m.m2 === 0 ? null : (m.n * m.m4) / (m.m2 * m.m2) - 3),
};

const FIELDS = ['n', 'mean', 'm2', 'm3', 'm4'] as const;

/**
 * stddev / variance / skewness / kurtosis over a number column, as double. The state is the
 * count, mean and central moment sums (Welford / Terriberry updates, Chan's merge), five
 * double value columns, so it is as stable as Spark's and survives a restart like any cell.
 */
export function moments(name: string, fn: MomentFn): Aggregator {
  const read = (vals: Cell[][], base: number, slot: number): Moments => {
    const g = (k: number): number => (vals[base + k]![slot] as number | null) ?? 0;
    return { n: g(0), mean: g(1), m2: g(2), m3: g(3), m4: g(4) };
  };
  const write = (vals: Cell[][], base: number, slot: number, m: Moments): void => {
    vals[base]![slot] = m.n; vals[base + 1]![slot] = m.mean; vals[base + 2]![slot] = m.m2; vals[base + 3]![slot] = m.m3; vals[base + 4]![slot] = m.m4;
  };
  const stateFields: StructField[] = FIELDS.map((f) => ({ name: f, type: double, nullable: true }));
  return {
    name, type: double, stateFields,
    update: (vals, base, slot, v) => {
      if (v === null) return;
      const x = Number(v), m = read(vals, base, slot);
      const n1 = m.n, n = n1 + 1, delta = x - m.mean, dn = delta / n, dn2 = dn * dn, term1 = delta * dn * n1;
      m.m4 += term1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * m.m2 - 4 * dn * m.m3;
      m.m3 += term1 * dn * (n - 2) - 3 * dn * m.m2;
      m.m2 += term1;
      m.mean += dn; m.n = n;
      write(vals, base, slot, m);
    },
    merge: (vals, base, slot, from, src) => {
      const a = read(vals, base, slot), b = read(from, base, src);
      if (b.n === 0) return;
      if (a.n === 0) { write(vals, base, slot, b); return; }
      const n = a.n + b.n, d = b.mean - a.mean, d2 = d * d;
      const m2 = a.m2 + b.m2 + (d2 * a.n * b.n) / n;
      const m3 = a.m3 + b.m3 + (d2 * d * a.n * b.n * (a.n - b.n)) / (n * n) + (3 * d * (a.n * b.m2 - b.n * a.m2)) / n;
      const m4 = a.m4 + b.m4 + (d2 * d2 * a.n * b.n * (a.n * a.n - a.n * b.n + b.n * b.n)) / (n * n * n)
        + (6 * d2 * (a.n * a.n * b.m2 + b.n * b.n * a.m2)) / (n * n) + (4 * d * (a.n * b.m3 - b.n * a.m3)) / n;
      write(vals, base, slot, { n, mean: a.mean + (d * b.n) / n, m2, m3, m4 });
    },
    result: (vals, base, slot) => results[fn](read(vals, base, slot)),
  };
}
