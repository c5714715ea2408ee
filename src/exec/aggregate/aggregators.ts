import { type DataType, type StructField, long, double, binary, boolean, typeToString, isNumeric } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import type { Cell } from '../../data/cells.ts';
import { cellKeyPart } from '../../state/key-encoding.ts';
import { hllAdd, hllCount, hllMerge, hllNew } from './hll.ts';
import { collect } from './collect.ts';
import { countDistinct } from './count-distinct.ts';
import { maxBy } from './max-by.ts';
import { moments, type MomentFn } from './moments.ts';
import { percentileApprox } from './percentile-approx.ts';
import { decimalAvg, decimalSum } from './decimal-sum.ts';
import { groupedAvg, groupedCount, groupedExtreme, groupedSum, type GroupedAggregator } from './grouped.ts';

/**
 * One aggregate function over state columns. `vals` are the store's value columns and
 * `base` the index of this function's first one; every method works on one slot.
 */
export interface Aggregator {
  readonly name: string;
  readonly type: DataType;
  readonly stateFields: readonly StructField[];
  /** Fold one input value (null for count(*) means "a row"). */
  update(vals: Cell[][], base: number, slot: number, v: Cell): void;
  /** The same aggregate over state held in typed arrays (count, sum, avg, min, max of numbers); see grouped.ts. */
  readonly grouped?: GroupedAggregator;
  /**
   * Called once a batch for each group the batch touched, after its rows: the point where
   * Spark serialises an aggregation buffer into the state store (percentile_approx compresses).
   */
  endBatch?(vals: Cell[][], base: number, slot: number): void;
  /** Fold the state of slot `src` (columns `from`) into `slot` (session merging). */
  merge(vals: Cell[][], base: number, slot: number, from: Cell[][], src: number): void;
  result(vals: Cell[][], base: number, slot: number): Cell;
}

const f = (name: string, type: DataType): StructField => ({ name, type, nullable: true });

const addCells = (a: Cell, b: Cell): Cell =>
  a === null ? b : b === null ? a : typeof a === 'bigint' ? BigInt.asIntN(64, a + (b as bigint)) : (a as number) + (b as number);

/** Spark's ApproximatePercentile.DEFAULT_PERCENTILE_ACCURACY. */
export const PERCENTILE_ACCURACY = 10000;

function extreme(name: string, type: DataType, better: (a: Cell, b: Cell) => boolean): Aggregator {
  const pick = (cur: Cell, v: Cell): Cell => (v === null ? cur : cur === null || better(v, cur) ? v : cur);
  return {
    name, type, stateFields: [f('v', type)],
    update: (vals, base, slot, v) => { vals[base]![slot] = pick(vals[base]![slot] ?? null, v); },
    merge: (vals, base, slot, from, src) => { vals[base]![slot] = pick(vals[base]![slot] ?? null, from[base]![src] ?? null); },
    result: (vals, base, slot) => vals[base]![slot] ?? null,
  };
}

/** The aggregate functions, by Spark SQL name; each has a case in makeAggregator. */
export type AggFn = 'sum' | 'count' | 'avg' | 'min' | 'max' | 'first' | 'last' | 'approx_count_distinct' | 'collect_list' | 'collect_set'
  | 'count_distinct' | MomentFn | 'max_by' | 'min_by' | 'percentile_approx' | 'approx_percentile';

/** What an aggregate takes besides its first input: further columns' types, and percentile_approx's constants. */
export interface AggOptions {
  readonly extra?: readonly DataType[];
  readonly percentages?: readonly number[];
  /** percentage was given as an array, so the result is one. */
  readonly asArray?: boolean;
  readonly accuracy?: number;
}

const orderable = (t: DataType): boolean => t.kind !== 'struct' && t.kind !== 'binary' && t.kind !== 'array';

