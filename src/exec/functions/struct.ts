import * as A from 'apache-arrow';
import { struct as structType, toArrowType } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';

/** A name Spark would keep for a struct field: the argument is a column or an alias, not an expression. */
const isName = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

/**
 * struct(a, b, …): one struct column from the arguments, no row ever null. A column (or an aliased
 * expression) gives its name to its field, another expression is `colN`, as Spark's CreateStruct.
 * The fields are the argument columns themselves: no copy.
 */
export const struct: ScalarFunction = {
  name: 'struct', arity: [1, Infinity],
  bind(args) {
    const names = args.map((a, k) => (isName(a.name) ? a.name : `col${k + 1}`));
    const type = structType(args.map((a, k) => ({ name: names[k]!, type: a.type, nullable: true })));
    const arrow = toArrowType(type) as A.Struct;
    return {
      inputTypes: args.map((a) => a.type), returnType: type,
      kernel: (cols, n) => A.makeData({ type: arrow, length: n, nullCount: 0, children: [...cols] }),
    };
  },
  sql: (args) => `struct(${args.join(', ')})`,
};
