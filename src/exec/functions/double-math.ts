import { double } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { mapRows } from './map-rows.ts';

/**
 * Spark's math functions on doubles (its UnaryMathExpression and friends): the argument is cast
 * to double, the answer is a double, null in gives null out. The logarithms give null, not NaN or
 * -Infinity, where the argument is out of their domain, as Spark's Logarithm does; the others
 * keep NaN (sqrt(-1) is NaN in Spark too).
 */
/** Spark names these columns in capitals (its UnaryMathExpression's name): SQRT(x), POWER(x, 2). */
const capitals = (name: string) => (args: readonly string[]): string => `${name.toUpperCase()}(${args.join(', ')})`;

function unary(name: string, f: (x: number) => number | null, aliases?: string[], sqlName: string | null = name): ScalarFunction {
  return {
    name, aliases, arity: 1, sql: sqlName ? capitals(sqlName) : undefined,
    bind: fixedTypes(['double'], double, (cols, n) => mapRows(cols, [double], double, n, ([x]) => f(x as number))),
  };
}
function binary(name: string, f: (x: number, y: number) => number | null, aliases?: string[], sqlName = name): ScalarFunction {
  return {
    name, aliases, arity: 2, sql: capitals(sqlName),
    bind: fixedTypes(['double', 'double'], double, (cols, n) => mapRows(cols, [double, double], double, n, ([x, y]) => f(x as number, y as number))),
  };
}
function constant(name: string, v: number): ScalarFunction {
  return { name, arity: 0, sql: capitals(name), bind: () => ({ inputTypes: [], returnType: double, kernel: (_c, n) => mapRows([], [], double, n, () => v) }) };
}

const positive = (f: (x: number) => number) => (x: number): number | null => (x <= 0 ? null : f(x));

export const sqrt = unary('sqrt', Math.sqrt);
export const cbrt = unary('cbrt', Math.cbrt);
export const exp = unary('exp', Math.exp);
export const expm1 = unary('expm1', Math.expm1);
export const ln = unary('ln', positive(Math.log), undefined, null);
export const log10 = unary('log10', positive(Math.log10));
export const log2 = unary('log2', positive(Math.log2));
export const log1p = unary('log1p', (x) => (x <= -1 ? null : Math.log1p(x)));
/** log(x) is ln(x); log(base, x) is the logarithm of x in `base` (null unless both are positive). */
export const log: ScalarFunction = {
  name: 'log', arity: [1, 2],
  // Spark: log(x) is its Log, named ln(x); log(b, x) is Logarithm, LOG(b, x).
  sql: (args) => (args.length === 1 ? `ln(${args[0]})` : `LOG(${args.join(', ')})`),
  bind(args) {
    if (args.length === 1) return ln.bind(args);
    return fixedTypes(['double', 'double'], double, (cols, n) => mapRows(cols, [double, double], double, n, ([b, x]) =>
      ((b as number) <= 0 || (x as number) <= 0 ? null : Math.log(x as number) / Math.log(b as number))))(args);
  },
};
export const pow = binary('pow', Math.pow, ['power'], 'power');
export const atan2 = binary('atan2', Math.atan2);
export const hypot = binary('hypot', Math.hypot);
export const signum = unary('signum', Math.sign, ['sign']);
export const sin = unary('sin', Math.sin);
export const cos = unary('cos', Math.cos);
export const tan = unary('tan', Math.tan);
export const asin = unary('asin', Math.asin);
export const acos = unary('acos', Math.acos);
export const atan = unary('atan', Math.atan);
export const sinh = unary('sinh', Math.sinh);
export const cosh = unary('cosh', Math.cosh);
export const tanh = unary('tanh', Math.tanh);
export const degrees = unary('degrees', (x) => (x * 180) / Math.PI);
export const radians = unary('radians', (x) => (x * Math.PI) / 180);
export const pi = constant('pi', Math.PI);
export const e = constant('e', Math.E);
