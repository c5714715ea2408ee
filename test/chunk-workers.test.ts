// Chunk workers (runtime/chunk-workers.ts, sluice.exec.chunkWorkers): the stateless operators at the
// head of a query (from_json, select, withWatermark's statistics, filter) run on a worker thread for
// big chunks. Each query here runs with 0 and 1 workers and must give the same rows, in the same
// order, with the same progress (malformed rows dropped, event-time statistics, late rows), and
// the same FAILFAST error naming the Kafka record; with 1 worker, the chunks must have gone to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, count, from_json, window, types as T, DataError, type DataFrame } from '../src/index.ts';
import { ChunkWorkers, CHUNK_WORKERS_CONF } from '../src/runtime/chunk-workers.ts';
import { OptionError } from '../src/errors.ts';
import { chunkWorkerEntry } from '../src/runtime/chunk-worker-entry.ts';
import { ROOT } from './support/cli.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const session = Session.builder().appName('chunk-workers-test').getOrCreate();
const input = T.struct({ value: T.string, topic: T.string, partition: T.int, offset: T.long });
const event = T.struct({ ad: T.string, kind: T.string, at: T.timestamp, n: T.long });
const T0 = Date.UTC(2024, 4, 1);

/** `chunks` chunks of `rows` records each; every 997th is malformed (or the one at `bad`). */
function records(chunks: number, rows: number, bad?: number): Record<string, unknown>[][] {
  return Array.from({ length: chunks }, (_, c) => Array.from({ length: rows }, (_, r) => {
    const i = c * rows + r;
    const kind = ['view', 'click', 'purchase'][i % 3]!;
    const at = new Date(T0 + i * 3 - (i % 7) * 900).toISOString();
    const malformed = bad === undefined ? i % 997 === 5 : i === bad;
    const value = malformed ? `{"ad":"a${i % 50}","kind":` : `{"ad":"a${i % 50}","kind":"${kind}","at":"${at}","n":${i},"extra":[1,2,{"x":"y"}]}`;
    return { value, topic: 'events', partition: c % 4, offset: BigInt(i) };
  }));
}

let seq = 0;
interface Run { rows: Record<string, unknown>[]; progress: { malformed: number; late: number; eventTime: unknown }[]; answered: number; orphaned: number }

/** `data`: the chunks added before each processAllAvailable (one or more batches). */
async function run(workers: number, data: Record<string, unknown>[][][], build: (df: DataFrame) => DataFrame, mode: 'append' | 'update' = 'append'): Promise<Run> {
  session.conf.set(CHUNK_WORKERS_CONF, String(workers));
  const pool = ChunkWorkers.forProcess(1)!;
  expect(await pool.whenReady()).toBe(true);
  const before = { ...pool.counts };
  const stream = new MemoryStream(session, input);
  const name = `chunk_workers_${seq++}`;
  // The first batch's chunks are in before the query starts, so that batch 0 reads them all.
  for (const chunk of data[0] ?? []) stream.addData(chunk);
  const q = await build(stream.toDF()).writeStream.format('memory').outputMode(mode).queryName(name).start();
  const progress: Run['progress'] = [];
  try {
    for (const [k, batch] of data.entries()) {
      if (k > 0) for (const chunk of batch) stream.addData(chunk);
      await q.processAllAvailable();
    }
    for (const p of q.recentProgress) {
      if (p.numInputRows === 0) continue;
      progress.push({ malformed: p.numMalformedRowsDropped, late: (p.stateOperators as { numRowsDroppedByWatermark: number }[]).reduce((s, o) => s + o.numRowsDroppedByWatermark, 0), eventTime: p.eventTime });
    }
  } finally {
    await q.stop();
    session.conf.delete(CHUNK_WORKERS_CONF);
  }
  return { rows: session.table(name).collect(), progress, answered: pool.counts.answered - before.answered, orphaned: pool.counts.orphaned - before.orphaned };
}

async function both(data: Record<string, unknown>[][][], build: (df: DataFrame) => DataFrame, mode: 'append' | 'update' = 'append'): Promise<Run> {
  const here = await run(0, data, build, mode);
  const there = await run(1, data, build, mode);
  expect(here.answered).toBe(0);
  expect(there.answered).toBeGreaterThan(0);
  expect(there.rows).toEqual(here.rows);
  expect(there.progress).toEqual(here.progress);
  return there;
}

