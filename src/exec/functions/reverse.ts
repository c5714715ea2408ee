import { string, typeToString } from '../../data/types.ts';
import { cellReader, cellWriter, type Cell } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { stringAt, stringColumn } from './utf8-columns.ts';

/** reverse(x): a string's characters (code points) or an array's elements in reverse order; null stays null. */
export const reverse: ScalarFunction = {
  name: 'reverse', arity: 1,
  bind(args) {
    const t = args[0]!.type;
    if (t.kind === 'array') {
      return {
        inputTypes: [t], returnType: t,
        kernel: ([d], n) => {
          const read = cellReader(d!, t), w = cellWriter(t, n);
          for (let i = 0; i < n; i++) { const v = read(i) as Cell[] | null; w.push(v === null ? null : [...v].reverse()); }
          return w.finish();
        },
      };
    }
    const types = castArgs(args, ['string']);
    if (typeof types === 'string') return `argument 1 requires string or array type, however, '${args[0]!.name}' is of ${typeToString(t)} type`;
    return {
      inputTypes: types, returnType: string,
      kernel: ([s], n) => stringColumn(n, (i) => (isValid(s!, i) ? Array.from(stringAt(s!, i)).reverse().join('') : null)),
    };
  },
};
