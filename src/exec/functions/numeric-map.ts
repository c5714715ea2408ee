import { cellReader, cellWriter } from '../../data/cells.ts';
import type { DataType } from '../../data/types.ts';
import type { Kernel } from './scalar-function.ts';

/**
 * The kernel of a one-argument numeric function that keeps its argument's type (abs, negative):
 * `f` on doubles, `i` on ints (the result wrapped to 32 bits), `b` on bigints (wrapped to 64 bits),
 * as Spark's non-ANSI arithmetic wraps. Null in, null out.
 */
export function numericMap(type: DataType, f: (v: number) => number, b: (v: bigint) => bigint): Kernel {
  const wrapInt = type.kind === 'int';
  // A decimal's unscaled value keeps its digits under abs and negation: nothing to wrap.
  const wrapBig = type.kind === 'decimal' ? (v: bigint): bigint => v : (v: bigint): bigint => BigInt.asIntN(64, v);
  return ([d], n) => {
    const read = cellReader(d!, type), w = cellWriter(type, n);
    for (let i = 0; i < n; i++) {
      const v = read(i);
      w.push(v === null ? null : typeof v === 'bigint' ? wrapBig(b(v)) : wrapInt ? f(v as number) | 0 : f(v as number));
    }
    return w.finish();
  };
}
