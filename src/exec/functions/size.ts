import { int, typeToString } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { intColumn } from './utf8-columns.ts';

/**
 * size(arr) / size(map): the number of elements or entries, read off the offsets. A null array gives -1, Spark's result
 * with its default settings (spark.sql.legacy.sizeOfNull=true, ANSI off); null elements count.
 */
export const size: ScalarFunction = {
  name: 'size', aliases: ['cardinality'], arity: 1,
  bind([a]) {
    if (a!.type.kind !== 'array' && a!.type.kind !== 'map' && a!.type.kind !== 'null') return `argument 1 requires (array or map) type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    return {
      inputTypes: [a!.type], returnType: int,
      kernel: ([d], n) => {
        if (a!.type.kind === 'null') return intColumn(n, () => -1);
        const o = d!.valueOffsets as Int32Array;
        return intColumn(n, (i) => (isValid(d!, i) ? o[i + 1]! - o[i]! : -1));
      },
    };
  },
};
