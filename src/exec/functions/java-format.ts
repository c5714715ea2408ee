import { DataError } from '../../errors.ts';
import { formatDouble } from '../../data/cells.ts';
import { roundHalfUp } from './round.ts';

/**
 * The part of java.util.Formatter that Spark's format_string/printf users write: conversions
 * s S d x X o f b B c %% n, the flags - 0 + space , ( and #, width, precision and `n$` argument
 * indexes. Written here because the npm sprintf packages follow C, not Java: Java prints a
 * double's %s as Double.toString (`1.0E7`), rounds %f HALF_UP on the decimal digits (%.2f of
 * 1.005 is 1.01), prints %x of a negative number as its two's complement, and refuses %d of a double.
 */

/** A value as Spark hands it to the Formatter: a long is a bigint, Spark's timestamp micros too. */
export type FormatArg = string | number | bigint | boolean | null;
/** Which Java class the argument is: an int and a double are both JS numbers. */
export type FormatArgKind = 'int' | 'long' | 'double' | 'string' | 'boolean';

interface Spec { readonly index: number; readonly flags: string; readonly width: number; readonly precision: number | null; readonly conv: string }
export type Piece = string | Spec;

const specRe = /%(?:(\d+)\$)?([-#+ 0,(]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

/** The format split into text and conversions, or a DataError naming the first it cannot do. */
export function parseJavaFormat(fmt: string): Piece[] {
  const out: Piece[] = [];
  let last = 0, next = 0;
  for (const m of fmt.matchAll(specRe)) {
    if (m.index > last) out.push(fmt.slice(last, m.index));
    last = m.index + m[0].length;
    const conv = m[5]!;
    if (!'sSdxXofbBc%n'.includes(conv)) {
      throw new DataError(`format_string: the conversion '%${conv}' in '${fmt}' is not supported; use %s, %d, %f, %x, %o, %b, %c, %% or %n (cast the value first if need be).`);
    }
    if (conv === '%' || conv === 'n') { out.push(conv === '%' ? '%' : '\n'); continue; }
    out.push({ index: m[1] ? Number(m[1]) - 1 : next++, flags: m[2]!, width: m[3] ? Number(m[3]) : 0, precision: m[4] ? Number(m[4]) : null, conv });
  }
  if (last < fmt.length) out.push(fmt.slice(last));
  const stray = out.find((p) => typeof p === 'string' && p !== '%' && p.includes('%'));
  if (stray !== undefined) throw new DataError(`format_string: '${fmt}' has a '%' that starts no conversion; write %% for a percent sign.`);
  return out;
}

function group(digits: string): string { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ','); }

/** Sign, zero padding and grouping of a number's digits, as Java's %d and %f. */
function numeric(abs: string, negative: boolean, s: Spec): string {
  const [int, frac] = abs.split('.') as [string, string | undefined];
  const body = (s.flags.includes(',') ? group(int) : int) + (frac === undefined ? '' : `.${frac}`);
  if (negative && s.flags.includes('(')) return `(${body})`;
  const sign = negative ? '-' : s.flags.includes('+') ? '+' : s.flags.includes(' ') ? ' ' : '';
  if (s.flags.includes('0') && !s.flags.includes('-')) return sign + body.padStart(s.width - sign.length, '0');
  return sign + body;
}

function convert(s: Spec, v: FormatArg, kind: FormatArgKind, fmt: string): string {
  const wrong = () => new DataError(`format_string: %${s.conv} in '${fmt}' cannot format argument ${s.index + 1}, a ${kind} (Java's IllegalFormatConversionException); cast it, e.g. to string for %s.`);
  const upper = s.conv === 'S' || s.conv === 'X' || s.conv === 'B';
  let out: string;
  switch (s.conv.toLowerCase()) {
    case 'b': out = String(kind === 'boolean' ? v === true : v !== null); break;
    case 's': out = v === null ? 'null' : kind === 'double' ? formatDouble(v as number) : String(v); break;
    case 'c':
      if (v === null) out = 'null';
      else if (kind === 'int') out = String.fromCodePoint(v as number);
      else throw wrong();
      break;
    case 'd':
      if (v === null) out = 'null';
      else if (kind === 'int' || kind === 'long') { const b = BigInt(v as number | bigint); out = numeric((b < 0n ? -b : b).toString(), b < 0n, s); }
      else throw wrong();
      break;
    case 'x': case 'o':
      if (v === null) out = 'null';
      else if (kind === 'int' || kind === 'long') {
        const radix = s.conv.toLowerCase() === 'x' ? 16 : 8;
        const u = kind === 'int' ? BigInt((v as number) >>> 0) : BigInt.asUintN(64, v as bigint);
        out = (s.flags.includes('#') ? (radix === 16 ? '0x' : '0') : '') + u.toString(radix);
        if (s.flags.includes('0') && !s.flags.includes('-')) out = out.padStart(s.width, '0');
      } else throw wrong();
      break;
    default: { // 'f'
      if (v === null) { out = 'null'; break; }
      if (kind !== 'double') throw wrong();
      const x = v as number;
      if (!Number.isFinite(x)) { out = Number.isNaN(x) ? 'NaN' : x > 0 ? (s.flags.includes('+') ? '+Infinity' : 'Infinity') : '-Infinity'; break; }
      const p = s.precision ?? 6;
      out = numeric(Math.abs(roundHalfUp(x, p)).toFixed(p), x < 0 || Object.is(x, -0), s);
    }
  }
  if (s.precision !== null && 'sSbB'.includes(s.conv)) out = out.slice(0, s.precision);
  if (upper) out = out.toUpperCase();
  return s.flags.includes('-') ? out.padEnd(s.width) : out.padStart(s.width);
}

/** The format applied to the arguments; a conversion past the last argument is Java's MissingFormatArgumentException. */
export function javaFormat(fmt: string, pieces: readonly Piece[], args: readonly FormatArg[], kinds: readonly FormatArgKind[]): string {
  let out = '';
  for (const p of pieces) {
    if (typeof p === 'string') { out += p; continue; }
    if (p.index >= args.length) throw new DataError(`format_string: '${fmt}' asks for argument ${p.index + 1} but is given ${args.length}.`);
    out += convert(p, args[p.index]!, kinds[p.index]!, fmt);
  }
  return out;
}
