import { boolean, typeToString, type DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { commonType } from './type-rules.ts';
import { pickRows } from './pick-rows.ts';

/**
 * CASE WHEN c1 THEN v1 [WHEN c2 THEN v2 ...] [ELSE e] END, as casewhen(c1, v1, c2, v2, ..., e):
 * an odd count has an ELSE. Built by SQL CASE and by when().otherwise(); Spark's CaseWhen. A null
 * condition counts as false; no branch taken and no ELSE gives null. The values meet in their
 * common type (CASE WHEN x THEN 1 ELSE 2.5 END is a double).
 */
export const casewhen: ScalarFunction = {
  name: 'casewhen', columnApi: 'when', arity: [2, Infinity],
  bind(args) {
    const pairs = args.length >> 1, hasElse = args.length % 2 === 1;
    let t: DataType | null = args[1]!.type;
    for (let k = 0; k < args.length; k++) {
      const a = args[k]!;
      const isCondition = k % 2 === 0 && k < pairs * 2;
      if (isCondition) {
        if (a.type.kind !== 'boolean' && a.type.kind !== 'null') return `WHEN expressions must be boolean, however, '${a.name}' is of ${typeToString(a.type)} type`;
        continue;
      }
      const next: DataType | null = commonType(t!, a.type);
      if (!next) return `THEN and ELSE expressions should all be the same type or coercible to a common type, however, '${a.name}' is ${typeToString(a.type)} and the others are ${typeToString(t!)}`;
      t = next;
    }
    if (t!.kind === 'struct') return 'struct values in CASE WHEN are not supported yet';
    const type = t!;
    return {
      inputTypes: args.map((_, k) => (k % 2 === 0 && k < pairs * 2 ? boolean : type)),
      returnType: type,
      kernel: (cols, n) => {
        const choice = new Int32Array(n).fill(hasElse ? args.length - 1 : -1);
        for (let p = pairs - 1; p >= 0; p--) {
          // Last branch first, so the first true condition is the one left standing.
          const c = cols[2 * p]!, bits = c.values as Uint8Array;
          if (c.nullCount === n) continue;
          for (let i = 0; i < n; i++) if ((bits[i >> 3]! >> (i & 7)) & 1 && isValid(c, i)) choice[i] = 2 * p + 1;
        }
        return pickRows(type, cols, choice, n);
      },
    };
  },
  sql(args) {
    let s = 'CASE';
    for (let k = 0; k + 1 < args.length; k += 2) s += ` WHEN ${args[k]} THEN ${args[k + 1]}`;
    if (args.length % 2) s += ` ELSE ${args[args.length - 1]}`;
    return s + ' END';
  },
};
