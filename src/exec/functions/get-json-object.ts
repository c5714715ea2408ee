import { string } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { stringAt } from './utf8-columns.ts';

type Step = { key: string } | { index: number } | { wildcard: true };

/** Spark's JSON path subset: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`; null when the path is not one. */
function parsePath(p: string): Step[] | null {
  if (!p.startsWith('$')) return null;
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\['([^']*)'\]|\[(\d+)\]|\[\*\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < p.length) {
    const m = re.exec(p);
    if (!m) return null;
    if (m[1] === '*') steps.push({ wildcard: true });
    else if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ key: m[2] });
    else if (m[3] !== undefined) steps.push({ index: Number(m[3]) });
    else steps.push({ wildcard: true });
  }
  return steps;
}

function walk(v: unknown, steps: readonly Step[], k: number): unknown {
  if (k === steps.length) return v;
  const s = steps[k]!;
  if ('key' in s) return v !== null && typeof v === 'object' && !Array.isArray(v) && s.key in v ? walk((v as Record<string, unknown>)[s.key], steps, k + 1) : undefined;
  if ('index' in s) return Array.isArray(v) && s.index < v.length ? walk(v[s.index], steps, k + 1) : undefined;
  const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : null;
  if (!items) return undefined;
  const found = items.map((x) => walk(x, steps, k + 1)).filter((x) => x !== undefined);
  return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
}

/**
 * get_json_object(json, path): the value at a JSON path, as a string: a string value unquoted,
 * anything else as JSON text; null when the JSON is malformed, the path is invalid or finds nothing.
 */
export const get_json_object: ScalarFunction = {
  name: 'get_json_object', arity: 2,
  bind(args) {
    const inputTypes = castArgs(args, ['string', 'string']);
    if (typeof inputTypes === 'string') return inputTypes;
    const fixed = args[1]!.constant && typeof args[1]!.constant.value === 'string' ? parsePath(args[1]!.constant.value) : undefined;
    return {
      inputTypes, returnType: string,
      kernel: ([json, path], n) => {
        const bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) {
          const steps = fixed !== undefined ? fixed : isValid(path!, i) ? parsePath(stringAt(path!, i)) : null;
          if (!isValid(json!, i) || !steps) { bb.appendNull(); continue; }
          let doc: unknown;
          try { doc = JSON.parse(stringAt(json!, i)); } catch { bb.appendNull(); continue; }
          const v = walk(doc, steps, 0);
          if (v === undefined || v === null) bb.appendNull();
          else bb.appendString(typeof v === 'string' ? v : JSON.stringify(v));
        }
        return bb.finish('string');
      },
    };
  },
};
