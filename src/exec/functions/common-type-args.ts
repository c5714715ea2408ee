import { typeToString, type DataType } from '../../data/types.ts';
import type { Arg } from './scalar-function.ts';
import { commonType } from './type-rules.ts';

/**
 * The one type all `args` are cast to (coalesce, greatest, nullif...), or Spark's message naming
 * the argument that has none with the others. Structs are refused: the kernels that pick values
 * across columns handle atomic types only.
 */
export function commonArgType(fn: string, args: readonly Arg[]): DataType | string {
  let t: DataType = args[0]!.type;
  for (const a of args.slice(1)) {
    const next = commonType(t, a.type);
    if (!next) return `input to function ${fn} should all be the same type, but '${a.name}' is ${typeToString(a.type)} and the others are ${typeToString(t)}`;
    t = next;
  }
  if (t.kind === 'struct') return `struct arguments to ${fn} are not supported yet`;
  return t;
}
