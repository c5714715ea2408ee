import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonArgType } from './common-type-args.ts';
import { pickRows } from './pick-rows.ts';

/** coalesce(a, b, ...): the first non-null argument, in the arguments' common type; null if all are. */
export const coalesce: ScalarFunction = {
  name: 'coalesce', arity: [1, Infinity],
  bind(args) {
    const type = commonArgType('coalesce', args);
    if (typeof type === 'string') return type;
    return {
      inputTypes: args.map(() => type), returnType: type,
      kernel: (cols, n) => {
        const choice = new Int32Array(n).fill(-1);
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < cols.length; k++) if (isValid(cols[k]!, i) && cols[k]!.nullCount !== n) { choice[i] = k; break; }
        }
        return pickRows(type, cols, choice, n);
      },
    };
  },
};
