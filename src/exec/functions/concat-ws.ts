import { string } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { bytesOf } from './utf8-columns.ts';

/** concat_ws(sep, a, b, ...): the non-null strings joined by sep (nulls are skipped); null only when sep is null. */
export const concat_ws: ScalarFunction = {
  name: 'concat_ws', arity: [1, Infinity],
  bind: fixedTypes(['string'], string, ([sep, ...cols], n) => {
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      if (!isValid(sep!, i)) { bb.appendNull(); continue; }
      let first = true;
      for (const c of cols) {
        if (!isValid(c, i)) continue;
        if (!first) bb.appendPart(...bytesOf(sep!, i));
        bb.appendPart(...bytesOf(c, i));
        first = false;
      }
      bb.endValue();
    }
    return bb.finish('string');
  }),
};
