import { typeToString, type DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonType } from './type-rules.ts';
import { pickRows } from './pick-rows.ts';

/** coalesce(a, b, ...): the first non-null argument, in the arguments' common type; null if all are. */
export const coalesce: ScalarFunction = {
  name: 'coalesce', arity: [1, Infinity],
  bind(args) {
    let t: DataType | null = args[0]!.type;
    for (const a of args.slice(1)) {
      const next: DataType | null = commonType(t!, a.type);
      if (!next) return `input to function coalesce should all be the same type, but '${a.name}' is ${typeToString(a.type)} and the others are ${typeToString(t!)}`;
      t = next;
    }
    if (t!.kind === 'struct') return 'struct arguments to coalesce are not supported yet';
    const type = t!;
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
