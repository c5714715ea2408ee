import { long, string, type DataType } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import { encodeCells } from '../../state/key-encoding.ts';
import type { Aggregator } from './aggregators.ts';
import { collect } from './collect.ts';

/**
 * Exact count(DISTINCT a, b, ...): the number of distinct tuples with no null member (Spark
 * skips a row where any column is null). The state is collect_set's, over each tuple's state
 * key encoding (one array<string> value column), so it reloads after a restart; its size
 * grows with the number of distinct values, as Spark's exact distinct does.
 */
export function countDistinct(name: string, inputs: readonly DataType[]): Aggregator {
  const set = collect(name, string, true);
  return {
    ...set, type: long,
    update: (vals, base, slot, v) => {
      const cells = inputs.length === 1 ? [v] : (v as readonly Cell[]);
      if (cells.some((c) => c === null)) return;
      set.update(vals, base, slot, encodeCells(cells, inputs));
    },
    result: (vals, base, slot) => BigInt(((vals[base]![slot] as Cell[] | null) ?? []).length),
  };
}
