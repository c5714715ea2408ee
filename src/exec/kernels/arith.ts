import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { cellReader, cellWriter } from '../../data/cells.ts';

export type ArithOp = 'plus' | 'minus' | 'multiply' | 'divide' | 'mod';

/** Arithmetic over two columns already coerced to `type` (int, long, double). Division by zero is null, as in Spark. */
export function arith(op: ArithOp, type: DataType, l: A.Data, r: A.Data, n: number): A.Data {
  const ra = cellReader(l, type), rb = cellReader(r, type), w = cellWriter(type, n);
  if (type.kind === 'double' && l.nullCount === 0 && r.nullCount === 0) {
    const a = l.values as Float64Array, b = r.values as Float64Array;
    for (let i = 0; i < n; i++) {
      const x = a[i]!, y = b[i]!;
      w.push(op === 'plus' ? x + y : op === 'minus' ? x - y : op === 'multiply' ? x * y : y === 0 ? null : op === 'divide' ? x / y : x % y);
    }
    return w.finish();
  }
  for (let i = 0; i < n; i++) {
    const x = ra(i), y = rb(i);
    if (x === null || y === null) { w.push(null); continue; }
    if (type.kind === 'long') {
      const a = x as bigint, b = y as bigint;
      if ((op === 'divide' || op === 'mod') && b === 0n) { w.push(null); continue; }
      const v = op === 'plus' ? a + b : op === 'minus' ? a - b : op === 'multiply' ? a * b : op === 'divide' ? a / b : a % b;
      w.push(BigInt.asIntN(64, v));
    } else {
      const a = x as number, b = y as number;
      if ((op === 'divide' || op === 'mod') && b === 0) { w.push(null); continue; }
      const v = op === 'plus' ? a + b : op === 'minus' ? a - b : op === 'multiply' ? a * b : op === 'divide' ? a / b : a % b;
      w.push(type.kind === 'int' ? v | 0 : v);
    }
  }
  return w.finish();
}
