import { map, nullType, type DataType } from '../../data/types.ts';
import { concatColumns } from '../../data/concat.ts';
import { mapColumn } from '../../data/builders.ts';
import { take } from '../../data/take.ts';
import type { Arg, ScalarFunction } from './scalar-function.ts';
import { commonArgType } from './common-type-args.ts';
import { checkMapKeys } from './map-keys-check.ts';

/**
 * map(k1, v1, k2, v2, ...) (PySpark's create_map): one map per row, keys cast to their common
 * type and values to theirs, as Spark's CreateMap. A null or repeated key stops the query, as in
 * Spark; a null value is kept. Columnar as array(): the keys end to end, gathered in row order in
 * one take, and the values likewise.
 */
export const create_map: ScalarFunction = {
  name: 'map', columnApi: 'create_map', arity: [0, Infinity],
  bind(args) {
    if (args.length % 2 !== 0) return `map expects a positive even number of arguments (key1, value1, key2, value2, ...), but got ${args.length}`;
    const keys = args.filter((_, k) => k % 2 === 0), values = args.filter((_, k) => k % 2 === 1);
    const common = (xs: readonly Arg[]): DataType | string => (xs.length === 0 ? nullType : commonArgType('map', xs));
    const kt = common(keys), vt = common(values);
    if (typeof kt === 'string') return kt.replace('should all be the same type', "should all be the same type for the keys");
    if (typeof vt === 'string') return vt.replace('should all be the same type', "should all be the same type for the values");
    if (kt.kind === 'map') return `the key of a map cannot be a map ('${keys[0]!.name}' is ${kt.kind})`;
    const type = map(kt, vt), k = keys.length;
    return {
      inputTypes: args.map((_, j) => (j % 2 === 0 ? kt : vt)), returnType: type,
      kernel: (cols, n) => {
        const offsets = new Int32Array(n + 1), idx = new Int32Array(n * k);
        for (let i = 0; i < n; i++) {
          offsets[i + 1] = (i + 1) * k;
          for (let j = 0; j < k; j++) idx[i * k + j] = j * n + i;
        }
        const gather = (t: DataType, parts: readonly typeof cols[number][]): typeof cols[number] =>
          (k === 0 ? concatColumns(t, []) : take(concatColumns(t, parts), idx));
        const kc = gather(kt, cols.filter((_, j) => j % 2 === 0)), vc = gather(vt, cols.filter((_, j) => j % 2 === 1));
        checkMapKeys('map', kc, kt, offsets, n, () => true);
        return mapColumn(type, offsets, kc, vc, n);
      },
    };
  },
};
