import type * as A from 'apache-arrow';
import { isValid } from '../../data/batch.ts';
import type { Arg } from './scalar-function.ts';
import { stringAt } from './utf8-columns.ts';

/**
 * Patterns for like, rlike and regexp_extract. A constant pattern (the usual case) is compiled
 * once at analysis, so a bad one is an error at start(); a pattern column is compiled per distinct
 * value, cached for the batch.
 */
export type PatternAt = (i: number) => RegExp | null;

export function compilePattern(arg: Arg, compile: (p: string) => RegExp): RegExp | null | string {
  if (!arg.constant) return null;
  const v = arg.constant.value;
  if (v === null) return null;
  try { return compile(String(v)); } catch (e) { return `the pattern '${String(v)}' is invalid: ${(e as Error).message}`; }
}

export function patternAt(fixed: RegExp | null, d: A.Data, compile: (p: string) => RegExp): PatternAt {
  if (fixed) return () => fixed;
  const cache = new Map<string, RegExp>();
  return (i) => {
    if (!isValid(d, i)) return null;
    const p = stringAt(d, i);
    let re = cache.get(p);
    if (!re) { re = compile(p); cache.set(p, re); }
    return re;
  };
}

/** Spark's LIKE: `_` one character, `%` any run, `\` escapes the next one; the whole string must match. */
export function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!;
    if (c === '\\') {
      const next = pattern[k + 1];
      if (next === undefined) throw new Error('it ends with the escape character');
      if (next !== '_' && next !== '%' && next !== '\\') throw new Error(`the escape character is not allowed to precede '${next}'`);
      re += escapeRegExp(next); k++;
    } else if (c === '_') re += '.';
    else if (c === '%') re += '.*';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 'su');
}

/** Java regular expressions as JS reads them: the common syntax is shared; `u` counts code points. */
export function javaRegExp(pattern: string): RegExp {
  return new RegExp(pattern, 'u');
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
