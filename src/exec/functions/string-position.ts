import type * as A from 'apache-arrow';
import { int } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, intColumn, stringAt } from './utf8-columns.ts';

/** 1-based character position of `sub` in `str` from character `from` (0-based), or 0: Spark's UTF8String.indexOf + 1. */
function position(str: string, sub: string, from: number): number {
  // UTF-16 units and characters agree on ASCII text; only other text pays for counting code points.
  const ascii = !/[^\x00-\x7f]/.test(str);
  const start = ascii ? from : Array.from(str).slice(0, from).join('').length;
  if (start > str.length) return 0;
  const at = str.indexOf(sub, start);
  if (at < 0) return 0;
  return (ascii ? at : Array.from(str.slice(0, at)).length) + 1;
}

/** instr(str, substr): where substr first starts, 1-based; 0 when it does not occur. */
export const instr: ScalarFunction = {
  name: 'instr', arity: 2,
  bind: fixedTypes(['string', 'string'], int, (cols, n) =>
    intColumn(n, (i) => (allValid(cols, i) ? position(stringAt(cols[0]!, i), stringAt(cols[1]!, i), 0) : null))),
};

/**
 * locate(substr, str[, pos = 1]), SQL also position(): as instr from character pos. As Spark's
 * StringLocate (after Hive), a null pos gives 0, not null, and pos < 1 gives 0.
 */
export const locate: ScalarFunction = {
  name: 'locate', aliases: ['position'], arity: [2, 3],
  bind: fixedTypes(['string', 'string', 'int'], int, (cols, n) => {
    const [sub, str, pos] = cols as [A.Data, A.Data, A.Data | undefined];
    return intColumn(n, (i) => {
      if (pos && !isValid(pos, i)) return 0;
      if (!isValid(sub, i) || !isValid(str, i)) return null;
      const p = pos ? (pos.values as Int32Array)[i]! : 1;
      return p < 1 ? 0 : position(stringAt(str, i), stringAt(sub, i), p - 1);
    });
  }),
};
