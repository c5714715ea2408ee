import { array, double, type DataType, type StructField } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import type { Aggregator } from './aggregators.ts';
import { COMPRESS_THRESHOLD, HEAD_SIZE, compress, insertHead, mergeSummaries, query, type Summary } from './quantile-summaries.ts';

const FIELDS = ['head', 'values', 'g', 'delta'] as const;

/**
 * percentile_approx(col, percentage, accuracy): for each percentage an actual input value
 * within rank error n / accuracy (nulls skipped), from Spark's Greenwald-Khanna summary with
 * relative error 1 / accuracy (quantile-summaries.ts); an array of percentages gives an array
 * (containsNull false) in the order given. The summary and its head buffer of unsorted new
 * values are array<double> value columns plus a count, so a restart goes on from them; values
 * are doubles inside, as in Spark, and come out in the input's type.
 */
export function percentileApprox(name: string, input: DataType, percentages: readonly number[], asArray: boolean, accuracy: number): Aggregator {
  const relativeError = 1 / accuracy;
  const arr = array(double, false);
  const stateFields: StructField[] = [...FIELDS.map((f) => ({ name: f, type: arr, nullable: true })), { name: 'count', type: double, nullable: true }];
  const list = (vals: Cell[][], col: number, slot: number): number[] => {
    let l = vals[col]![slot] as number[] | null | undefined;
    if (!l) vals[col]![slot] = l = [];
    return l;
  };
  const read = (vals: Cell[][], base: number, slot: number): Summary => ({
    values: list(vals, base + 1, slot), g: list(vals, base + 2, slot), delta: list(vals, base + 3, slot), count: (vals[base + 4]![slot] as number | null) ?? 0,
  });
  const write = (vals: Cell[][], base: number, slot: number, s: Summary, head: number[]): void => {
    vals[base]![slot] = head; vals[base + 1]![slot] = s.values; vals[base + 2]![slot] = s.g; vals[base + 3]![slot] = s.delta; vals[base + 4]![slot] = s.count;
  };
  /** The slot's summary with its head inserted and compressed, as Spark's serialisation and eval see it. */
  const compressed = (vals: Cell[][], base: number, slot: number): Summary => compress(read(vals, base, slot), list(vals, base, slot), relativeError);
  const flush = (vals: Cell[][], base: number, slot: number, head: readonly number[]): void => {
    let s = insertHead(read(vals, base, slot), head, relativeError);
    if (s.values.length >= COMPRESS_THRESHOLD) s = compress(s, [], relativeError);
    write(vals, base, slot, s, []);
  };
  const out = (x: number): Cell => (input.kind === 'long' ? BigInt(x) : x);
  return {
    name, type: asArray ? array(input, false) : input, stateFields,
    update: (vals, base, slot, v) => {
      if (v === null) return;
      const head = list(vals, base, slot);
      head.push(Number(v));
      if (head.length >= HEAD_SIZE) flush(vals, base, slot, head);
    },
    // At a batch's end the head goes into the summary as Spark's insert() flushes it (compressed
    // once the samples reach its threshold), so between batches the state is the summary alone.
    // Spark's streaming state instead merges each batch's compressed partial summary into the
    // saved one; measured (bench/percentile-approx.ts) that merge keeps most samples of every
    // batch, as GK merge adds the other side's rank error to each interleaved sample, so the
    // state would grow with the stream; the flush keeps it bounded at the same error bound.
    endBatch: (vals, base, slot) => {
      const head = vals[base]![slot] as number[] | null;
      if (!head?.length) return;
      flush(vals, base, slot, head);
    },
    merge: (vals, base, slot, from, src) => {
      // Spark merges compressed summaries: each side's head is inserted first.
      write(vals, base, slot, mergeSummaries(compressed(vals, base, slot), compressed(from, base, src), relativeError), []);
    },
    result: (vals, base, slot) => {
      // On a compressed copy: the state itself is left as the inputs made it, so a restart from
      // the stored state answers the same as the process that never stopped.
      const s = compressed(vals, base, slot);
      if (!s.count) return null;
      const got = percentages.map((p) => out(query(s, p, relativeError)!));
      return asArray ? got : got[0]!;
    },
  };
}
