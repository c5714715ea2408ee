/**
 * Hive-style partition directory names (`<col>=<value>`), as Hive and Spark write and read them:
 * the escaping of names and values, the text of each value type, and the shortened name of a
 * value too long for a directory. The Parquet sink writes these names; the file source reads them.
 */
import { createHash } from 'node:crypto';

const utf8Enc = new TextEncoder();
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * The characters Hive's FileUtils.escapePathName (and Spark's ExternalCatalogUtils) escape:
 * control characters 0x01-0x1F, `"#%'*\/:=?\\` DEL `{[]^`. We also escape NUL (0x00), which
 * Hive leaves alone but no file system accepts in a name.
 */
const NEEDS_ESCAPE = /[\x00-\x1F"#%'*/:=?\\\x7F{[\]^]/;
const ESCAPE_ALL = /[\x00-\x1F"#%'*/:=?\\\x7F{[\]^]/g;

/** Hive's escapePathName: each character above becomes `%XX` (uppercase hex); all else is kept. */
export function escapePathName(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/** Hive's unescapePathName (`%XX` back to the character; anything else kept as is). */
export function unescapePathName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** One path segment `<col>=<value>`, both escaped; null and '' become the Hive default partition. */
export function partitionSegment(column: string, value: string | null): string {
  const v = value === null || value === '' ? HIVE_DEFAULT_PARTITION : escapePathName(value);
  return `${escapePathName(column)}=${v}`;
}

/** Spark's text of a timestamp partition value: `yyyy-MM-dd HH:mm:ss[.fraction]` in UTC, no trailing zeros. */
export function formatTimestampValue(ms: number): string {
  const iso = new Date(ms).toISOString(); // [+-YY]YYYY-MM-DDTHH:mm:ss.SSSZ
  const t = iso.indexOf('T');
  let frac = iso.slice(t + 10, t + 13).replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  return `${iso.slice(0, t)} ${iso.slice(t + 1, t + 9)}${frac}`;
}

export function formatDateValue(days: number): string {
  const iso = new Date(days * 86_400_000).toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

/** Longest directory name most file systems accept (bytes of UTF-8). */
export const MAX_SEGMENT_BYTES = 255;

/**
 * A directory name for a value too long for one: the longest prefix of the value that fits,
 * then `~` and 16 hex digits of the value's SHA-256, so rows keep their own directory, a
 * re-run of the batch finds the same name, and two long values that share a prefix differ.
 * A producer's value must not stop the query (DESIGN §9), and the partition column lives only
 * in the path, so dropping the row or nulling the value would lose data; readers see the
 * prefix and the hash instead, and progress warns.
 */
export function shortenedSegment(column: string, value: string): string {
  const suffix = '~' + createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
  const chars = [...value];
  let lo = 0, hi = chars.length;
  // Binary search on code points for the longest prefix whose escaped segment fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const seg = `${escapePathName(column)}=${escapePathName(chars.slice(0, mid).join(''))}${suffix}`;
    if (utf8Enc.encode(seg).length <= MAX_SEGMENT_BYTES) lo = mid; else hi = mid - 1;
  }
  return `${escapePathName(column)}=${escapePathName(chars.slice(0, lo).join(''))}${suffix}`;
}

