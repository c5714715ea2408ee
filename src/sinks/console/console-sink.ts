import type { SinkProvider } from '../sink.ts';
import { OptionError } from '../../errors.ts';
import { batchToRows } from '../../data/rows.ts';
import { formatTimestamp } from '../../data/cells.ts';

function show(v: unknown, truncate: boolean): string {
  let s: string;
  if (v === null || v === undefined) s = 'null';
  else if (v instanceof Date) s = formatTimestamp(v.getTime());
  else if (v instanceof Uint8Array) s = '[' + Array.from(v.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ') + (v.length > 16 ? ' ...' : '') + ']';
  else if (Array.isArray(v)) s = '[' + v.map((x) => show(x, false)).join(', ') + ']';
  else if (typeof v === 'object') s = '{' + Object.values(v).map((x) => show(x, false)).join(', ') + '}';
  else s = String(v);
  return truncate && s.length > 20 ? s.slice(0, 17) + '...' : s;
}

/** Spark's console sink: a table per batch, `numRows` rows (default 20), long values cut unless truncate=false. */
export const consoleSink: SinkProvider = {
  name: 'console',
  outputModes: ['append', 'update', 'complete'],
  options: ['numRows', 'truncate'],
  temporaryCheckpoint: true,
  create(opts) {
    const numRows = Number(opts.options.get('numRows') ?? 20);
    if (!Number.isInteger(numRows) || numRows < 0) throw new OptionError(`console sink option 'numRows' must be a whole number >= 0, got '${opts.options.get('numRows')}'.`);
    const truncate = (opts.options.get('truncate') ?? 'true') !== 'false';
    const names = opts.schema.fields.map((f) => f.name);
    return {
      description: 'ConsoleSink',
      async addBatch(batchId, data) {
        const rows: unknown[][] = [];
        let total = 0;
        for (const b of data) {
          total += b.numRows;
          if (rows.length < numRows) for (const r of batchToRows(b).slice(0, numRows - rows.length)) rows.push(names.map((n) => show(r[n], truncate)));
        }
        const widths = names.map((n, k) => Math.max(n.length, ...rows.map((r) => String(r[k]).length)));
        const line = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+';
        const fmt = (cells: unknown[]): string => '|' + cells.map((c, k) => String(c).padStart(widths[k]!)).join('|') + '|';
        const out = ['-------------------------------------------', `Batch: ${batchId}`, '-------------------------------------------', line, fmt(names), line, ...rows.map(fmt), line];
        if (total > rows.length) out.push(`only showing top ${rows.length} rows`);
        process.stdout.write(out.join('\n') + '\n\n');
        return { numOutputRows: total };
      },
    };
  },
};
