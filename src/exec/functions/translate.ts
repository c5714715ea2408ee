import { string } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, stringAt, stringColumn } from './utf8-columns.ts';

/**
 * Spark's StringTranslate dictionary: each character of `matching` maps to the one at its place in
 * `replace`, or to nothing past its end; a character given twice keeps its first mapping.
 */
function dictionary(matching: string, replace: string): Map<string, string> {
  const from = Array.from(matching), to = Array.from(replace), dict = new Map<string, string>();
  from.forEach((ch, k) => { if (!dict.has(ch)) dict.set(ch, to[k] ?? ''); });
  return dict;
}

/** translate(src, matching, replace): character by character; the dictionary is built once per distinct pair. */
export const translate: ScalarFunction = {
  name: 'translate', arity: 3,
  bind: fixedTypes(['string', 'string', 'string'], string, (cols, n) => {
    let key: string | null = null, dict = new Map<string, string>();
    return stringColumn(n, (i) => {
      if (!allValid(cols, i)) return null;
      const m = stringAt(cols[1]!, i), r = stringAt(cols[2]!, i);
      if (key !== `${m}\u0000${r}`) { key = `${m}\u0000${r}`; dict = dictionary(m, r); }
      let out = '';
      for (const ch of stringAt(cols[0]!, i)) out += dict.get(ch) ?? ch;
      return out;
    });
  }),
};
