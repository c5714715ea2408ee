import { isValid } from '../../data/batch.ts';
import { compare } from '../kernels/compare.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonArgType } from './common-type-args.ts';
import { pickRows } from './pick-rows.ts';

/** nullif(a, b): null where a = b, else a (a null b compares as unknown, so a stays). */
export const nullif: ScalarFunction = {
  name: 'nullif', arity: 2,
  bind(args) {
    const type = commonArgType('nullif', args);
    if (typeof type === 'string') return type;
    return {
      inputTypes: [type, type], returnType: type,
      kernel: ([a, b], n) => {
        if (type.kind === 'null') return a!;
        const eq = compare('eq', type, a!, b!, n), bits = eq.values as Uint8Array;
        const choice = new Int32Array(n);
        for (let i = 0; i < n; i++) if ((bits[i >> 3]! >> (i & 7)) & 1 && isValid(eq, i)) choice[i] = -1;
        return pickRows(type, [a!], choice, n);
      },
    };
  },
};
