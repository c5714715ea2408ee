import { string } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, bytesOf } from './utf8-columns.ts';

/** concat(a, b, ...): the strings joined, byte by byte; null if any argument is null (Spark's rule). */
export const concat: ScalarFunction = {
  name: 'concat', arity: [0, Infinity],
  bind: fixedTypes(['string'], string, (cols, n) => {
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      if (!allValid(cols, i)) { bb.appendNull(); continue; }
      for (const c of cols) bb.appendPart(...bytesOf(c, i));
      bb.endValue();
    }
    return bb.finish('string');
  }),
};
