import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { compare } from '../kernels/compare.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonArgType } from './common-type-args.ts';
import { pickRows } from './pick-rows.ts';

/**
 * The largest (or smallest) non-null argument, in the arguments' common type; null only when all
 * are null (Spark's greatest/least skip nulls). One columnar comparison per argument.
 */
function extreme(name: 'greatest' | 'least'): ScalarFunction {
  return {
    name, arity: [2, Infinity],
    bind(args) {
      const type = commonArgType(name, args);
      if (typeof type === 'string') return type;
      return { inputTypes: args.map(() => type), returnType: type, kernel: (cols, n) => reduce(name, type, cols, n) };
    },
  };
}

function reduce(name: 'greatest' | 'least', type: DataType, cols: readonly A.Data[], n: number): A.Data {
  let acc = cols[0]!;
  if (type.kind === 'null') return acc; // every argument is a null literal
  for (const next of cols.slice(1)) {
    const better = compare(name === 'greatest' ? 'gt' : 'lt', type, next, acc, n), bits = better.values as Uint8Array;
    const choice = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!isValid(next, i)) continue;
      if (!isValid(acc, i) || ((bits[i >> 3]! >> (i & 7)) & 1)) choice[i] = 1;
    }
    acc = pickRows(type, [acc, next], choice, n);
  }
  return acc;
}

export const greatest = extreme('greatest');
export const least = extreme('least');
