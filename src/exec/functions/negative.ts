import { cellReader, cellWriter } from '../../data/cells.ts';
import { typeToString, int, isNumeric } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';

/** -x (SQL's unary minus), in x's own type; int and bigint wrap on overflow as in Spark (non-ANSI). */
export const negative: ScalarFunction = {
  name: 'negative', arity: 1,
  bind([a]) {
    if (!isNumeric(a!.type) && a!.type.kind !== 'null') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const type = a!.type.kind === 'null' ? int : a!.type;
    return {
      inputTypes: [type], returnType: type,
      kernel: ([d], n) => {
        const read = cellReader(d!, type), w = cellWriter(type, n);
        for (let i = 0; i < n; i++) {
          const v = read(i);
          w.push(v === null ? null : typeof v === 'bigint' ? BigInt.asIntN(64, -v) : type.kind === 'int' ? -(v as number) | 0 : -(v as number));
        }
        return w.finish();
      },
    };
  },
  sql: ([a]) => `(- ${a})`,
};
