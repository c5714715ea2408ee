import type * as A from 'apache-arrow';
import { string, typeToString, type DataType } from '../../data/types.ts';
import { cellReader } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { stringAt, stringColumn } from './utf8-columns.ts';
import { javaFormat, parseJavaFormat, type FormatArg, type FormatArgKind, type Piece } from './java-format.ts';

/** The Java class Spark hands the Formatter for a column: dates are their day numbers, timestamps their microseconds. */
function argKind(t: DataType): FormatArgKind | null {
  switch (t.kind) {
    case 'int': case 'date': return 'int';
    case 'long': case 'timestamp': return 'long';
    case 'double': return 'double';
    case 'string': case 'null': return 'string';
    case 'boolean': return 'boolean';
    default: return null;
  }
}

function argReader(d: A.Data, t: DataType): (i: number) => FormatArg {
  if (t.kind === 'timestamp') { const v = d.values as BigInt64Array; return (i) => (isValid(d, i) ? v[i]! * 1000n : null); }
  const read = cellReader(d, t);
  return (i) => read(i) as FormatArg;
}

/**
 * format_string(fmt, args…) and printf: Java's String.format, as Spark's FormatString; a null
 * format gives null, a null argument prints `null`. A literal format is checked when the query
 * starts; a format from a column is parsed once per distinct text.
 */
export const format_string: ScalarFunction = {
  name: 'format_string', aliases: ['printf'], arity: [1, Infinity],
  bind(args) {
    const [fmt, ...rest] = args;
    if (fmt!.type.kind !== 'string' && fmt!.type.kind !== 'null') return `argument 1 requires string type, however, '${fmt!.name}' is of ${typeToString(fmt!.type)} type`;
    const kinds: FormatArgKind[] = [];
    for (const [k, a] of rest.entries()) {
      const kind = argKind(a.type);
      if (!kind) return `argument ${k + 2} '${a.name}' is of ${typeToString(a.type)} type, which format_string cannot print; cast it to string (or to_json it) first`;
      kinds.push(kind);
    }
    if (typeof fmt!.constant?.value === 'string') {
      try { parseJavaFormat(fmt!.constant.value); } catch (e) { return (e as Error).message; }
    }
    return {
      inputTypes: args.map((a) => a.type), returnType: string,
      kernel: (cols, n) => {
        const readers = cols.slice(1).map((d, k) => argReader(d, rest[k]!.type));
        const parsed = new Map<string, Piece[]>();
        return stringColumn(n, (i) => {
          if (!isValid(cols[0]!, i)) return null;
          const f = stringAt(cols[0]!, i);
          let pieces = parsed.get(f);
          if (!pieces) { pieces = parseJavaFormat(f); parsed.set(f, pieces); }
          return javaFormat(f, pieces, readers.map((r) => r(i)), kinds);
        });
      },
    };
  },
};
