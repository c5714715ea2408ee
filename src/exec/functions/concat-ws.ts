import type * as A from 'apache-arrow';
import { array, string, type ArrayType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { bytesOf } from './utf8-columns.ts';

/**
 * concat_ws(sep, a, b, ...): the non-null strings joined by sep (nulls are skipped); null only when
 * sep is null. As in Spark, an argument may also be an array of strings, whose non-null elements
 * join in turn (concat_ws(',', collect_list(x))).
 */
export const concat_ws: ScalarFunction = {
  name: 'concat_ws', arity: [1, Infinity],
  bind(args) {
    const isArray = args.map((a, k) => k > 0 && a.type.kind === 'array');
    const inputTypes = castArgs(args.map((a, k) => (isArray[k] ? { ...a, type: (a.type as ArrayType).elementType } : a)), ['string']);
    if (typeof inputTypes === 'string') return inputTypes;
    return {
      inputTypes: inputTypes.map((t, k) => (isArray[k] ? array(t) : t)), returnType: string,
      kernel: ([sep, ...cols], n) => {
        const bb = new BytesBuilder(n);
        let first = true;
        const part = (d: A.Data, k: number, i: number): void => {
          if (!isValid(d, k)) return;
          if (!first) bb.appendPart(...bytesOf(sep!, i));
          bb.appendPart(...bytesOf(d, k));
          first = false;
        };
        for (let i = 0; i < n; i++) {
          if (!isValid(sep!, i)) { bb.appendNull(); continue; }
          first = true;
          cols.forEach((c, j) => {
            if (!isArray[j + 1]) { part(c, i, i); return; }
            if (!isValid(c, i)) return;
            const o = c.valueOffsets as Int32Array;
            for (let k = o[i]!; k < o[i + 1]!; k++) part(c.children[0]!, k, i);
          });
          bb.endValue();
        }
        return bb.finish('string');
      },
    };
  },
};
