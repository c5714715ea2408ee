/**
 * Byte-level conversions of JSON string contents for from_json: ISO-8601 timestamps and dates
 * (UTC), base64. They read [s, e) of a byte buffer and never allocate.
 */

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Two ASCII digits at i as a number, or -1. */
function d2(b: Uint8Array, i: number): number {
  const x = b[i]! - 0x30, y = b[i + 1]! - 0x30;
  if (x < 0 || x > 9 || y < 0 || y > 9) return -1;
  return x * 10 + y;
}

/** `YYYY-MM-DD` at s (needs s + 10 <= end checked by the caller): days since epoch, or NaN. */
function dateAt(b: Uint8Array, s: number): number {
  const y1 = d2(b, s), y2 = d2(b, s + 2), m = d2(b, s + 5), d = d2(b, s + 8);
  if (y1 < 0 || y2 < 0 || m < 1 || m > 12 || d < 1 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d) return NaN;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, m)) return NaN;
  return daysFromCivil(y, m, d);
}

/** A JSON date string `YYYY-MM-DD` -> days since the epoch, or NaN when it is not one. */
export function parseDate(b: Uint8Array, s: number, e: number): number {
  if (e - s !== 10) return NaN;
  return dateAt(b, s);
}

/**
 * An ISO-8601 timestamp -> ms since the epoch (UTC), or NaN when it is not one.
 * Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`,
 * optionally followed by a zone `Z` or `+HH`, `+HH:MM`, `+HHMM` (also `-`). No zone = UTC.
 * Fractional seconds take any number of digits, truncated to milliseconds.
 */
export function parseTimestamp(b: Uint8Array, s: number, e: number): number {
  if (e - s < 10) return NaN;
  const days = dateAt(b, s);
  if (days !== days) return NaN;
  if (e - s === 10) return days * MS_PER_DAY;
  const sep = b[s + 10];
  if ((sep !== 0x54 && sep !== 0x20) || e - s < 16) return NaN;
  const hh = d2(b, s + 11), mi = d2(b, s + 14);
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || b[s + 13] !== 0x3a) return NaN;
  let i = s + 16, sec = 0, ms = 0;
  if (i < e && b[i] === 0x3a) {
    if (i + 3 > e) return NaN;
    sec = d2(b, i + 1);
    if (sec < 0 || sec > 59) return NaN;
    i += 3;
    if (i < e && b[i] === 0x2e) {
      i++;
      const fs = i;
      let c = 0;
      while (i < e && (c = b[i]! - 0x30) >= 0 && c <= 9) {
        if (i - fs < 3) ms = ms * 10 + c;
        i++;
      }
      const n = i - fs;
      if (n === 0) return NaN;
      if (n === 1) ms *= 100; else if (n === 2) ms *= 10;
    }
  }
  let offsetMin = 0;
  if (i < e) {
    const z = b[i];
    if (z === 0x5a) { if (i + 1 !== e) return NaN; }
    else if (z === 0x2b || z === 0x2d) {
      if (i + 3 > e) return NaN;
      const oh = d2(b, i + 1);
      if (oh < 0 || oh > 18) return NaN;
      i += 3;
      let om = 0;
      if (i < e) {
        if (b[i] === 0x3a) i++;
        if (i + 2 !== e) return NaN;
        om = d2(b, i);
        if (om < 0 || om > 59) return NaN;
      }
      offsetMin = oh * 60 + om;
      if (z === 0x2d) offsetMin = -offsetMin;
    } else return NaN;
  }
  return days * MS_PER_DAY + ((hh * 60 + mi - offsetMin) * 60 + sec) * 1000 + ms;
}

/** Base64 alphabet (standard, RFC 4648 section 4), 255 = not in it. */
const B64 = new Uint8Array(256).fill(255);
{
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) B64[abc.charCodeAt(i)] = i;
}

/**
 * Decodes standard base64 in [s, e) into out at o (room for (e - s) * 3 / 4 bytes needed);
 * returns the output end, or -1 when it is not base64. Padding is optional, but if present
 * the length must be a multiple of 4; no whitespace.
 */
export function decodeBase64(b: Uint8Array, s: number, e: number, out: Uint8Array, o: number): number {
  let n = e - s;
  if (n > 0 && b[e - 1] === 0x3d) {
    if (n % 4 !== 0) return -1;
    e--; n--;
    if (b[e - 1] === 0x3d) { e--; n--; }
  }
  const rem = n & 3;
  if (rem === 1) return -1;
  const full = e - rem;
  let i = s;
  for (; i < full; i += 4) {
    const a = B64[b[i]!]!, c = B64[b[i + 1]!]!, d = B64[b[i + 2]!]!, f = B64[b[i + 3]!]!;
    if ((a | c | d | f) > 63) return -1;
    const v = (a << 18) | (c << 12) | (d << 6) | f;
    out[o++] = v >> 16; out[o++] = (v >> 8) & 0xff; out[o++] = v & 0xff;
  }
  if (rem === 2) {
    const a = B64[b[i]!]!, c = B64[b[i + 1]!]!;
    if ((a | c) > 63) return -1;
    out[o++] = (a << 2) | (c >> 4);
  } else if (rem === 3) {
    const a = B64[b[i]!]!, c = B64[b[i + 1]!]!, d = B64[b[i + 2]!]!;
    if ((a | c | d) > 63) return -1;
    const v = (a << 12) | (c << 6) | d;
    out[o++] = v >> 10; out[o++] = (v >> 2) & 0xff;
  }
  return o;
}
