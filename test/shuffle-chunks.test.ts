// The repartition sink's records without a broker (src/sinks/repartition/shuffle-chunks.ts): rows
// go to pmod(hash, partitions), every partition gets a record (empty ones too), each record is an
// Arrow IPC stream of at most ~900 KB that decodes to the same rows and types, and each carries
// the largest event time seen so far.
import { describe, expect, it } from 'vitest';
import * as A from 'apache-arrow';
import { Session, col, hash, lit, types as T } from '../src/index.ts';
import { fromArrowTable, type Batch } from '../src/data/batch.ts';
import { batchToRows } from '../src/data/rows.ts';
import { sameType } from '../src/data/types.ts';
import { MAX_CHUNK_BYTES, ShuffleChunks } from '../src/sinks/repartition/shuffle-chunks.ts';
import { SHUFFLE_HASH_COLUMN } from '../src/sinks/repartition/repartition-sink.ts';

const session = Session.builder().appName('shuffle-chunks-test').getOrCreate();
const schema = T.struct({ id: T.long, k: T.string, ts: T.timestamp, amount: T.decimal(10, 2), tags: T.array(T.string) });

function input(n: number, pad = 0): Batch[] {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: i, k: `k${i % 7}${'x'.repeat(pad)}`, ts: new Date(Date.UTC(2024, 0, 1) + i * 1000), amount: i % 5 === 0 ? null : `${i}.25`, tags: [`t${i % 3}`],
  }));
  return session.createDataFrame(rows, schema).select(col('*'), hash(col('k')).alias(SHUFFLE_HASH_COLUMN)).collectBatches();
}

const decode = (v: Uint8Array): Batch[] => fromArrowTable(A.tableFromIPC(v));

describe('ShuffleChunks', () => {
  it('routes each row to pmod(hash(k), n), writes every partition (empty ones too), and the rows decode unchanged', () => {
    const batches = input(50);
    const chunks = new ShuffleChunks(batches[0]!.schema, SHUFFLE_HASH_COLUMN, 'topic-x', 16);
    chunks.observe(Date.UTC(2024, 0, 1, 0, 5));
    const recs = chunks.encode(0, batches);
    expect([...new Set(recs.partitions)].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, p) => p));
    expect(recs.topics.every((t) => t === 'topic-x')).toBe(true);
    const want = input(50).flatMap(batchToRows);
    const hashes = new Map(want.map((r) => [r.id, r[SHUFFLE_HASH_COLUMN] as number]));
    const got: Record<string, unknown>[] = [];
    let empty = 0;
    recs.values.forEach((v, i) => {
      const decoded = decode(v!);
      const rows = decoded.flatMap(batchToRows);
      if (!rows.length) empty++;
      for (const b of decoded) expect(b.schema.fields.every((f, j) => sameType(f.type, schema.fields[j]!.type)), JSON.stringify(b.schema.fields)).toBe(true);
      for (const r of rows) expect((((hashes.get(r.id)!) % 16) + 16) % 16).toBe(recs.partitions[i]);
      got.push(...rows);
      expect(new TextDecoder().decode(recs.headers![i]![0]!.value!)).toBe(String(Date.UTC(2024, 0, 1, 0, 5)));
    });
    // 7 keys over 16 partitions: at least 9 get an empty chunk.
    expect(empty).toBeGreaterThanOrEqual(9);
    const strip = (r: Record<string, unknown>) => { const { [SHUFFLE_HASH_COLUMN]: _h, ...rest } = r; return rest; };
    expect(got.sort((a, b) => Number(a.id) - Number(b.id))).toEqual(want.map(strip));
  });

  it('cuts a partition\'s rows into records of at most 900 KB, and keeps the largest event time seen', () => {
    const batches = input(400, 20_000); // ~8 MB over 7 keys
    const chunks = new ShuffleChunks(batches[0]!.schema, SHUFFLE_HASH_COLUMN, 't', 2);
    chunks.observe(2000);
    chunks.observe(1000);
    const recs = chunks.encode(3, batches);
    expect(recs.count).toBeGreaterThan(8);
    for (const v of recs.values) expect(v!.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(recs.values.reduce((n, v) => n + decode(v!).reduce((m, b) => m + b.numRows, 0), 0)).toBe(400);
    expect(new TextDecoder().decode(recs.headers![0]![0]!.value!)).toBe('2000');
  });

  it('writes no header before any event time was seen (a query without withWatermark)', () => {
    const b = session.createDataFrame([{ k: 'a' }]).select(col('k'), lit(1).alias(SHUFFLE_HASH_COLUMN)).collectBatches();
    const recs = new ShuffleChunks(b[0]!.schema, SHUFFLE_HASH_COLUMN, 't', 2).encode(0, b);
    expect(recs.count).toBe(2);
    expect(recs.headers).toBeUndefined();
  });
});
