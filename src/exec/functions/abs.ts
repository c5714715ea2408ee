import { cellReader, cellWriter } from '../../data/cells.ts';
import { typeToString, int, isNumeric, double } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';

/** abs(x) in x's own type (a string is read as a double); abs of the smallest int wraps, as in Spark. */
export const abs: ScalarFunction = {
  name: 'abs', arity: 1,
  bind([a]) {
    const k = a!.type.kind;
    if (!isNumeric(a!.type) && k !== 'null' && k !== 'string') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = k === 'null' ? int : k === 'string' ? double : a!.type;
    return {
      inputTypes: [type], returnType: type,
      kernel: ([d], n) => {
        const read = cellReader(d!, type), w = cellWriter(type, n);
        for (let i = 0; i < n; i++) {
          const v = read(i);
          w.push(v === null ? null : typeof v === 'bigint' ? BigInt.asIntN(64, v < 0n ? -v : v) : type.kind === 'int' ? Math.abs(v as number) | 0 : Math.abs(v as number));
        }
        return w.finish();
      },
    };
  },
};
