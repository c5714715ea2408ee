import { struct, timestamp, long } from '../../data/types.ts';
import { OptionError } from '../../errors.ts';
import { makeBatch, type Batch } from '../../data/batch.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { ReadLimit, Source, SourceOptions, SourceProvider } from '../source.ts';

const schema = struct({ timestamp, value: long });

interface RateOffset { readonly startTimeMs: number; readonly rows: number }
/** availableNow's target: the rows due by this time, whatever the start. */
interface RateBound { readonly untilMs: number }

/** Spark's rate source: `rowsPerSecond` rows a second, value = row number, timestamp = its due time. */
class RateSource implements Source {
  readonly schema = schema;
  readonly description: string;
  constructor(private readonly rps: number, numPartitions: number) {
    this.description = `RateStream[rowsPerSecond=${rps}, numPartitions=${numPartitions}]`;
  }
  async initialOffset(): Promise<RateOffset> { return { startTimeMs: Date.now(), rows: 0 }; }
  async availableOffset(): Promise<RateBound> { return { untilMs: Date.now() }; }
  async latestOffset(startRaw: unknown, _limit: ReadLimit, bound?: unknown): Promise<RateOffset> {
    const start = startRaw as RateOffset;
    const until = bound ? Math.min(Date.now(), (bound as RateBound).untilMs) : Date.now();
    const rows = Math.floor(((until - start.startTimeMs) * this.rps) / 1000);
    return { startTimeMs: start.startTimeMs, rows: Math.max(rows, start.rows) };
  }
  sameOffset(a: unknown, b: unknown): boolean { return (a as RateOffset).rows === (b as RateOffset).rows; }
  async getBatch(startRaw: unknown, endRaw: unknown): Promise<Batch[]> {
    const s = startRaw as RateOffset, e = endRaw as RateOffset, n = e.rows - s.rows;
    if (n <= 0) return [];
    const ts = new BigInt64Array(n), value = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const row = s.rows + i;
      value[i] = BigInt(row);
      ts[i] = BigInt(s.startTimeMs + Math.floor((row * 1000) / this.rps));
    }
    return [makeBatch(schema, [primitiveColumn(timestamp, ts, n), primitiveColumn(long, value, n)], n)];
  }
  async stop(): Promise<void> {}
}

function positive(o: SourceOptions, name: string, dflt: number): number {
  const v = o.options.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new OptionError(`rate source option '${name}' must be a positive whole number, got '${v}'.`);
  return n;
}

export const rateSource: SourceProvider = {
  name: 'rate',
  options: ['rowsPerSecond', 'numPartitions'],
  schema: () => schema,
  create: (o) => new RateSource(positive(o, 'rowsPerSecond', 1), positive(o, 'numPartitions', 1)),
};
