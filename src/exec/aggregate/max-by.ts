import { boolean, type DataType } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import type { Aggregator } from './aggregators.ts';

/**
 * max_by(x, ord) / min_by(x, ord): x of the row whose ord is greatest (least). As in Spark,
 * rows with a null ord are skipped and x itself may be null; of tied ords the first one seen
 * is kept (Spark leaves ties unspecified). The state is x, ord and whether it is set.
 */
export function maxBy(name: string, x: DataType, ord: DataType, max: boolean): Aggregator {
  const better = (a: Cell, b: Cell): boolean => (max ? (a as number) > (b as number) : (a as number) < (b as number));
  const offer = (vals: Cell[][], base: number, slot: number, xv: Cell, ov: Cell): void => {
    if (ov === null) return;
    if (vals[base + 2]![slot] === true && !better(ov, vals[base + 1]![slot] ?? null)) return;
    vals[base]![slot] = xv; vals[base + 1]![slot] = ov; vals[base + 2]![slot] = true;
  };
  return {
    name, type: x,
    stateFields: [{ name: 'x', type: x, nullable: true }, { name: 'ord', type: ord, nullable: true }, { name: 'set', type: boolean, nullable: true }],
    update: (vals, base, slot, v) => { const [xv, ov] = v as readonly Cell[]; offer(vals, base, slot, xv ?? null, ov ?? null); },
    merge: (vals, base, slot, from, src) => {
      if (from[base + 2]![src] === true) offer(vals, base, slot, from[base]![src] ?? null, from[base + 1]![src] ?? null);
    },
    result: (vals, base, slot) => vals[base]![slot] ?? null,
  };
}
