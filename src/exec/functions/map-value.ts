import type * as A from 'apache-arrow';
import { boolean, typeToString, type DataType, type MapType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader } from '../../data/cells.ts';
import type { Arg, BoundFunction, ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { cellsEqual, takeOrNull } from './array-columns.ts';
import { booleanColumn } from './utf8-columns.ts';

/**
 * The entry index of each row's key in map column `d` (-1 when the map or the key is null, or the
 * key is absent). String and binary keys are compared on their bytes, in place; others as cells.
 */
export function findKeys(d: A.Data, keys: A.Data, keyType: DataType, n: number): Int32Array {
  const o = d.valueOffsets as Int32Array, mk = d.children[0]!.children[0]!, out = new Int32Array(n).fill(-1);
  if (keyType.kind === 'string' || keyType.kind === 'binary') {
    const mo = mk.valueOffsets as Int32Array, mv = mk.values as Uint8Array, ko = keys.valueOffsets as Int32Array, kv = keys.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      if (!isValid(d, i) || !isValid(keys, i)) continue;
      const ks = ko[i]!, len = ko[i + 1]! - ks;
      for (let e = o[i]!; e < o[i + 1]!; e++) {
        const s = mo[e]!;
        if (mo[e + 1]! - s !== len) continue;
        let j = 0;
        while (j < len && mv[s + j] === kv[ks + j]) j++;
        if (j === len) { out[i] = e; break; }
      }
    }
    return out;
  }
  const mr = cellReader(mk, keyType), kr = cellReader(keys, keyType);
  for (let i = 0; i < n; i++) {
    if (!isValid(d, i) || !isValid(keys, i)) continue;
    const want = kr(i)!;
    for (let e = o[i]!; e < o[i + 1]!; e++) if (cellsEqual(mr(e)!, want)) { out[i] = e; break; }
  }
  return out;
}

/** The key argument cast to the map's key type, or Spark's message when it cannot be. */
function keyTypeFor(fn: string, m: Arg, k: Arg): DataType | string {
  const kt = (m.type as MapType).keyType;
  const t = kt.kind === 'struct' || kt.kind === 'array' || kt.kind === 'map' || kt.kind === 'decimal' || kt.kind === 'null' ? (typeToString(k.type) === typeToString(kt) ? kt : null) : implicitCast(k.type, kt.kind);
  return t ?? `Input to function ${fn} should have been map followed by a value with same key type, but it's [${typeToString(m.type)}, ${typeToString(k.type)}]`;
}

/**
 * element_at(map, key), and `m[key]` / getItem(key) on a map (Spark's GetMapValue): the value of
 * that key, null when the key is absent (Spark with ANSI off) or the map is null.
 */
export function bindMapValue(fn: string, [m, k]: readonly Arg[]): BoundFunction | string {
  const kt = keyTypeFor(fn, m!, k!);
  if (typeof kt === 'string') return kt;
  const t = m!.type as MapType;
  return {
    inputTypes: [t, kt], returnType: t.valueType,
    kernel: ([d, key], n) => takeOrNull(d!.children[0]!.children[1]!, t.valueType, findKeys(d!, key!, kt, n)),
  };
}

/** map_contains_key(map, key): whether the map has the key; null when the map or the key is null. */
export const map_contains_key: ScalarFunction = {
  name: 'map_contains_key', arity: 2,
  bind([m, k]) {
    if (m!.type.kind !== 'map') return `argument 1 requires map type, however, '${m!.name}' is of ${typeToString(m!.type)} type`;
    const kt = keyTypeFor('map_contains_key', m!, k!);
    if (typeof kt === 'string') return kt;
    return {
      inputTypes: [m!.type, kt], returnType: boolean,
      kernel: ([d, key], n) => {
        const found = findKeys(d!, key!, kt, n);
        return booleanColumn(n, (i) => (isValid(d!, i) && isValid(key!, i) ? found[i]! >= 0 : null));
      },
    };
  },
};