const parsed = (df: DataFrame, mode: 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST' = 'PERMISSIVE'): DataFrame => df.select(from_json(col('value'), event, { mode }).alias('e'), col('offset')).select('e.*', 'offset');

describe('chunk workers', () => {
  beforeAll(() => { ChunkWorkers.forProcess(1); });
  afterAll(async () => { await ChunkWorkers.stopAll(); });

  it('a stateless query: the same rows in read order, malformed records as nulls', async () => {
    const data = records(4, 6000);
    const r = await both([data], (df) => parsed(df).filter(col('kind').eq('view').or(col('kind').isNull())));
    // views, and the malformed records (all-null rows)
    expect(r.rows.length).toBe(data.flat().filter((x) => !String(x['value']).endsWith('}') || String(x['value']).includes('"view"')).length);
    expect(r.rows.map((x) => x['offset'])).toEqual([...r.rows.map((x) => x['offset'])].sort((a, b) => Number(a) - Number(b)));
  });

  it('DROPMALFORMED counts the dropped rows in progress the same', async () => {
    const data = records(3, 5000);
    const r = await both([data], (df) => parsed(df, 'DROPMALFORMED').filter(col('kind').eq('click')));
    expect(r.progress.reduce((s, p) => s + p.malformed, 0)).toBe(data.flat().filter((x) => !String(x['value']).endsWith('}')).length);
  });

  it('a watermarked windowed count: the same windows, event-time statistics and late rows', async () => {
    const late = records(1, 5000).map((chunk) => chunk.map((row) => ({ ...row, value: String(row['value']).replace('2024-05-01T00:', '2024-04-30T23:') })));
    const data = [records(3, 8000), late];
    const r = await both(data, (df) => parsed(df).withWatermark('at', '10 seconds').filter(col('kind').eq('view'))
      .groupBy(window(col('at'), '10 seconds'), col('ad')).agg(count('*').alias('views')), 'update');
    expect(r.rows.length).toBeGreaterThan(100);
    expect(r.progress.some((p) => p.late > 0)).toBe(true);
  });

  it('FAILFAST fails the batch with the message that names the record, as on the loop thread', async () => {
    const data = [records(2, 6000, 7777)];
    const failure = async (workers: number): Promise<unknown> => run(workers, data, (df) => parsed(df, 'FAILFAST')).then(() => null, (e: unknown) => e);
    const here = await failure(0), there = await failure(1);
    expect(here).toBeInstanceOf(DataError);
    expect(there).toBeInstanceOf(DataError);
    expect((there as Error).message).toBe((here as Error).message);
    expect((there as Error).message).toContain('offset 7777');
  });

  it('a head that parses no JSON stays on the loop thread (copying its rows would cost more)', async () => {
    const data = [records(3, 6000)];
    const r = await run(1, data, (df) => df.filter(col('partition').eq(1)).select(col('value'), col('offset')));
    expect(r.answered).toBe(0);
    expect(r.rows.length).toBe(6000);
  });

  it('a worker thread that dies with chunks out: they run on the loop thread, and nothing is lost or doubled', async () => {
    await ChunkWorkers.stopAll();
    process.env['SLUICE_TEST_CHUNK_WORKER_EXIT'] = '2';
    try {
      const data = records(8, 5000);
      const died = await run(1, [data], (df) => parsed(df).filter(col('kind').eq('view')));
      const here = await run(0, [data], (df) => parsed(df).filter(col('kind').eq('view')));
      // Batch 0 reads the 8 chunks at once: the worker takes the first two (at least), answers the
      // first and ends on the second, with that one (and any sent after it) out.
      expect(died.answered + died.orphaned).toBeGreaterThanOrEqual(2);
      expect(died.orphaned).toBeGreaterThanOrEqual(1);
      expect(here.orphaned).toBe(0);
      expect(died.rows).toEqual(here.rows);
      expect(died.rows.length).toBe(data.flat().filter((x) => String(x['value']).includes('"view"')).length);
    } finally {
      delete process.env['SLUICE_TEST_CHUNK_WORKER_EXIT'];
      await ChunkWorkers.stopAll();
    }
  });

  it('a worker starts from the bundle of its sources, or through tsx where there is none, with the same rows', async () => {
    await ChunkWorkers.stopAll();
    expect(fileURLToPath(await chunkWorkerEntry())).toBe(path.join(ROOT, '.build/chunk-worker/chunk-worker.mjs'));
    const data = [records(3, 6000)];
    const bundled = await run(1, data, (df) => parsed(df).filter(col('kind').eq('view')));
    await ChunkWorkers.stopAll();
    process.env['SLUICE_TEST_CHUNK_WORKER_TSX'] = '1';
    try {
      expect(fileURLToPath(await chunkWorkerEntry())).toBe(path.join(ROOT, 'src/runtime/chunk-worker.mjs'));
      const tsx = await run(1, data, (df) => parsed(df).filter(col('kind').eq('view')));
      expect(tsx.answered).toBeGreaterThan(0);
      expect(bundled.answered).toBeGreaterThan(0);
      expect(tsx.rows).toEqual(bundled.rows);
      expect(tsx.rows.length).toBe(data.flat(2).filter((x) => String(x['value']).includes('"view"')).length);
    } finally {
      delete process.env['SLUICE_TEST_CHUNK_WORKER_TSX'];
      await ChunkWorkers.stopAll();
    }
  });

  it('the setting must be a whole number', async () => {
    session.conf.set(CHUNK_WORKERS_CONF, 'two');
    try {
      const stream = new MemoryStream(session, input);
      await expect(stream.toDF().writeStream.format('memory').queryName(`chunk_workers_${seq++}`).start()).rejects.toThrow(OptionError);
    } finally { session.conf.delete(CHUNK_WORKERS_CONF); }
  });
});
