import type * as A from 'apache-arrow';
import { int, typeToString, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { DataError } from '../../errors.ts';
import type { Arg, BoundFunction, ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { takeOrNull } from './array-columns.ts';
import { bindMapValue } from './map-value.ts';

/**
 * The element picked by an index per row, gathered from the array's child in one take: the
 * element_at and get (and `arr[i]`) kernels differ only in how an index maps to a position.
 * `pos(index, length)` gives the 0-based position, or -1 for "out of range: null".
 */
function pickElement(fn: string, args: readonly Arg[], pos: (index: number, length: number) => number): BoundFunction | string {
  const [a, k] = args;
  if (a!.type.kind === 'map') return bindMapValue(fn, args);
  if (a!.type.kind !== 'array') return `argument 1 requires array type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
  const idxType = implicitCast(k!.type, 'int');
  if (!idxType || k!.type.kind === 'string') return `argument 2 requires int type, however, '${k!.name}' is of ${typeToString(k!.type)} type`;
  const type = a!.type as ArrayType;
  if (fn === 'element_at' && k!.constant?.value === 0) return 'the index 0 is invalid: an index shall be either < 0 or > 0 (the first element has index 1)';
  return {
    inputTypes: [type, int], returnType: type.elementType,
    kernel: ([d, ix], n) => {
      const o = (d as A.Data).valueOffsets as Int32Array, v = ix!.values as Int32Array, idx = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (!isValid(d!, i) || !isValid(ix!, i)) { idx[i] = -1; continue; }
        if (fn === 'element_at' && v[i] === 0) {
          throw new DataError(`element_at: the index 0 is invalid in row ${i} of the batch: SQL array indices start at 1 (use a negative index to count from the end).`);
        }
        const p = pos(v[i]!, o[i + 1]! - o[i]!);
        idx[i] = p < 0 ? -1 : o[i]! + p;
      }
      return takeOrNull(d!.children[0]!, type.elementType, idx);
    },
  };
}

/**
 * element_at(arr, index): 1-based; a negative index counts from the end (-1 is the last).
 * Out of range is null, as in Spark with ANSI off; index 0 is an error, as in Spark.
 * element_at(map, key): the key's value, null when absent.
 */
export const element_at: ScalarFunction = {
  name: 'element_at', arity: 2,
  bind: (args) => pickElement('element_at', args, (i, len) => (i > 0 ? (i <= len ? i - 1 : -1) : (-i <= len ? len + i : -1))),
};

/**
 * get(arr, index) and `arr[index]` (Column.getItem): 0-based; negative or past the end is null.
 * `m[key]` on a map is Spark's GetMapValue, element_at's map lookup, and comes here too.
 */
export const get: ScalarFunction = {
  name: 'get', arity: 2,
  bind: (args) => pickElement('get', args, (i, len) => (i >= 0 && i < len ? i : -1)),
  sql: ([a, i]) => `${a}[${i}]`,
};
