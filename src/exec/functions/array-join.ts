import { array, string, typeToString } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { bytesOf } from './utf8-columns.ts';

/**
 * array_join(arr, delimiter[, nullReplacement]): the elements joined by delimiter, null elements
 * skipped or replaced. Elements are cast to string first, as Spark casts array<int> implicitly.
 * Null when the array or delimiter is null (or nullReplacement is given as null). Bytes are copied,
 * never decoded.
 */
export const array_join: ScalarFunction = {
  name: 'array_join', arity: [2, 3],
  bind(args) {
    const a = args[0]!;
    if (a.type.kind !== 'array' || !implicitCast(a.type.elementType, 'string') || a.type.elementType.kind === 'binary') {
      return `argument 1 requires array<string> type, however, '${a.name}' is of ${typeToString(a.type)} type`;
    }
    for (const k of [1, 2]) {
      const x = args[k];
      if (x && !implicitCast(x.type, 'string')) return `argument ${k + 1} requires string type, however, '${x.name}' is of ${typeToString(x.type)} type`;
    }
    return {
      inputTypes: [array(string), ...args.slice(1).map(() => string)], returnType: string,
      kernel: ([d, sep, rep], n) => {
        const o = d!.valueOffsets as Int32Array, el = d!.children[0]!, bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) {
          if (!isValid(d!, i) || !isValid(sep!, i) || (rep && !isValid(rep, i))) { bb.appendNull(); continue; }
          let first = true;
          for (let k = o[i]!; k < o[i + 1]!; k++) {
            const valid = isValid(el, k);
            if (!valid && !rep) continue;
            if (!first) bb.appendPart(...bytesOf(sep!, i));
            bb.appendPart(...(valid ? bytesOf(el, k) : bytesOf(rep!, i)));
            first = false;
          }
          bb.endValue();
        }
        return bb.finish('string');
      },
    };
  },
};
