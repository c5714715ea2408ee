import { boolean, typeToString, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { elementComparator, isAtomicElement, regather } from './array-columns.ts';

/**
 * sort_array(arr[, asc = true]): the elements in order; nulls first ascending, last descending,
 * as Spark. Sorting permutes child indices per row; the elements are gathered once.
 */
export const sort_array: ScalarFunction = {
  name: 'sort_array', arity: [1, 2],
  bind([a, asc]) {
    if (a!.type.kind !== 'array') return `argument 1 requires array type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = a!.type as ArrayType;
    if (!isAtomicElement(type.elementType)) return `sort_array does not support sorting array of type ${typeToString(type.elementType)}`;
    if (asc && (asc.type.kind !== 'boolean' || !asc.constant || asc.constant.value === null)) {
      return `Sort order in second argument requires a boolean literal, however, '${asc.name}' is of ${typeToString(asc.type)} type`;
    }
    const ascending = asc ? asc.constant!.value === true : true;
    return {
      inputTypes: asc ? [type, boolean] : [type], returnType: type,
      kernel: ([d], n) => {
        const o = d!.valueOffsets as Int32Array, child = d!.children[0]!, order = elementComparator(child, type.elementType);
        const hasNulls = child.nullCount > 0;
        const cmp = (x: number, y: number): number => {
          if (hasNulls) {
            const vx = isValid(child, x), vy = isValid(child, y);
            if (!vx || !vy) return vx === vy ? 0 : vx ? 1 : -1; // null is the smallest
          }
          return order(x, y);
        };
        const desc = (x: number, y: number): number => cmp(y, x);
        // Each row's child indices, sorted in place inside one index array: the child is gathered once.
        const picked = new Int32Array(o[n]! - o[0]!), offsets = new Int32Array(n + 1);
        for (let i = 0, p = 0; i < n; i++) {
          const len = o[i + 1]! - o[i]!;
          for (let k = 0; k < len; k++) picked[p + k] = o[i]! + k;
          if (len > 1) picked.subarray(p, p + len).sort(ascending ? cmp : desc);
          p += len;
          offsets[i + 1] = p;
        }
        return regather(type, d!, offsets, picked, n, (i) => isValid(d!, i));
      },
    };
  },
};
