import { array, nullType, type DataType } from '../../data/types.ts';
import { concatColumns } from '../../data/concat.ts';
import { listColumn } from '../../data/builders.ts';
import { take } from '../../data/take.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonArgType } from './common-type-args.ts';

/**
 * array(a, b, ...): one array per row of the arguments' values, cast to their common type as
 * Spark's CreateArray does (array(1, 2.5) is array<double>); a null argument is a null element,
 * never a null array. array() is an empty array<null>. Columnar: the arguments end to end are
 * gathered in row order, one take for the whole batch.
 */
export const makeArray: ScalarFunction = {
  name: 'array', arity: [0, Infinity],
  bind(args) {
    let el: DataType = nullType;
    if (args.length > 0) {
      const t = commonArgType('array', args);
      if (typeof t === 'string') return t;
      el = t;
    }
    const type = array(el), k = args.length;
    return {
      inputTypes: args.map(() => el), returnType: type,
      kernel: (cols, n) => {
        const offsets = new Int32Array(n + 1), idx = new Int32Array(n * k);
        for (let i = 0; i < n; i++) {
          offsets[i + 1] = (i + 1) * k;
          for (let j = 0; j < k; j++) idx[i * k + j] = j * n + i;
        }
        const child = k === 0 ? concatColumns(el, []) : take(concatColumns(el, cols), idx);
        return listColumn(type, offsets, child, n);
      },
    };
  },
};
