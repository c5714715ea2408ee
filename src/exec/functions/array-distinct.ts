import { typeToString, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader } from '../../data/cells.ts';
import { cellKeyPart } from '../../state/key-encoding.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { isAtomicElement, regather } from './array-columns.ts';

/**
 * array_distinct(arr): the elements without repeats, first occurrence kept, in order; one null
 * stays if there were any. Equality by the state store's key encoding of a cell (bytes for
 * strings and binary, the value's text otherwise), so 1 and 1.0 of one type meet.
 */
export const array_distinct: ScalarFunction = {
  name: 'array_distinct', arity: 1,
  bind([a]) {
    if (a!.type.kind !== 'array') return `argument 1 requires array type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = a!.type as ArrayType;
    if (!isAtomicElement(type.elementType)) return `array_distinct of array<${typeToString(type.elementType)}> is not supported yet`;
    return {
      inputTypes: [type], returnType: type,
      kernel: ([d], n) => {
        const o = d!.valueOffsets as Int32Array, child = d!.children[0]!, el = cellReader(child, type.elementType);
        const picked = new Int32Array(o[n]! - o[0]!), offsets = new Int32Array(n + 1);
        let p = 0;
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          seen.clear();
          let sawNull = false;
          for (let k = o[i]!; k < o[i + 1]!; k++) {
            if (!isValid(child, k)) { if (!sawNull) picked[p++] = k; sawNull = true; continue; }
            const key = cellKeyPart(el(k), type.elementType);
            if (!seen.has(key)) { seen.add(key); picked[p++] = k; }
          }
          offsets[i + 1] = p;
        }
        return regather(type, d!, offsets, picked.subarray(0, p), n, (i) => isValid(d!, i));
      },
    };
  },
};
