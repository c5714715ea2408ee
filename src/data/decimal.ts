import type * as A from 'apache-arrow';

/**
 * Spark's exact decimal(p, s) over Arrow's Decimal128: a value is its unscaled integer (a bigint,
 * the Cell of a decimal column) with the scale in the type; 1.20 in decimal(10,2) is 120n. The
 * two's-complement 128 bits are two 64-bit words per row, little-endian, which a BigInt64Array view
 * reads as two bigints: no library, since a decimal library would still have to pack and unpack
 * these words, and bigint keeps every digit up to Spark's 38.
 */

/** Spark's DecimalType.MAX_PRECISION and MAX_SCALE. */
export const MAX_PRECISION = 38;
/** Spark's DecimalType.MINIMUM_ADJUSTED_SCALE: what a result keeps of its scale when precision runs out. */
const MINIMUM_ADJUSTED_SCALE = 6;

const POW10: bigint[] = [1n];
for (let k = 1; k <= 2 * MAX_PRECISION + 2; k++) POW10.push(POW10[k - 1]! * 10n);
export const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

/** Whether the unscaled `v` has at most `precision` digits. */
export const fitsPrecision = (v: bigint, precision: number): boolean => (v < 0n ? -v : v) < pow10(precision);

/** A precision and scale, before they are a type (the rules below compute them). */
export interface PrecisionScale { readonly precision: number; readonly scale: number }

/** Spark's DecimalType.bounded: both capped at 38. */
export function bounded(precision: number, scale: number): PrecisionScale {
  return { precision: Math.min(precision, MAX_PRECISION), scale: Math.min(scale, MAX_PRECISION) };
}

/**
 * Spark's DecimalType.adjustPrecisionScale (spark.sql.decimalOperations.allowPrecisionLoss=true, the
 * default): a result wider than 38 digits keeps its integer digits and gives up scale, down to 6.
 */
export function adjustPrecisionScale(precision: number, scale: number): PrecisionScale {
  if (precision <= MAX_PRECISION) return { precision, scale };
  const intDigits = precision - scale;
  const minScale = Math.min(scale, MINIMUM_ADJUSTED_SCALE);
  return { precision: MAX_PRECISION, scale: Math.max(MAX_PRECISION - intDigits, minScale) };
}

/** `v` at scale `from` brought to scale `to`: exact upwards, rounded HALF_UP (or HALF_EVEN) downwards. */
export function rescale(v: bigint, from: number, to: number, halfEven = false): bigint {
  if (to >= from) return to === from ? v : v * pow10(to - from);
  return divRound(v, pow10(from - to), halfEven);
}

/** a / b rounded HALF_UP (HALF_EVEN when asked) to an integer, as Java's BigDecimal.divide with that mode. */
export function divRound(a: bigint, b: bigint, halfEven = false): bigint {
  const q = a / b, r = a % b;
  if (r === 0n) return q;
  const ar = r < 0n ? -r : r, ab = b < 0n ? -b : b, twice = ar * 2n;
  const up = twice > ab || (twice === ab && (!halfEven || (q & 1n) !== 0n));
  if (!up) return q;
  return (a < 0n) !== (b < 0n) ? q - 1n : q + 1n;
}

/** floor or ceiling of a / b (b > 0). */
export function divFloorCeil(a: bigint, b: bigint, ceil: boolean): bigint {
  const q = a / b, r = a % b;
  if (r === 0n) return q;
  return ceil ? (a > 0n ? q + 1n : q) : (a < 0n ? q - 1n : q);
}

/**
 * Java's BigDecimal text (what Spark's cast from string accepts): sign, digits with an optional
 * point, an optional exponent. Surrounding whitespace is trimmed as Spark does; nothing else.
 */
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The unscaled value of `text` at `scale`, rounded HALF_UP, or null when it is not a number. */
export function parseDecimal(text: string, scale: number): bigint | null {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) return null;
  const [, sign, int = '', frac = '', exp = '0'] = m;
  if (int === '' && frac === '') return null;
  const e = Number(exp);
  if (!Number.isSafeInteger(e) || Math.abs(e) > 10000) return null;
  // digits * 10^(e - frac.length) at scale `scale` is digits * 10^(e - frac.length + scale).
  const digits = BigInt(int + frac || '0'), shift = e - frac.length + scale;
  const v = shift >= 0 ? digits * pow10(shift) : divRound(digits, pow10(-shift));
  return sign === '-' ? -v : v;
}

/** Plain text of an unscaled value, as Spark prints a decimal (BigDecimal.toPlainString): 1.20, -0.05. */
export function formatDecimal(v: bigint, scale: number): string {
  const neg = v < 0n, digits = (neg ? -v : v).toString();
  if (scale === 0) return neg ? '-' + digits : digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/**
 * Java's BigDecimal.toString, which non-ANSI Spark uses for CAST(d AS STRING), to_json and CSV: plain
 * unless the exponent of the leading digit is below -6, then scientific (1.0E-7, 0E-10). show() and
 * collect() are always plain (formatDecimal), as Spark's ToPrettyString.
 */
export function javaDecimalString(v: bigint, scale: number): string {
  const neg = v < 0n, digits = (neg ? -v : v).toString(), adjusted = digits.length - 1 - scale;
  if (adjusted >= -6) return formatDecimal(v, scale);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${neg ? '-' : ''}${mantissa}E${adjusted}`;
}

/** A double as Spark's cast makes it a decimal: through its shortest text (Scala's BigDecimal(d)), HALF_UP. */
export function decimalFromNumber(x: number, scale: number): bigint | null {
  return Number.isFinite(x) ? parseDecimal(String(x), scale) : null;
}

/** The nearest double: parsing the exact text rounds correctly, where dividing by 10^s would round twice. */
export function decimalToNumber(v: bigint, scale: number): number {
  return scale === 0 ? Number(v) : Number(formatDecimal(v, scale));
}

/** A Decimal128 column's words as 64-bit halves (low, high per row); copied only if misaligned. */
export function decimalWords(d: A.Data): BigInt64Array {
  const v = d.values as Uint32Array;
  if (v.byteOffset % 8 === 0) return new BigInt64Array(v.buffer, v.byteOffset, d.length * 2);
  return new BigInt64Array(v.slice(0, d.length * 4).buffer);
}

/** Row i of words from decimalWords. */
export function readDecimal(w: BigInt64Array, i: number): bigint {
  const lo = w[2 * i]!, hi = w[2 * i + 1]!;
  // Most values fit in the low word: skip the 128-bit assembly.
  if (hi === 0n && lo >= 0n) return lo;
  if (hi === -1n && lo < 0n) return lo;
  return (hi << 64n) | BigInt.asUintN(64, lo);
}

/**
 * Row k/4 of 32-bit words (a decimal column's values as Uint32Array) set to `v`, an integer within
 * ±2^53: its low two words, sign-extended to 128 bits. No bigint, for the kernels' fast paths.
 */
export function writeSmallDecimal(o: Uint32Array, k: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  o[k] = v - hi * 4294967296; o[k + 1] = hi; o[k + 2] = o[k + 3] = v < 0 ? 0xffffffff : 0;
}

export function writeDecimal(w: BigInt64Array, i: number, v: bigint): void {
  w[2 * i] = BigInt.asIntN(64, v);
  w[2 * i + 1] = BigInt.asIntN(64, v >> 64n);
}
