import type * as A from 'apache-arrow';
import { type DataType, type Struct, string, typeToString } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader, formatDate } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';

/** Writes row i of a column as JSON text, Spark's JacksonGenerator rules (nulls of a struct's fields left out). */
type Writer = (i: number) => string;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1Z');
}

function writerFor(d: A.Data, t: DataType): Writer {
  if (t.kind === 'struct') {
    const kids = (t as Struct).fields.map((f, k) => ({ key: JSON.stringify(f.name), child: d.children[k]!, w: writerFor(d.children[k]!, f.type) }));
    return (i) => {
      let s = '{', first = true;
      for (const k of kids) {
        if (!isValid(k.child, i)) continue; // Spark's ignoreNullFields (default true)
        s += `${first ? '' : ','}${k.key}:${k.w(i)}`;
        first = false;
      }
      return s + '}';
    };
  }
  const read = cellReader(d, t);
  switch (t.kind) {
    case 'string': return (i) => JSON.stringify(read(i));
    case 'boolean': case 'int': case 'long': return (i) => String(read(i));
    // Spark writes NaN and the infinities as quoted strings.
    case 'double': return (i) => { const v = read(i) as number; return Number.isFinite(v) ? String(v) : `"${v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : 'NaN'}"`; };
    case 'timestamp': return (i) => `"${iso(read(i) as number)}"`;
    case 'date': return (i) => `"${formatDate(read(i) as number)}"`;
    case 'binary': return (i) => `"${Buffer.from(read(i) as Uint8Array).toString('base64')}"`;
    default: return () => 'null';
  }
}

/**
 * to_json(struct): each row as a JSON object text (null for a null struct), with Spark's defaults:
 * fields that are null are left out, timestamps as yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC, dates as
 * yyyy-MM-dd, binary as Base64. The usual way to build a Kafka sink's `value`: to_json(struct('*')).
 */
export const to_json: ScalarFunction = {
  name: 'to_json', arity: 1,
  bind([a]) {
    if (a!.type.kind !== 'struct') return `argument 1 requires struct type, however, '${a!.name}' is of ${typeToString(a!.type)} type; build one with struct(...)`;
    return {
      inputTypes: [a!.type], returnType: string,
      kernel: ([d], n) => {
        const w = writerFor(d!, a!.type), bb = new BytesBuilder(n);
        for (let i = 0; i < n; i++) { if (isValid(d!, i)) bb.appendString(w(i)); else bb.appendNull(); }
        return bb.finish('string');
      },
    };
  },
};
