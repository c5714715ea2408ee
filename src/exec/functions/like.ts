import { boolean } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { allValid, booleanColumn, stringAt } from './utf8-columns.ts';
import { compilePattern, javaRegExp, likeToRegExp, patternAt } from './regex-cache.ts';

function matcher(name: string, compile: (p: string) => RegExp): ScalarFunction['bind'] {
  return (args) => {
    const inputTypes = castArgs(args, ['string', 'string']);
    if (typeof inputTypes === 'string') return inputTypes;
    const fixed = compilePattern(args[1]!, compile);
    if (typeof fixed === 'string') return `${name}: ${fixed}`;
    return {
      inputTypes, returnType: boolean,
      kernel: (cols, n) => {
        const re = patternAt(fixed, cols[1]!, compile);
        return booleanColumn(n, (i) => (allValid(cols, i) ? re(i)!.test(stringAt(cols[0]!, i)) : null));
      },
    };
  };
}

/** str LIKE pattern (SQL wildcards `_` and `%`); also Column.like(). */
export const like: ScalarFunction = {
  name: 'like', arity: 2, bind: matcher('like', likeToRegExp),
  sql: ([s, p]) => `${s} LIKE ${p}`,
};

/** str RLIKE regex: true when the regex matches anywhere in str (Java's find()); also Column.rlike(). */
export const rlike: ScalarFunction = {
  name: 'rlike', aliases: ['regexp', 'regexp_like'], arity: 2, bind: matcher('rlike', javaRegExp),
  sql: ([s, p]) => `RLIKE(${s}, ${p})`,
};
