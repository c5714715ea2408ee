import { type DataType, decimal, double } from '../../data/types.ts';
import { MAX_PRECISION, javaDecimalString, parseDecimal } from '../../data/decimal.ts';
import type { Expr } from '../expr.ts';

/**
 * A number literal typed as Spark 3.5's AstBuilder types it (non-ANSI, and
 * spark.sql.legacy.exponentLiteralAsDecimal.enabled=false, its default):
 * - `1`, `-2147483648`: int; past int range bigint; past bigint range decimal(digits,0); `10L` bigint, `3S`/`3Y` small ints;
 * - `1.23`, `.5`, `123.`: decimal of its digits (visitDecimalLiteral: decimal(3,2), decimal(1,1), decimal(3,0));
 * - `1e3`, `1.5E2`, `1.5D`, `1F`: double (we have no float);
 * - `1.23BD`, `1e2BD`: decimal of the digits as written.
 * `text` carries the minus sign when one was written before it, because Spark's grammar makes it part
 * of the literal (`-2147483648` is an int, `-0.8` is named `-0.8`).
 * Returns the reason it is not a valid literal instead of throwing, so the parser can point at it.
 */
export function numberLiteral(text: string): Expr | string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?(bd|[lsydf])?$/i.exec(text);
  if (!m) return `Invalid number '${text}'`;
  const [, sign, int = '', frac, exp, rawSuffix] = m;
  const suffix = (rawSuffix ?? '').toUpperCase();
  const pointed = frac !== undefined, body = text.slice(0, text.length - suffix.length);
  if (suffix === 'BD') return decimalLiteral(body, Math.max((frac ?? '').length - Number(exp ?? 0), 0));
  if (suffix === 'D' || suffix === 'F' || (exp !== undefined && suffix === '')) return doubleLiteral(Number(body));
  if (pointed && suffix === '') return decimalLiteral(body, frac!.length);
  if (suffix === 'L') {
    if (pointed || exp !== undefined) return `Invalid bigint literal '${text}': an L literal is whole digits, like 10L`;
    const v = BigInt(body);
    return v >= -(2n ** 63n) && v < 2n ** 63n ? { op: 'lit', value: v } : `Bigint literal ${text} is out of range [-9223372036854775808, 9223372036854775807]`;
  }
  // Whole digits, no suffix (or S/Y, kept as int as before): int, then bigint, then decimal(digits,0).
  const v = BigInt(sign + (int || '0'));
  if (v >= -(2n ** 31n) && v < 2n ** 31n) return { op: 'lit', value: Number(v) };
  if (v >= -(2n ** 63n) && v < 2n ** 63n) return { op: 'lit', value: v };
  return decimalLiteral(body, 0);
}

/** A decimal literal at `scale`, its precision the digits of its unscaled value (at least the scale), as Spark's Decimal(BigDecimal). */
function decimalLiteral(body: string, scale: number): Expr | string {
  const value = parseDecimal(body, scale);
  if (value === null) return `Invalid decimal literal '${body}'`;
  const digits = (value < 0n ? -value : value).toString().length, precision = Math.max(digits, scale, 1);
  if (precision > MAX_PRECISION) return `The literal ${body} needs ${precision} digits, more than a decimal holds (${MAX_PRECISION}); write it with an exponent (${body.replace(/\.$/, '')}D) for a double`;
  const type: DataType = decimal(precision, scale);
  // The text is the name, Spark's BigDecimal.toString: .5 is 0.5, 123.0E-28BD is 1.230E-26.
  return { op: 'lit', value: javaDecimalString(value, scale), type };
}

function doubleLiteral(v: number): Expr | string {
  return Number.isFinite(v) ? { op: 'lit', value: v, type: double } : `The double literal is out of range (at most 1.7976931348623157E308)`;
}
