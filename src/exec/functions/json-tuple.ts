import * as A from 'apache-arrow';
import { struct as structType, string, toArrowType } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs } from './type-rules.ts';
import { stringAt } from './utf8-columns.ts';

/**
 * json_tuple(json, f1, f2, …) as one struct {c0, c1, …} of strings: each top-level field's value,
 * a string unquoted and anything else as JSON text; null for a missing field, a JSON null, or a
 * row whose JSON is null, malformed or not an object. The document is parsed once for all the
 * fields. select(json_tuple(...)) spreads the struct into columns c0, c1, … (plan/plan-generate.ts),
 * one row out per row in, as Spark's generator gives.
 */
export const json_tuple: ScalarFunction = {
  name: 'json_tuple', arity: [2, Infinity],
  bind(args) {
    const inputTypes = castArgs(args, ['string']);
    if (typeof inputTypes === 'string') return inputTypes;
    const k = args.length - 1;
    const type = structType(Array.from({ length: k }, (_, j) => ({ name: `c${j}`, type: string, nullable: true })));
    const arrow = toArrowType(type) as A.Struct;
    return {
      inputTypes, returnType: type,
      kernel: ([json, ...names], n) => {
        const out = names.map(() => new BytesBuilder(n));
        for (let i = 0; i < n; i++) {
          let doc: unknown = null;
          if (isValid(json!, i)) { try { doc = JSON.parse(stringAt(json!, i)); } catch { doc = null; } }
          const obj = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
          names.forEach((d, j) => {
            const v = obj && isValid(d, i) ? obj[stringAt(d, i)] : undefined;
            if (v === undefined || v === null || !Object.hasOwn(obj!, stringAt(d, i))) out[j]!.appendNull();
            else out[j]!.appendString(typeof v === 'string' ? v : JSON.stringify(v));
          });
        }
        return A.makeData({ type: arrow, length: n, nullCount: 0, children: out.map((b) => b.finish('string')) });
      },
    };
  },
};
