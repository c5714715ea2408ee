import { array, boolean, typeToString, type ArrayType, type DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader } from '../../data/cells.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonType } from './type-rules.ts';
import { booleanColumn } from './utf8-columns.ts';
import { cellsEqual, isAtomicElement } from './array-columns.ts';

/**
 * array_contains(arr, value): true when an element equals value. Spark's three-valued answer:
 * null when the array or the value is null, or when no element matches but one is null
 * (it might have been the value); false otherwise. Elements and value meet in their common type.
 */
export const array_contains: ScalarFunction = {
  name: 'array_contains', arity: 2,
  bind([a, v]) {
    if (a!.type.kind !== 'array') return `argument 1 requires array type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const el = (a!.type as ArrayType).elementType;
    const t: DataType | null = commonType(el, v!.type);
    if (!t || !isAtomicElement(t)) {
      return `input to function array_contains should have been array followed by a value with same element type, but it's [${typeToString(a!.type)}, ${typeToString(v!.type)}]`;
    }
    return {
      inputTypes: [array(t), t], returnType: boolean,
      kernel: ([d, val], n) => {
        const o = d!.valueOffsets as Int32Array, elems = cellReader(d!.children[0]!, t), want = cellReader(val!, t);
        const child = d!.children[0]!;
        return booleanColumn(n, (i) => {
          if (!isValid(d!, i)) return null;
          const x = want(i);
          if (x === null) return null;
          let sawNull = false;
          for (let k = o[i]!; k < o[i + 1]!; k++) {
            if (!isValid(child, k)) { sawNull = true; continue; }
            if (cellsEqual(elems(k), x)) return true;
          }
          return sawNull ? null : false;
        });
      },
    };
  },
};
