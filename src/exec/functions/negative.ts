import { typeToString, int, isNumeric } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { numericMap } from './numeric-map.ts';

/** -x (SQL's unary minus), in x's own type; int and bigint wrap on overflow as in Spark (non-ANSI); a decimal is exact. */
export const negative: ScalarFunction = {
  name: 'negative', arity: 1,
  bind([a]) {
    if (!isNumeric(a!.type) && a!.type.kind !== 'null' && a!.type.kind !== 'decimal') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = a!.type.kind === 'null' ? int : a!.type;
    return {
      inputTypes: [type], returnType: type,
      kernel: numericMap(type, (v) => -v, (v) => -v),
    };
  },
  sql: ([a]) => `(- ${a})`,
};
