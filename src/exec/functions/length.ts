import { int, binary, string, typeToString } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { intColumn } from './utf8-columns.ts';

/**
 * length(s): characters of a string (counted on the UTF-8 bytes: every byte that does not continue
 * a character starts one), bytes of a binary. Other atomic types are cast to string, as in Spark.
 */
export const length: ScalarFunction = {
  name: 'length', aliases: ['char_length', 'character_length', 'len'], arity: 1,
  bind([a]) {
    const isBinary = a!.type.kind === 'binary';
    if (a!.type.kind === 'struct' || a!.type.kind === 'array') {
      return `argument 1 requires (string or binary) type, however, '${a!.name}' is of ${typeToString(a!.type)} type${a!.type.kind === 'array' ? '; size() counts the elements of an array' : ''}`;
    }
    return {
      inputTypes: [isBinary ? binary : string], returnType: int,
      kernel: ([d], n) => {
        const o = d!.valueOffsets as Int32Array, v = d!.values as Uint8Array;
        return intColumn(n, (i) => {
          if (!isValid(d!, i)) return null;
          if (isBinary) return o[i + 1]! - o[i]!;
          let chars = 0;
          for (let k = o[i]!, e = o[i + 1]!; k < e; k++) if ((v[k]! & 0xc0) !== 0x80) chars++;
          return chars;
        });
      },
    };
  },
};
