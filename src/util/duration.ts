import { OptionError } from '../errors.ts';

const units: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60000, min: 60000, minute: 60000, minutes: 60000, h: 3600000, hour: 3600000, hours: 3600000,
  d: 86400000, day: 86400000, days: 86400000, week: 604800000, weeks: 604800000,
};

/** Spark's interval strings ('10 minutes', '1 hour 30 minutes', '5 seconds') or a number of ms. */
export function parseDuration(v: string | number, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new OptionError(`${what}: ${v} is not a valid duration; use milliseconds >= 0 or a string like '10 minutes'.`);
    return v;
  }
  const s = v.trim().toLowerCase().replace(/^interval\s+/, '');
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0, matched = '', m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const u = units[m[2]!];
    if (u === undefined) break;
    total += Number(m[1]) * u;
    matched += m[0];
  }
  if (!matched || matched.replace(/\s/g, '') !== s.replace(/\s/g, '')) {
    if (/^\d+$/.test(s)) return Number(s);
    throw new OptionError(`${what}: '${v}' is not a duration; write it like '10 minutes', '5 seconds', '1 hour' or as milliseconds.`);
  }
  return total;
}
