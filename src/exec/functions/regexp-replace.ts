import { string } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { allValid, stringAt } from './utf8-columns.ts';
import { compilePattern, patternAt } from './regex-cache.ts';

const globalRegExp = (p: string): RegExp => new RegExp(p, 'gu');

/**
 * regexp_replace(str, regex, replacement): every match replaced; `$1` in the replacement is a
 * group, as in Java. Null if any argument is null.
 */
export const regexp_replace: ScalarFunction = {
  name: 'regexp_replace', arity: 3,
  bind(args) {
    const inputTypes = castArgs(args, ['string', 'string', 'string']);
    if (typeof inputTypes === 'string') return inputTypes;
    const fixed = compilePattern(args[1]!, globalRegExp);
    if (typeof fixed === 'string') return `regexp_replace: ${fixed}`;
    return {
      inputTypes, returnType: string,
      kernel: (cols, n) => {
        const re = patternAt(fixed, cols[1]!, globalRegExp);
        const bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) {
          if (!allValid(cols, i)) { bb.appendNull(); continue; }
          bb.appendString(stringAt(cols[0]!, i).replace(re(i)!, stringAt(cols[2]!, i)));
        }
        return bb.finish('string');
      },
    };
  },
};
