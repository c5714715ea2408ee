import type * as A from 'apache-arrow';
import { type DataType, type DecimalType, decimal } from '../../data/types.ts';
import { cellReader, cellWriter } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import { decimalColumn } from '../../data/builders.ts';
import { adjustPrecisionScale, decimalWords, divRound, fitsPrecision, MAX_PRECISION, pow10, readDecimal, rescale, writeDecimal, writeSmallDecimal } from '../../data/decimal.ts';
import type { ArithOp } from './arith.ts';

/**
 * Spark's DecimalPrecision (3.5, allowPrecisionLoss=true): the type of `l op r` for two decimals.
 *   + -   scale max(s1,s2), precision max(p1-s1, p2-s2) + scale + 1
 *   *     scale s1+s2,      precision p1+p2+1
 *   /     scale max(6, s1+p2+1), precision p1-s1+s2+scale
 *   %     scale max(s1,s2), precision min(p1-s1, p2-s2) + scale
 * each through adjustPrecisionScale when it passes 38 digits.
 */
export function decimalResultType(op: ArithOp, l: DecimalType, r: DecimalType): DecimalType {
  const { precision: p1, scale: s1 } = l, { precision: p2, scale: s2 } = r;
  let p: number, s: number;
  switch (op) {
    case 'plus': case 'minus': s = Math.max(s1, s2); p = Math.max(p1 - s1, p2 - s2) + s + 1; break;
    case 'multiply': s = s1 + s2; p = p1 + p2 + 1; break;
    case 'divide': s = Math.max(6, s1 + p2 + 1); p = p1 - s1 + s2 + s; break;
    case 'mod': s = Math.max(s1, s2); p = Math.min(p1 - s1, p2 - s2) + s; break;
  }
  const a = adjustPrecisionScale(p, s);
  return decimal(a.precision, a.scale);
}

/**
 * The decimal type an operand becomes beside a decimal (Spark's DecimalType.forType, and fromLiteral
 * for an integer literal: just its digits, so `price * 2` is decimal(p+2, s), not decimal(p+11, s)).
 */
export function asDecimalOperand(t: DataType, literal?: bigint | number | null): DecimalType | null {
  if (t.kind === 'decimal') return t;
  if ((t.kind === 'int' || t.kind === 'long') && literal !== undefined && literal !== null) {
    const digits = (typeof literal === 'bigint' ? (literal < 0n ? -literal : literal) : Math.abs(literal)).toString().length;
    return decimal(digits, 0);
  }
  if (t.kind === 'int') return decimal(10, 0);
  if (t.kind === 'long') return decimal(20, 0);
  return null;
}

/**
 * The type two decimals meet in (a comparison, coalesce, union): Spark's widerDecimalType, every
 * integer digit and every scale digit of both, capped at 38 (DecimalType.bounded).
 */
export function widerDecimal(a: DecimalType, b: DecimalType): DecimalType {
  const scale = Math.max(a.scale, b.scale), range = Math.max(a.precision - a.scale, b.precision - b.scale);
  return decimal(Math.min(range + scale, MAX_PRECISION), Math.min(scale, MAX_PRECISION));
}

/** Digits of |v|. */
function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/**
 * One row of `a op b` (unscaled at scales sa, sb) at the result scale, or null: Spark's Decimal
 * operators (exact + - %; * rounded to 38 significant digits; / to 38 places, both HALF_UP) then
 * CheckOverflow to the result type, null when it does not fit (non-ANSI) or on division by zero.
 */
export function decimalOp(op: ArithOp, a: bigint, sa: number, b: bigint, sb: number, out: DecimalType): bigint | null {
  let v: bigint, s: number;
  switch (op) {
    case 'plus': case 'minus': {
      s = Math.max(sa, sb);
      const x = rescale(a, sa, s), y = rescale(b, sb, s);
      v = op === 'plus' ? x + y : x - y;
      break;
    }
    case 'multiply': {
      v = a * b; s = sa + sb;
      const extra = digitCount(v) - MAX_PRECISION;
      if (extra > 0) { v = divRound(v, pow10(extra)); s -= extra; }
      break;
    }
    case 'divide': {
      if (b === 0n) return null;
      s = MAX_PRECISION;
      const shift = s + sb - sa;
      v = shift >= 0 ? divRound(a * pow10(shift), b) : divRound(a, b * pow10(-shift));
      break;
    }
    case 'mod': {
      if (b === 0n) return null;
      s = Math.max(sa, sb);
      v = rescale(a, sa, s) % rescale(b, sb, s);
      break;
    }
  }
  const r = s >= out.scale ? rescale(v, s, out.scale) : v * pow10(out.scale - s);
  return fitsPrecision(r, out.precision) ? r : null;
}

/**
 * Up to 15 digits an unscaled value is below 2^53, so a double holds it, and sums and products of
 * such values that the result type sizes at 15 digits or fewer (decimal(10,2) + decimal(10,2), or
 * times an integer literal) are exact in doubles: bench/decimal-arith.ts measured bigints 6x (+) and
 * 8x (*) slower than doubles over 1M rows. The result type is sized so these cannot overflow.
 */
const SAFE_DIGITS = 15;

/** The result scale needs no rounding: a product at scale s1+s2, a sum or difference at max(s1,s2). */
function exactScale(op: ArithOp, lt: DecimalType, rt: DecimalType, out: DecimalType): boolean {
  if (op === 'multiply') return out.scale === lt.scale + rt.scale;
  return (op === 'plus' || op === 'minus') && out.scale === Math.max(lt.scale, rt.scale);
}

