import { map, typeToString, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { ValidityBuilder, mapColumn } from '../../data/builders.ts';
import { take } from '../../data/take.ts';
import { DataError } from '../../errors.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { checkMapKeys } from './map-keys-check.ts';

/**
 * map_from_arrays(keys, values): the i-th key to the i-th value. Null when either array is null;
 * arrays of different lengths, a null key or a repeated key stop the query, as in Spark.
 */
export const map_from_arrays: ScalarFunction = {
  name: 'map_from_arrays', arity: 2,
  bind([k, v]) {
    if (k!.type.kind !== 'array') return `argument 1 requires array type, however, '${k!.name}' is of ${typeToString(k!.type)} type`;
    if (v!.type.kind !== 'array') return `argument 2 requires array type, however, '${v!.name}' is of ${typeToString(v!.type)} type`;
    const kt = (k!.type as ArrayType).elementType, vt = (v!.type as ArrayType).elementType, type = map(kt, vt);
    return {
      inputTypes: [k!.type, v!.type], returnType: type,
      kernel: ([kd, vd], n) => {
        const ko = kd!.valueOffsets as Int32Array, vo = vd!.valueOffsets as Int32Array, vb = new ValidityBuilder(n);
        const offsets = new Int32Array(n + 1), kIdx: number[] = [], vIdx: number[] = [];
        for (let i = 0; i < n; i++) {
          const valid = isValid(kd!, i) && isValid(vd!, i);
          vb.set(i, valid);
          if (valid) {
            const len = ko[i + 1]! - ko[i]!;
            if (vo[i + 1]! - vo[i]! !== len) {
              throw new DataError(`map_from_arrays: in row ${i} of the batch the key array has ${len} elements and the value array ${vo[i + 1]! - vo[i]!}; they must be equally long (Spark: The key array and value array of MapData must have the same length).`);
            }
            for (let j = 0; j < len; j++) { kIdx.push(ko[i]! + j); vIdx.push(vo[i]! + j); }
          }
          offsets[i + 1] = kIdx.length;
        }
        const keys = take(kd!.children[0]!, Int32Array.from(kIdx)), values = take(vd!.children[0]!, Int32Array.from(vIdx));
        checkMapKeys('map_from_arrays', keys, kt, offsets, n, () => true);
        return mapColumn(type, offsets, keys, values, n, vb.finish(n), vb.nullCount);
      },
    };
  },
};
