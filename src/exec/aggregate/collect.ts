import { array, type DataType, type StructField } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import { cellKeyPart } from '../../state/key-encoding.ts';
import type { Aggregator } from './aggregators.ts';

/**
 * collect_list / collect_set: the group's non-null values as an array (empty when there were
 * none, as in Spark). The state is the array itself, one array<T> value column, so the state
 * store writes and reloads it like any other cell (Arrow List in its delta and snapshot files) and
 * a restart goes on from it. collect_set keeps first occurrences; its membership test is a Set of
 * key encodings kept beside each array and rebuilt from the array after a reload.
 */
export function collect(name: string, input: DataType, distinct: boolean): Aggregator {
  const type = array(input, false);
  const seen = new WeakMap<Cell[], Set<string>>();
  const keysOf = (list: Cell[]): Set<string> => {
    let s = seen.get(list);
    if (!s) seen.set(list, (s = new Set(list.map((v) => cellKeyPart(v, input)))));
    return s;
  };
  const listAt = (vals: Cell[][], base: number, slot: number): Cell[] => {
    let l = vals[base]![slot] as Cell[] | null | undefined;
    if (!l) vals[base]![slot] = l = [];
    return l;
  };
  const add = (list: Cell[], v: Cell): void => {
    if (v === null) return;
    if (distinct) {
      const keys = keysOf(list), k = cellKeyPart(v, input);
      if (keys.has(k)) return;
      keys.add(k);
    }
    list.push(v);
  };
  const stateFields: StructField[] = [{ name: 'values', type, nullable: true }];
  return {
    name, type, stateFields,
    update: (vals, base, slot, v) => add(listAt(vals, base, slot), v),
    merge: (vals, base, slot, from, src) => {
      const list = listAt(vals, base, slot);
      for (const v of (from[base]![src] as Cell[] | null) ?? []) add(list, v);
    },
    result: (vals, base, slot) => [...((vals[base]![slot] as Cell[] | null) ?? [])],
  };
}
