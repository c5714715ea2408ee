import { typeToString, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { keyParts } from '../../state/key-encoding.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { elementComparator, isAtomicElement, regather } from './array-columns.ts';

/** Up to this many elements, a row's repeats are found by comparing with the kept ones. */
const SHORT = 16;

/**
 * array_distinct(arr): the elements without repeats, first occurrence kept, in order; one null
 * stays if there were any. Equality by the state store's key encoding (bytes for strings and binary,
 * the value's text otherwise), so NaN meets NaN as in Spark.
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
        const o = d!.valueOffsets as Int32Array, child = d!.children[0]!, same = elementComparator(child, type.elementType);
        // Long arrays meet their earlier elements through a Set of the state store's keys (sliced from the
        // buffers); short ones by comparing with the elements kept so far, which allocates nothing.
        let keys: string[] | null = null;
        const seen = new Set<string>();
        const picked = new Int32Array(o[n]! - o[0]!), offsets = new Int32Array(n + 1);
        let p = 0;
        for (let i = 0; i < n; i++) {
          const from = p, long = o[i + 1]! - o[i]! > SHORT;
          if (long) { keys ??= keyParts(child, type.elementType, child.length); seen.clear(); }
          let sawNull = false;
          for (let k = o[i]!; k < o[i + 1]!; k++) {
            if (!isValid(child, k)) { if (!sawNull) picked[p++] = k; sawNull = true; continue; }
            if (long) { const key = keys![k]!; if (!seen.has(key)) { seen.add(key); picked[p++] = k; } continue; }
            let dup = false;
            for (let j = from; j < p && !dup; j++) dup = isValid(child, picked[j]!) && same(picked[j]!, k) === 0;
            if (!dup) picked[p++] = k;
          }
          offsets[i + 1] = p;
        }
        return regather(type, d!, offsets, picked.subarray(0, p), n, (i) => isValid(d!, i));
      },
    };
  },
};
