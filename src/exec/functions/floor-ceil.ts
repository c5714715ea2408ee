import { type DecimalType, decimal, double, long, typeToString, isNumeric } from '../../data/types.ts';
import { divFloorCeil, pow10 } from '../../data/decimal.ts';
import type { BoundFunction, ScalarFunction } from './scalar-function.ts';
import { mapRows } from './map-rows.ts';

/**
 * floor(x) and ceil(x): a bigint, as Spark's (a decimal stays a decimal; an integral argument is returned as it is, widened
 * to bigint; a double beyond the bigint range saturates, as Spark's cast of a double does).
 */
/** floor/ceil of decimal(p, s): decimal(p - s + 1, 0), as Spark's Decimal.floor/ceil (one more digit: ceil(9.5) is 10). */
function decimalFloorCeil(t: DecimalType, ceil: boolean): BoundFunction {
  const out = t.scale === 0 ? t : decimal(Math.min(t.precision - t.scale + 1, 38), 0), p = pow10(t.scale);
  return {
    inputTypes: [t], returnType: out,
    kernel: (cols, n) => mapRows(cols, [t], out, n, ([x]) => divFloorCeil(x as bigint, p, ceil)),
  };
}

function rounding(name: string, f: (x: number) => number, aliases?: string[]): ScalarFunction {
  return {
    name, aliases, arity: 1, sql: (args) => `${name.toUpperCase()}(${args.join(', ')})`,
    bind([a]) {
      const t = a!.type;
      if (t.kind === 'decimal') return decimalFloorCeil(t, name === 'ceil');
      if (!isNumeric(t) && t.kind !== 'null' && t.kind !== 'string') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(t)} type`;
      const integral = t.kind === 'int' || t.kind === 'long';
      const input = integral ? long : double;
      return {
        inputTypes: [input], returnType: long,
        kernel: (cols, n) => mapRows(cols, [input], long, n, ([x]) => {
          if (typeof x === 'bigint') return x;
          const v = f(x as number);
          if (Number.isNaN(v)) return 0n;
          if (v >= 9.223372036854776e18) return 9223372036854775807n;
          if (v <= -9.223372036854776e18) return -9223372036854775808n;
          return BigInt(v);
        }),
      };
    },
  };
}

export const floor = rounding('floor', Math.floor);
export const ceil = rounding('ceil', Math.ceil, ['ceiling']);
