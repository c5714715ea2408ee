import { array, string } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder, listColumn, ValidityBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { stringAt } from './utf8-columns.ts';
import { compilePattern, patternAt } from './regex-cache.ts';

const splitType = array(string, false);
const globalRegExp = (p: string): RegExp => new RegExp(p, 'gu');

/**
 * Java's Pattern.split(input, limit) as Spark's UTF8String.split calls it: limit > 0 gives at
 * most `limit` pieces (the last holds the rest); limit <= 0 splits at every match and keeps
 * trailing empty strings. A zero-width match at the start makes no empty first piece, and an
 * empty pattern splits into characters (Spark's own special case).
 */
export function javaSplit(s: string, re: RegExp, limit: number): string[] {
  if (s.length === 0) return [''];
  if (re.source === '(?:)') {
    const chars = Array.from(s);
    return limit > 0 && limit < chars.length ? [...chars.slice(0, limit - 1), chars.slice(limit - 1).join('')] : chars;
  }
  const out: string[] = [];
  let index = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const start = m.index, end = start + m[0].length;
    if (end === start) re.lastIndex = start + (s.codePointAt(start)! > 0xffff ? 2 : 1);
    if (limit > 0 && out.length >= limit - 1) break;
    if (index === 0 && start === 0 && end === 0) continue;
    out.push(s.slice(index, start));
    index = end;
  }
  if (index === 0 && out.length === 0) return [s];
  out.push(s.slice(index));
  return out;
}

/**
 * The literal a pattern stands for when it has no regex operators (',', ' ', '\\|'), else null:
 * such a split is a byte search on the UTF-8 bytes, no string decoded, the pieces copied as bytes.
 */
export function literalPattern(p: string): Uint8Array | null {
  if (!/^(?:[^\\^$.|?*+()[\]{}]|\\[^A-Za-z0-9])+$/.test(p)) return null;
  return new TextEncoder().encode(p.replace(/\\(.)/g, '$1'));
}

/** Java's split by a literal separator over bytes [s, e) of `v`: the pieces' byte ranges go to `out`. */
function splitBytes(v: Uint8Array, s: number, e: number, sep: Uint8Array, limit: number, out: BytesBuilder): void {
  const n = sep.length, first = sep[0]!;
  let start = s, pieces = 1;
  for (let k = s; k + n <= e && (limit <= 0 || pieces < limit); k++) {
    if (v[k] !== first) continue;
    let j = 1;
    while (j < n && v[k + j] === sep[j]) j++;
    if (j < n) continue;
    out.appendBytes(v, start, k);
    pieces++;
    start = k + n;
    k += n - 1;
  }
  out.appendBytes(v, start, e);
}

/**
 * split(str, regex[, limit]): array<string> of the pieces between matches of a Java regular
 * expression; null if str or regex is null. The pieces go straight into one child column.
 */
export const split: ScalarFunction = {
  name: 'split', arity: [2, 3],
  bind(args) {
    const inputTypes = castArgs(args, ['string', 'string', 'int']);
    if (typeof inputTypes === 'string') return inputTypes;
    const fixed = compilePattern(args[1]!, globalRegExp);
    if (typeof fixed === 'string') return `split: ${fixed}`;
    const literal = fixed ? literalPattern(String(args[1]!.constant!.value)) : null;
    return {
      inputTypes, returnType: splitType,
      kernel: (cols, n) => {
        const [s, p, lim] = cols;
        const re = patternAt(fixed, p!, globalRegExp);
        const sv = s!.values as Uint8Array, so = s!.valueOffsets as Int32Array;
        const limits = lim ? (lim.values as Int32Array) : null;
        const offsets = new Int32Array(n + 1), vb = new ValidityBuilder(n), pieces = new BytesBuilder(n * 2);
        for (let i = 0; i < n; i++) {
          const ok = isValid(s!, i) && isValid(p!, i) && (!lim || isValid(lim, i));
          vb.set(i, ok);
          if (ok && literal) splitBytes(sv, so[i]!, so[i + 1]!, literal, limits ? limits[i]! : -1, pieces);
          else if (ok) for (const piece of javaSplit(stringAt(s!, i), re(i)!, limits ? limits[i]! : -1)) pieces.appendString(piece);
          offsets[i + 1] = pieces.length;
        }
        return listColumn(splitType, offsets, pieces.finish('string'), n, vb.finish(n), vb.nullCount);
      },
    };
  },
};
