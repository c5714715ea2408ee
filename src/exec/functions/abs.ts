import { typeToString, int, isNumeric, double } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { numericMap } from './numeric-map.ts';

/** abs(x) in x's own type (a string is read as a double); abs of the smallest int wraps, as in Spark. */
export const abs: ScalarFunction = {
  name: 'abs', arity: 1,
  bind([a]) {
    const k = a!.type.kind;
    if (!isNumeric(a!.type) && k !== 'null' && k !== 'string' && k !== 'decimal') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = k === 'null' ? int : k === 'string' ? double : a!.type;
    return {
      inputTypes: [type], returnType: type,
      kernel: numericMap(type, Math.abs, (v) => (v < 0n ? -v : v)),
    };
  },
};
