import type { SinkProvider } from '../sink.ts';
import { OptionError } from '../../errors.ts';
import { showTable } from '../../data/show-table.ts';

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
    return {
      description: 'ConsoleSink',
      async addBatch(batchId, data) {
        const out = ['-------------------------------------------', `Batch: ${batchId}`, '-------------------------------------------', ...showTable(opts.schema, data, numRows, truncate)];
        process.stdout.write(out.join('\n') + '\n\n');
        return { numOutputRows: data.reduce((n, b) => n + b.numRows, 0) };
      },
    };
  },
};
