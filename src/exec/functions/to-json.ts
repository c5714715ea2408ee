import { string, typeToString } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { isValid } from '../../data/batch.ts';
import { jsonWriter } from '../../formats/json/encode-json.ts';
import type { ScalarFunction } from './scalar-function.ts';

/**
 * to_json(struct, array or map): each row as JSON text (null for a null value), with Spark's defaults:
 * fields that are null are left out, timestamps as yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC, dates as
 * yyyy-MM-dd, binary as Base64. The usual way to build a Kafka sink's `value`: to_json(struct('*')).
 */
export const to_json: ScalarFunction = {
  name: 'to_json', arity: 1,
  bind([a]) {
    if (a!.type.kind !== 'struct' && a!.type.kind !== 'array' && a!.type.kind !== 'map') return `argument 1 requires struct, array or map type, however, '${a!.name}' is of ${typeToString(a!.type)} type; build one with struct(...)`;
    return {
      inputTypes: [a!.type], returnType: string,
      kernel: ([d], n) => {
        const w = jsonWriter(d!, a!.type), bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) { if (isValid(d!, i)) bb.appendString(w(i)); else bb.appendNull(); }
        return bb.finish('string');
      },
    };
  },
};
