import { type AtomicKind, type DataType, array, map, isNumeric, typeByName, typeToString, double, sameType } from '../../data/types.ts';
import type { Arg, BoundFunction, Kernel, ScalarFunction } from './scalar-function.ts';
import { asDecimalOperand, widerDecimal } from '../kernels/decimal-arith.ts';

/**
 * What a function accepts in one argument position, as Spark's `inputTypes` says it: a type,
 * any numeric type, or anything. An argument of another type is cast to it when Spark would cast
 * it implicitly (see implicitCast), and is an analysis error otherwise.
 */
export type InputType = AtomicKind | 'numeric' | 'any';

/**
 * The type `from` becomes in a position that wants `want`, or null when Spark would not cast it
 * implicitly (its TypeCoercion.implicitCast, non-ANSI): null fits anything; numbers convert among
 * themselves; strings read as numbers, dates, timestamps and binary; every atomic value prints as
 * a string; dates and timestamps convert into each other. Booleans and structs convert to nothing
 * but a string (booleans) or themselves.
 */
export function implicitCast(from: DataType, want: InputType): DataType | null {
  if (want === 'any') return from;
  if (want === 'numeric') {
    if (isNumeric(from)) return from;
    // A decimal where a function computes in doubles (sqrt, log...), as Spark's ImplicitTypeCasts.
    if (from.kind === 'decimal') return double;
    return from.kind === 'null' || from.kind === 'string' ? double : null;
  }
  if (from.kind === want) return from;
  const to = typeByName(want);
  if (from.kind === 'null') return to;
  if (from.kind === 'struct' || from.kind === 'array' || from.kind === 'map') return null;
  if ((isNumeric(from) || from.kind === 'decimal') && isNumeric(to)) return to;
  if (from.kind === 'string') return isNumeric(to) || want === 'date' || want === 'timestamp' || want === 'binary' ? to : null;
  if (want === 'string') return to;
  if ((from.kind === 'date' && want === 'timestamp') || (from.kind === 'timestamp' && want === 'date')) return to;
  return null;
}

const rank: Record<string, number> = { int: 1, long: 2, double: 3 };

/**
 * The common type two values are cast to when they meet (a comparison, arithmetic, and functions
 * such as coalesce or greatest that take several of one type), or null when there is none.
 */
export function commonType(a: DataType, b: DataType): DataType | null {
  if (sameType(a, b)) return a;
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return rank[a.kind]! >= rank[b.kind]! ? a : b;
  // Decimals meet integers as decimal(10,0)/decimal(20,0) and widen (Spark's findWiderTypeForDecimal); a double wins.
  if (a.kind === 'decimal' || b.kind === 'decimal') {
    if (a.kind === 'double' || b.kind === 'double') return double;
    const da = asDecimalOperand(a), db = asDecimalOperand(b);
    if (da && db) return widerDecimal(da, db);
  }
  // Arrays meet element-wise (array<int> and array<long> are array<long>), as Spark's findWiderTypeForTwo.
  if (a.kind === 'array' || b.kind === 'array') {
    if (a.kind !== 'array' || b.kind !== 'array') return null;
    const el = commonType(a.elementType, b.elementType);
    return el ? array(el) : null;
  }
  // Maps meet key-wise and value-wise, as arrays do element-wise.
  if (a.kind === 'map' || b.kind === 'map') {
    if (a.kind !== 'map' || b.kind !== 'map') return null;
    const k = commonType(a.keyType, b.keyType), v = commonType(a.valueType, b.valueType);
    return k && v ? map(k, v) : null;
  }
  // A string against a typed value is read as that type (Spark: ts > '2024-01-01').
  if (a.kind === 'string' && b.kind !== 'struct' && b.kind !== 'binary') return b;
  if (b.kind === 'string' && a.kind !== 'struct' && a.kind !== 'binary') return a;
  return null;
}

/**
 * The types `args` are cast to for `inputs` (the last input type repeats, for variadic functions),
 * or Spark's message for the first argument that does not fit.
 */
export function castArgs(args: readonly Arg[], inputs: readonly InputType[]): DataType[] | string {
  const out: DataType[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!, want = inputs[Math.min(k, inputs.length - 1)]!;
    const t = implicitCast(a.type, want);
    if (!t) return `argument ${k + 1} requires ${want} type, however, '${a.name}' is of ${typeToString(a.type)} type`;
    out.push(t);
  }
  return out;
}

/**
 * The type rule of most functions: fixed input types (cast implicitly, as in Spark), one result
 * type, one kernel. A function whose result type depends on its arguments writes its own bind().
 */
export function fixedTypes(inputs: readonly InputType[], returnType: DataType, kernel: Kernel): ScalarFunction['bind'] {
  return (args): BoundFunction | string => {
    const inputTypes = castArgs(args, inputs);
    return typeof inputTypes === 'string' ? inputTypes : { inputTypes, returnType, kernel };
  };
}
