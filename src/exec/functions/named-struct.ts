import * as A from 'apache-arrow';
import { struct as structType, toArrowType } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';

/**
 * named_struct(name1, value1, …): a struct whose field names are the string literals at the odd
 * places, as Spark's CreateNamedStruct; no row is ever null, and the fields are the value columns
 * themselves (no copy).
 */
export const named_struct: ScalarFunction = {
  name: 'named_struct', arity: [2, Infinity],
  bind(args) {
    if (args.length % 2 !== 0) return `named_struct takes name, value pairs, but got ${args.length} arguments`;
    const fields = [];
    for (let k = 0; k < args.length; k += 2) {
      const name = args[k]!.constant?.value;
      if (typeof name !== 'string') return `argument ${k + 1} '${args[k]!.name}' must be a string literal: the name of field ${k / 2 + 1}`;
      fields.push({ name, type: args[k + 1]!.type, nullable: true });
    }
    const type = structType(fields), arrow = toArrowType(type) as A.Struct;
    return {
      inputTypes: args.map((a) => a.type), returnType: type,
      kernel: (cols, n) => A.makeData({ type: arrow, length: n, nullCount: 0, children: cols.filter((_, k) => k % 2 === 1) }),
    };
  },
};
