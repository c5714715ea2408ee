import { DataError } from '../../errors.ts';

/**
 * How transformWithState stores what the user's processor keeps (state values, map keys, the
 * grouping key): JSON text, readable with `sluice checkpoint state` and any JSON tool. JSON has no
 * bigint and no Date, which rows carry (LONG and TIMESTAMP columns), so those two are written as
 * {"$bigint":"<digits>"} and {"$date":"<ISO-8601>"} and read back as what they were. Anything
 * else JSON cannot hold (functions, Map, NaN, undefined array elements) is refused, never stored as something else.
 */
export function encodeState(v: unknown, what: string): string {
  if (v === undefined) throw new DataError(`${what}: undefined cannot be stored; clear() the state instead, or store null.`);
  return JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    const raw = this[k];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof x === 'bigint') return { $bigint: x.toString() };
    if (typeof x === 'number' && !Number.isFinite(x)) throw new DataError(`${what}: ${x} cannot be stored as JSON; store a string or null.`);
    // A field left undefined reads back undefined (absent): the same; an array element would read back null.
    if (x === undefined && !Array.isArray(this)) return undefined;
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') {
      throw new DataError(`${what}: ${k ? `field '${k}' is` : 'the value is'} ${typeof x}, which JSON cannot hold; store null or leave the field out.`);
    }
    if (x instanceof Map || x instanceof Set) throw new DataError(`${what}: a ${x.constructor.name} cannot be stored as JSON; store an array or a plain object.`);
    return x;
  });
}

export function decodeState<T>(text: string): T {
  return JSON.parse(text, (_k, x: unknown) => {
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>, keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
      if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date);
    }
    return x;
  }) as T;
}