function fitsDoubles(op: ArithOp, lt: DecimalType, rt: DecimalType, out: DecimalType): boolean {
  if (lt.precision > SAFE_DIGITS || rt.precision > SAFE_DIGITS || out.precision > SAFE_DIGITS) return false;
  return exactScale(op, lt, rt, out);
}

/** fitsDoubles' arithmetic: unscaled values from the low two 32-bit words, the result sign-extended to 128 bits. */
function doubleArith(op: ArithOp, lt: DecimalType, rt: DecimalType, out: DecimalType, l: A.Data, r: A.Data, n: number): A.Data {
  const a = l.values as Uint32Array, b = r.values as Uint32Array, o = new Uint32Array(n * 4);
  const fa = op === 'multiply' ? 1 : 10 ** (out.scale - lt.scale), fb = op === 'multiply' ? 1 : 10 ** (out.scale - rt.scale);
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    const x = ((a[k + 1]! | 0) * 4294967296 + a[k]!) * fa, y = ((b[k + 1]! | 0) * 4294967296 + b[k]!) * fb;
    writeSmallDecimal(o, k, op === 'plus' ? x + y : op === 'minus' ? x - y : x * y);
  }
  let nullBitmap: Uint8Array | undefined, nullCount = 0;
  if (l.nullCount > 0 || r.nullCount > 0) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (isValid(l, i) && isValid(r, i)) nullBitmap[i >> 3]! |= 1 << (i & 7); else nullCount++;
  }
  const words = new BigInt64Array(o.buffer);
  return decimalColumn(out, words, n, nullCount ? nullBitmap : undefined, nullCount);
}

const TWO_32 = 4294967296;

/** Row k/4's unscaled value when it lies within ±2^53 (then a double holds it exactly), else NaN. */
function smallValue(w: Uint32Array, k: number): number {
  const w1 = w[k + 1]!, w2 = w[k + 2]!, w3 = w[k + 3]!;
  if (w2 === 0 && w3 === 0 && w1 < 0x200000) return w1 * TWO_32 + w[k]!;
  if (w2 === 0xffffffff && w3 === 0xffffffff && w1 >= 0xffe00000) return (w1 | 0) * TWO_32 + w[k]!;
  return NaN;
}

/**
 * fitsDoubles by value rather than by type: a long becomes decimal(20,0), so `0.908 * price` is
 * decimal(24,3) and the type rule sends every row through bigints, though prices are small. Each
 * row whose operands and exact result are within 2^53 is done in doubles (a product or sum of
 * integers below 2^53 is exact, and one at or above it is seen as such), the others as decimalOp.
 * Only where the result scale needs no rounding: a product at scale s1+s2, a sum at max(s1,s2).
 */
function smallValueArith(op: ArithOp, lt: DecimalType, rt: DecimalType, out: DecimalType, l: A.Data, r: A.Data, n: number): A.Data {
  const a = l.values as Uint32Array, b = r.values as Uint32Array, o = new Uint32Array(n * 4), words = new BigInt64Array(o.buffer);
  const fa = op === 'multiply' ? 1 : 10 ** (out.scale - lt.scale), fb = op === 'multiply' ? 1 : 10 ** (out.scale - rt.scale);
  // |v| < 10^precision: always, at 16 digits or more, for |v| < 2^53
  const limit = out.precision >= 16 ? Infinity : 10 ** out.precision;
  const nulls = l.nullCount > 0 || r.nullCount > 0, valid = new Uint8Array((n + 7) >> 3);
  let lw: BigInt64Array | null = null, rw: BigInt64Array | null = null; // made once, by the first row that takes bigints
  let nullCount = 0;
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    if (nulls && !(isValid(l, i) && isValid(r, i))) { nullCount++; continue; }
    const x = smallValue(a, k) * fa, y = smallValue(b, k) * fb;
    const v = op === 'plus' ? x + y : op === 'minus' ? x - y : x * y;
    if (Number.isSafeInteger(x) && Number.isSafeInteger(y) && Number.isSafeInteger(v) && Math.abs(v) < limit) {
      writeSmallDecimal(o, k, v);
    } else {
      lw ??= decimalWords(l); rw ??= decimalWords(r);
      const big = decimalOp(op, readDecimal(lw, i), lt.scale, readDecimal(rw, i), rt.scale, out);
      if (big === null) { nullCount++; continue; } // overflow: null, as decimalOp's callers write it
      writeDecimal(words, i, big);
    }
    valid[i >> 3]! |= 1 << (i & 7);
  }
  return decimalColumn(out, words, n, nullCount ? valid : undefined, nullCount);
}

/** `l op r` over two decimal columns of types lt, rt into `out` (decimalResultType's). */
export function decimalArith(op: ArithOp, lt: DecimalType, rt: DecimalType, out: DecimalType, l: A.Data, r: A.Data, n: number): A.Data {
  if (fitsDoubles(op, lt, rt, out)) return doubleArith(op, lt, rt, out, l, r, n);
  if (exactScale(op, lt, rt, out)) return smallValueArith(op, lt, rt, out, l, r, n);
  const ra = cellReader(l, lt), rb = cellReader(r, rt), w = cellWriter(out, n);
  for (let i = 0; i < n; i++) {
    const x = ra(i), y = rb(i);
    w.push(x === null || y === null ? null : decimalOp(op, x as bigint, lt.scale, y as bigint, rt.scale, out));
  }
  return w.finish();
}
