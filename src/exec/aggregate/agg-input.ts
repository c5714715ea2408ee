import type { Batch } from '../../data/batch.ts';
import { cellReader, type Cell } from '../../data/cells.ts';
import { newEvalContext } from '../compiled-expr.ts';
import type { AggColumn } from './hash-aggregate.ts';

const noCtx = newEvalContext();

/**
 * The per-row reader of one aggregate's input over batch `b`: its one column's cell, or for an
 * aggregate of several columns (count(DISTINCT a, b), max_by(x, ord)) the tuple of their cells,
 * so Aggregator.update keeps one signature. count(*) reads null.
 */
export function aggInputReader(a: AggColumn, b: Batch): (i: number) => Cell {
  if (!a.input) return () => null;
  const first = cellReader(a.input.eval(b, noCtx), a.input.type);
  if (!a.extra?.length) return first;
  const rest = a.extra.map((x) => cellReader(x.eval(b, noCtx), x.type));
  return (i) => [first(i), ...rest.map((r) => r(i))];
}
