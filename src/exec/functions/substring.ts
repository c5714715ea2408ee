import { string } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader } from '../../data/cells.ts';
import { int } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, bytesOf, stringAt } from './utf8-columns.ts';

const INT_MAX = 2147483647;

/**
 * Characters [start, end) of a string of `chars` characters for substring(s, pos, len), by Spark's
 * UTF8String.substringSQL: pos is 1-based, 0 acts as 1, negative counts from the end.
 */
export function substringRange(chars: number, pos: number, len: number): [number, number] {
  const start = pos > 0 ? pos - 1 : pos < 0 ? chars + pos : 0;
  const end = Math.min(start + len, chars);
  return [Math.max(start, 0), end];
}

/** substring(s, pos[, len]) (also substr): by characters, null if any argument is null. */
export const substring: ScalarFunction = {
  name: 'substring', aliases: ['substr'], arity: [2, 3],
  bind: fixedTypes(['string', 'int', 'int'], string, (cols, n) => {
    const [s, p, l] = cols;
    const pos = cellReader(p!, int), len = l ? cellReader(l, int) : () => INT_MAX;
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      if (!allValid(cols, i)) { bb.appendNull(); continue; }
      const [v, a, b] = bytesOf(s!, i);
      let ascii = true;
      for (let k = a; k < b; k++) if (v[k]! >= 0x80) { ascii = false; break; }
      if (ascii) {
        const [from, to] = substringRange(b - a, pos(i) as number, len(i) as number);
        if (from >= to) bb.appendBytes(v, a, a); else bb.appendBytes(v, a + from, a + to);
        continue;
      }
      const chars = Array.from(stringAt(s!, i)); // code points, as Spark counts them
      const [from, to] = substringRange(chars.length, pos(i) as number, len(i) as number);
      bb.appendString(from >= to ? '' : chars.slice(from, to).join(''));
    }
    return bb.finish('string');
  }),
};