/** The aggregator for `fn` over an input of type `input` (null for count(*)). Spark's result types. */
export function makeAggregator(fn: AggFn, input: DataType | null, name: string, opts: AggOptions = {}): Aggregator {
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new AnalysisError(`${name}: ${fn}() needs ${what}, but its input is ${input ? typeToString(input) : 'missing'}.`);
  };
  const extra = opts.extra ?? [];
  // The aggregators' state holds atomic cells, arrays and structs; a map is refused rather than stored in a shape nobody checked.
  const hasMap = (t: DataType | null): boolean => t !== null && (t.kind === 'map' || (t.kind === 'array' && hasMap(t.elementType)) || (t.kind === 'struct' && t.fields.some((f) => hasMap(f.type))));
  if (fn !== 'count' && [input, ...extra].some(hasMap)) {
    throw new AnalysisError(`${name}: ${fn}() over a map column is not supported by sluice yet; aggregate one of its values (m['key']), or to_json(m).`);
  }
  switch (fn) {
    case 'count_distinct': {
      const all = [input, ...extra];
      const bad = all.find((t) => t === null || t.kind === 'struct' || t.kind === 'array');
      if (bad !== undefined) throw new AnalysisError(`${name}: count(DISTINCT ...) needs atomic columns, but one is ${bad ? typeToString(bad) : 'missing'}.`);
      return countDistinct(name, all as DataType[]);
    }
    case 'stddev': case 'std': case 'stddev_samp': case 'stddev_pop': case 'variance': case 'var_samp': case 'var_pop': case 'skewness': case 'kurtosis':
      need(input !== null && isNumeric(input), 'a number');
      return moments(name, fn);
    case 'max_by': case 'min_by': {
      const ord = extra[0];
      need(input !== null && input.kind !== 'struct', 'a value column');
      if (!ord || !orderable(ord)) throw new AnalysisError(`${name}: ${fn}(x, ord) needs an orderable ord column (a number, string, date or timestamp), but it is ${ord ? typeToString(ord) : 'missing'}.`);
      return maxBy(name, input!, ord, fn === 'max_by');
    }
    case 'percentile_approx': case 'approx_percentile':
      need(input !== null && (isNumeric(input) || input.kind === 'date' || input.kind === 'timestamp'), 'a number, date or timestamp');
      return percentileApprox(name, input!, opts.percentages ?? [], opts.asArray ?? false, opts.accuracy ?? PERCENTILE_ACCURACY);
    case 'count':
      return {
        name, type: long, stateFields: [f('n', long)],
        update: (vals, base, slot, v) => { if (v !== null || input === null) vals[base]![slot] = ((vals[base]![slot] as bigint | null) ?? 0n) + 1n; },
        grouped: groupedCount(),
        merge: (vals, base, slot, from, src) => { vals[base]![slot] = ((vals[base]![slot] as bigint | null) ?? 0n) + ((from[base]![src] as bigint | null) ?? 0n); },
        result: (vals, base, slot) => (vals[base]![slot] as bigint | null) ?? 0n,
      };
    case 'sum': {
      if (input?.kind === 'decimal') return decimalSum(name, input);
      need(input !== null && isNumeric(input), 'a number');
      const t = input!.kind === 'double' ? double : long;
      const conv = (v: Cell): Cell => (v === null ? null : t === long ? (typeof v === 'bigint' ? v : BigInt(v as number)) : Number(v));
      return {
        name, type: t, stateFields: [f('sum', t)], grouped: groupedSum(input!),
        update: (vals, base, slot, v) => { vals[base]![slot] = addCells(vals[base]![slot] ?? null, conv(v)); },
        merge: (vals, base, slot, from, src) => { vals[base]![slot] = addCells(vals[base]![slot] ?? null, from[base]![src] ?? null); },
        result: (vals, base, slot) => vals[base]![slot] ?? null,
      };
    }
    case 'avg':
      if (input?.kind === 'decimal') return decimalAvg(name, input);
      need(input !== null && isNumeric(input), 'a number');
      return {
        name, type: double, stateFields: [f('sum', double), f('n', long)], grouped: groupedAvg(input!),
        update: (vals, base, slot, v) => {
          if (v === null) return;
          vals[base]![slot] = ((vals[base]![slot] as number | null) ?? 0) + Number(v);
          vals[base + 1]![slot] = ((vals[base + 1]![slot] as bigint | null) ?? 0n) + 1n;
        },
        merge: (vals, base, slot, from, src) => {
          vals[base]![slot] = addCells(vals[base]![slot] ?? null, from[base]![src] ?? null);
          vals[base + 1]![slot] = addCells(vals[base + 1]![slot] ?? null, from[base + 1]![src] ?? null);
        },
        result: (vals, base, slot) => { const n = vals[base + 1]![slot] as bigint | null; return n ? (vals[base]![slot] as number) / Number(n) : null; },
      };
    case 'min': case 'max': {
      need(input !== null && input.kind !== 'struct' && input.kind !== 'binary', 'an orderable column');
      const sign = fn === 'min' ? -1 : 1;
      const grouped = ['int', 'long', 'double', 'date', 'timestamp'].includes(input!.kind) ? groupedExtreme(input!, fn === 'max') : undefined;
      return { ...extreme(name, input!, (a, b) => sign * ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0) > 0), grouped };
    }
    case 'first': case 'last': {
      need(input !== null && input.kind !== 'struct', 'a column');
      const isFirst = fn === 'first';
      return {
        name, type: input!, stateFields: [f('v', input!), f('set', boolean)],
        update: (vals, base, slot, v) => {
          if (isFirst && vals[base + 1]![slot] === true) return;
          vals[base]![slot] = v; vals[base + 1]![slot] = true;
        },
        merge: (vals, base, slot, from, src) => {
          // `slot` holds the earlier part of a merged session, `src` the later one.
          if (from[base + 1]![src] !== true) return;
          if (isFirst && vals[base + 1]![slot] === true) return;
          vals[base]![slot] = from[base]![src] ?? null; vals[base + 1]![slot] = true;
        },
        result: (vals, base, slot) => vals[base]![slot] ?? null,
      };
    }
    case 'collect_list': case 'collect_set':
      need(input !== null && input.kind !== 'struct' && (fn === 'collect_list' || input.kind !== 'array'), fn === 'collect_list' ? 'a column that is not a struct' : 'an atomic column');
      return collect(name, input!, fn === 'collect_set');
    case 'approx_count_distinct': {
      need(input !== null && input.kind !== 'struct', 'a column');
      const regs = (vals: Cell[][], base: number, slot: number): Uint8Array => {
        let r = vals[base]![slot] as Uint8Array | null;
        if (!r) vals[base]![slot] = r = hllNew();
        return r;
      };
      return {
        name, type: long, stateFields: [f('hll', binary)],
        update: (vals, base, slot, v) => { if (v !== null) hllAdd(regs(vals, base, slot), cellKeyPart(v, input!)); },
        merge: (vals, base, slot, from, src) => { const o = from[base]![src] as Uint8Array | null; if (o) hllMerge(regs(vals, base, slot), o); },
        result: (vals, base, slot) => { const r = vals[base]![slot] as Uint8Array | null; return BigInt(r ? hllCount(r) : 0); },
      };
    }
  }
}
