import { DataError } from '../../errors.ts';
import { string, int } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader } from '../../data/cells.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { allValid, stringAt } from './utf8-columns.ts';
import { compilePattern, javaRegExp, patternAt } from './regex-cache.ts';

/** Capture groups of a regex (Java's groupCount()). */
const groupCount = (re: RegExp): number => new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;

/**
 * regexp_extract(str, regex, idx = 1): group idx of the first match; '' when nothing matches or
 * the group took no part; null if any argument is null. An idx beyond the groups is an error, as in Spark.
 */
export const regexp_extract: ScalarFunction = {
  name: 'regexp_extract', arity: [2, 3],
  bind(args) {
    const inputTypes = castArgs(args, ['string', 'string', 'int']);
    if (typeof inputTypes === 'string') return inputTypes;
    const fixed = compilePattern(args[1]!, javaRegExp);
    if (typeof fixed === 'string') return `regexp_extract: ${fixed}`;
    const idxArg = args[2];
    if (fixed && idxArg?.constant && typeof idxArg.constant.value === 'number') {
      const idx = idxArg.constant.value, groups = groupCount(fixed);
      if (idx < 0) return `regexp_extract: the group index must not be negative, but it is ${idx}`;
      if (idx > groups) return `regexp_extract: the regex has ${groups} group${groups === 1 ? '' : 's'}, but the group index is ${idx}`;
    }
    return {
      inputTypes, returnType: string,
      kernel: (cols, n) => {
        const re = patternAt(fixed, cols[1]!, javaRegExp);
        const idx = cols[2] ? cellReader(cols[2], int) : () => 1;
        const groups = new Map<RegExp, number>();
        const bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) {
          if (!allValid(cols, i)) { bb.appendNull(); continue; }
          const r = re(i)!, g = idx(i) as number;
          let count = groups.get(r);
          if (count === undefined) { count = groupCount(r); groups.set(r, count); }
          if (g < 0 || g > count) throw new DataError(`regexp_extract: the regex '${r.source}' has ${count} groups, but the group index is ${g}.`);
          const m = r.exec(stringAt(cols[0]!, i));
          bb.appendString(m?.[g] ?? '');
        }
        return bb.finish('string');
      },
    };
  },
};
