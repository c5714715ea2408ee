// The S3 requests a batch makes, as progress reports them (sluice-specific field s3Requests; Spark's
// fields are unchanged): a stateful batch that writes no snapshot, with its checkpoint on S3 (s3rver,
// test/support/s3.ts) and its Parquet output on S3 too. The counts come from the S3 clients' own
// middleware (src/storage/s3/request-count.ts), and are checked here against what is in the bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStream, Session, col, count, types as T } from '../src/index.ts';
import type { StreamingQueryProgress } from '../src/runtime/progress.ts';
import { listKeys, startS3, type TestS3 } from './support/s3.ts';

let s3: TestS3;
beforeAll(async () => { s3 = await startS3(); }, 60_000);
afterAll(async () => { await s3?.stop(); });

describe('S3 requests per batch in progress', () => {
  it('counts the PUTs of a stateful batch without a snapshot', async () => {
    const builder = Session.builder().appName('s3-request-count');
    for (const [k, v] of Object.entries(s3.conf())) builder.config(k, v);
    const session = builder.getOrCreate();
    const root = s3.prefix('request-count');
    const stream = new MemoryStream(session, T.struct({ k: T.string, v: T.long }));
    const progress: StreamingQueryProgress[] = [];
    session.streams.addListener({ onQueryProgress: (e) => { progress.push(e.progress); } });
    const q = await stream.toDF().groupBy(col('k')).agg(count('*').alias('n'))
      .writeStream.format('memory').queryName('request_count').outputMode('update')
      .option('checkpointLocation', `${root}/cp`).start();
    try {
      for (let b = 0; b < 3; b++) {
        stream.addData([{ k: 'a', v: b }, { k: `b${b}`, v: b }]);
        await q.processAllAvailable();
      }
    } finally {
      await q.stop();
    }
    const batches = progress.filter((p) => p.numInputRows > 0);
    expect(batches.length).toBe(3);
    const puts = batches.map((p) => p.s3Requests?.PutObject ?? 0);
    // Each batch: offsets/N, the state delta N, commits/N (no snapshot: the default interval is 10).
    const keys = await listKeys(s3, root);
    for (const p of batches) {
      const n = p.batchId;
      expect(keys.filter((k) => k.endsWith(`/offsets/${n}`) || k.endsWith(`/commits/${n}`) || k.endsWith(`/state/0/${n}.delta`)).length,
        `batch ${n}: ${JSON.stringify(p.s3Requests)}; keys ${keys.join(', ')}`).toBe(3);
    }
    for (const [i, n] of puts.entries()) expect(n, `batch ${batches[i]!.batchId}: ${JSON.stringify(batches[i]!.s3Requests)}`).toBeGreaterThanOrEqual(3);
    // The target of issue 15: at most 4 PUTs for such a batch. The first batch's record also counts
    // what start() sent (metadata, sources/0/0, the lease, the state's _metadata), so it is left out.
    for (const [i, n] of puts.entries()) if (i > 0) expect(n, `batch ${batches[i]!.batchId}: ${JSON.stringify(batches[i]!.s3Requests)}`).toBeLessThanOrEqual(4);
    process.stderr.write(`[s3-request-count] per batch: ${batches.map((p) => JSON.stringify(p.s3Requests)).join(' ')}\n`);
  }, 120_000);

  it('writes snapshots in the background: no batch passes 4 PUTs, old files are purged in the background, and a restart reads the snapshot', async () => {
    const builder = Session.builder().appName('s3-request-count-snapshots').config('sluice.stateSnapshotInterval', 2).config('spark.sql.streaming.minBatchesToRetain', 2);
    for (const [k, v] of Object.entries(s3.conf())) builder.config(k, v);
    const session = builder.getOrCreate();
    const root = s3.prefix('request-count-snapshots');
    const progress: StreamingQueryProgress[] = [];
    session.streams.addListener({ onQueryProgress: (e) => { progress.push(e.progress); } });
    const run = async (from: number, to: number, table: string) => {
      const stream = new MemoryStream(session, T.struct({ k: T.string, v: T.long }));
      const q = await stream.toDF().groupBy(col('k')).agg(count('*').alias('n'))
        .writeStream.format('memory').queryName(table).outputMode('update')
        .option('checkpointLocation', `${root}/cp`).start();
      try {
        // A MemoryStream starts again at offset 0: a restart adds the rows before `from` again, which the checkpoint has seen.
        for (let b = 0; b < to; b++) { stream.addData([{ k: 'a', v: b }, { k: `b${b}`, v: b }]); if (b >= from) await q.processAllAvailable(); }
      } finally {
        await q.stop();
      }
    };
    await run(0, 7, 'snapshots_first');
    const batches = progress.filter((p) => p.numInputRows > 0);
    expect(batches.map((p) => p.batchId)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const snaps = batches.flatMap((p) => (p.stateOperators as { snapshot?: { version: number; writtenIn: string } }[]).flatMap((o) => (o.snapshot ? [o.snapshot] : [])));
    expect(snaps.length).toBeGreaterThan(0);
    for (const sn of snaps) expect(sn.writtenIn).toBe('background');
    // offsets, delta, commits: 3 PUTs; a batch during which a background snapshot landed has that one more.
    for (const p of batches.slice(1)) expect(p.s3Requests?.PutObject ?? 0, `batch ${p.batchId}: ${JSON.stringify(p.s3Requests)}`).toBeLessThanOrEqual(4);
    const keys = await listKeys(s3, root);
    expect(keys.filter((k) => k.endsWith('/state/0/6.snapshot')).length, keys.join(', ')).toBe(1);
    // Old files were purged in the background: version 5 on needs 4.snapshot and later deltas only.
    expect(keys.filter((k) => /\/state\/0\/[0-3]\.(delta|snapshot)$/.test(k)), keys.join(', ')).toEqual([]);
    process.stderr.write(`[s3-request-count] with snapshots: ${batches.map((p) => JSON.stringify(p.s3Requests)).join(' ')}\n`);
    // A restart reads 6.snapshot: key a has been counted 7 times, and goes on.
    await run(7, 8, 'snapshots_restart');
    const rows = session.table('snapshots_restart').collect();
    expect(rows.find((r) => r.k === 'a')?.n, JSON.stringify(rows, (_, x) => (typeof x === 'bigint' ? String(x) : x))).toBe(8n);
  }, 120_000);
});
