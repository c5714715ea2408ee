import * as A from 'apache-arrow';
import { array, struct, toArrowType, typeToString, type ArrayType, type MapType } from '../../data/types.ts';
import type { Arg, ScalarFunction } from './scalar-function.ts';

/**
 * map_keys, map_values, map_entries: a map column is offsets into one struct column of entries
 * {key, value}, so each is an array column over the same offsets and row nulls with one of those
 * children (or the entries) as its elements: nothing is copied.
 */
function mapPart(fn: string, part: (t: MapType) => ArrayType, child: (entries: A.Data) => A.Data): ScalarFunction {
  return {
    name: fn, arity: 1,
    bind([m]: readonly Arg[]) {
      if (m!.type.kind !== 'map') return `argument 1 requires map type, however, '${m!.name}' is of ${typeToString(m!.type)} type`;
      const type = part(m!.type);
      return {
        inputTypes: [m!.type], returnType: type,
        kernel: ([d]) => A.makeData({ type: toArrowType(type) as A.List, length: d!.length, nullCount: d!.nullCount,
          nullBitmap: d!.nullCount > 0 ? d!.nullBitmap : undefined, valueOffsets: d!.valueOffsets as Int32Array, child: child(d!.children[0]!) }),
      };
    },
  };
}

/** map_keys(m): its keys as an array, in the map's order. */
export const map_keys = mapPart('map_keys', (t) => array(t.keyType, false), (e) => e.children[0]!);
/** map_values(m): its values as an array, in the map's order. */
export const map_values = mapPart('map_values', (t) => array(t.valueType), (e) => e.children[1]!);
/** map_entries(m): an array of structs {key, value}, in the map's order. */
export const map_entries = mapPart('map_entries',
  (t) => array(struct([{ name: 'key', type: t.keyType, nullable: false }, { name: 'value', type: t.valueType, nullable: true }]), false),
  // The entries column already is struct<key, value> with Arrow's names.
  (e) => e);
