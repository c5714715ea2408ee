import { cellReader, cellWriter } from '../../data/cells.ts';
import { type DecimalType, typeToString, int, isNumeric, double, decimal } from '../../data/types.ts';
import { fitsPrecision, rescale } from '../../data/decimal.ts';
import type { BoundFunction, ScalarFunction } from './scalar-function.ts';

/**
 * A double rounded HALF_UP at `scale` digits as Spark does it: through the decimal text of the
 * double (Scala's BigDecimal(d)), so round(1.005, 2) is 1.01 although 1.005 is 1.00499... in binary.
 */
export function roundHalfUp(x: number, scale: number): number { return roundDouble(x, scale, false); }

/** HALF_UP, or HALF_EVEN (bround: a tie goes to the even neighbour), of a double at `scale` digits. */
function roundDouble(x: number, scale: number, halfEven: boolean): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const [m, e] = Math.abs(x).toExponential().split('e');
  const shifted = Number(`${m}e${Number(e) + scale}`);
  // A tie is exact here: the shifted decimal text of a tie ends in .5, which a double holds exactly.
  const floor = Math.floor(shifted), frac = shifted - floor;
  const r = frac > 0.5 || (frac === 0.5 && (!halfEven || floor % 2 === 1)) ? floor + 1 : floor;
  return Math.sign(x) * Number(`${r}e${-scale}`);
}

function roundInteger(v: bigint, scale: number, halfEven: boolean): bigint {
  if (scale >= 0) return v;
  const p = 10n ** BigInt(-scale), a = v < 0n ? -v : v, q = a / p, twice = (a % p) * 2n;
  const r = (twice > p || (twice === p && (!halfEven || q % 2n === 1n)) ? q + 1n : q) * p;
  return v < 0n ? -r : r;
}

/** round(x, scale = 0): HALF_UP, in x's own type (a string reads as a double); the scale must be a constant. */
export const round: ScalarFunction = rounding('round', false);
/** bround(x, scale = 0): as round, but HALF_EVEN (banker's rounding): bround(2.5) is 2.0. */
export const bround: ScalarFunction = rounding('bround', true);

/**
 * round/bround of decimal(p, s) at `scale` digits, Spark's RoundBase: decimal(p - s + 1 + min(s, scale),
 * min(s, scale)) (one more integer digit: round(9.9) is 10), or decimal(max(p - s + 1, 1 - scale), 0)
 * for a negative scale; null when it does not fit in 38 digits (non-ANSI).
 */
function decimalRounding(t: DecimalType, scale: number, halfEven: boolean, scaleArg: boolean): BoundFunction {
  const intDigits = t.precision - t.scale + 1;
  const out = scale < 0 ? decimal(Math.min(Math.max(intDigits, 1 - scale), 38), 0) : decimal(Math.min(intDigits + Math.min(t.scale, scale), 38), Math.min(t.scale, scale));
  return {
    inputTypes: scaleArg ? [t, int] : [t], returnType: out,
    kernel: ([d], n) => {
      const read = cellReader(d!, t), w = cellWriter(out, n);
      for (let i = 0; i < n; i++) {
        const v = read(i) as bigint | null;
        if (v === null) { w.push(null); continue; }
        // At a negative scale the digits left of the point are rounded away, then put back as zeros.
        const r = scale < 0 ? rescale(rescale(v, t.scale, scale, halfEven), scale, 0) : rescale(v, t.scale, out.scale, halfEven);
        w.push(fitsPrecision(r, out.precision) ? r : null);
      }
      return w.finish();
    },
  };
}

function rounding(name: string, halfEven: boolean): ScalarFunction {
  return {
    name, arity: [1, 2],
    bind(args) {
      const a = args[0]!, k = a.type.kind;
      if (!isNumeric(a.type) && k !== 'null' && k !== 'string' && k !== 'decimal') return `argument 1 requires numeric type, however, '${a.name}' is of ${typeToString(a.type)} type`;
      const s = args[1];
      if (s && (!s.constant || !(typeof s.constant.value === 'number' && Number.isInteger(s.constant.value)))) return `the scale '${s.name}' must be an integer constant`;
      const scale = s ? (s.constant!.value as number) : 0;
      if (a.type.kind === 'decimal') return decimalRounding(a.type, scale, halfEven, !!s);
      const type = k === 'null' ? int : k === 'string' ? double : a.type;
      return {
        inputTypes: s ? [type, int] : [type], returnType: type,
        kernel: ([d], n) => {
          const read = cellReader(d!, type), w = cellWriter(type, n);
          for (let i = 0; i < n; i++) {
            const v = read(i);
            if (v === null) w.push(null);
            else if (type.kind === 'double') w.push(roundDouble(v as number, scale, halfEven));
            else if (type.kind === 'long') w.push(BigInt.asIntN(64, roundInteger(v as bigint, scale, halfEven)));
            else w.push(Number(BigInt.asIntN(32, roundInteger(BigInt(v as number), scale, halfEven))));
          }
          return w.finish();
        },
      };
    },
    // Spark names round(x) with its default scale: round(x, 0).
    sql: (args) => `${name}(${args[0]}, ${args[1] ?? 0})`,
  };
}
