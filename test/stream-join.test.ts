// sluice's own checks of stream-stream joins beyond Spark's suite (issue 14): late rows of either
// side go to lateRowsPath; a restart with another join is refused by the checkpoint's operator
// metadata; `sluice checkpoint state` shows the buffered rows; Spark's refusals at start().
import { describe, expect, it } from 'vitest';
import { tmpDir } from './support/tmp.ts';
import { duckQuery } from './support/duck.ts';
import { runSluice } from './support/cli.ts';
import { AnalysisError, CheckpointError } from '../src/errors.ts';
import { Session, MemoryStream, col, expr, types as T, type DataFrame } from '../src/index.ts';

const session = Session.builder().appName('stream-join-test').getOrCreate();
const impSchema = T.struct({ adId: T.long, impressionTime: T.timestamp });
const clickSchema = T.struct({ clickAdId: T.long, clickTime: T.timestamp });
const min = (m: number): Date => new Date(Date.UTC(2026, 0, 1, 0, m));
const imp = (id: number, m: number) => ({ adId: BigInt(id), impressionTime: min(m) });
const click = (id: number, m: number) => ({ clickAdId: BigInt(id), clickTime: min(m) });

/** Spark's ad-monetization example: a click counts within an hour of its impression. */
const adJoin = (imps: DataFrame, clicks: DataFrame, how: string): DataFrame => imps.withWatermark('impressionTime', '10 minutes')
  .join(clicks.withWatermark('clickTime', '20 minutes'), expr('clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'), how);

describe('stream-stream join: late rows, checkpoint, refusals', () => {
  it('rows too late to join, of either side, go to lateRowsPath with the side they came from', async () => {
    const imps = new MemoryStream(session, impSchema), clicks = new MemoryStream(session, clickSchema);
    const out = tmpDir('join-out'), late = tmpDir('join-late');
    const q = await adJoin(imps.toDF(), clicks.toDF(), 'inner').writeStream.format('parquet')
      .option('checkpointLocation', tmpDir('join-cp')).option('lateRowsPath', late).start(out);
    imps.addData([imp(1, 0), imp(2, 100)]);
    clicks.addData([click(1, 5), click(2, 130)]);
    await q.processAllAvailable(); // watermark: min(100 - 10, 130 - 20) = 90 minutes
    imps.addData([imp(3, 80), imp(4, 95)]); // 80 is at or below 90: late
    clicks.addData([click(4, 70), click(4, 100)]); // 70 is late
    await q.processAllAvailable();
    await q.stop();
    const lateRows = await duckQuery(`SELECT join_side, adId, epoch_ms(impressionTime) AS it, clickAdId, epoch_ms(clickTime) AS ct FROM read_parquet('${late}/**/*.parquet') ORDER BY join_side`);
    expect(lateRows).toEqual([
      { join_side: 'left', adId: 3n, it: BigInt(min(80).getTime()), clickAdId: null, ct: null },
      { join_side: 'right', adId: null, it: null, clickAdId: 4n, ct: BigInt(min(70).getTime()) },
    ]);
    const joined = await duckQuery(`SELECT adId, clickAdId FROM read_parquet('${out}/**/*.parquet') ORDER BY adId`);
    expect(joined).toEqual([{ adId: 1n, clickAdId: 1n }, { adId: 2n, clickAdId: 2n }, { adId: 4n, clickAdId: 4n }]);
    const p = q.recentProgress.filter((x) => x.numInputRows > 0).at(-1)!;
    expect(p.stateOperators[0]).toMatchObject({ numRowsDroppedByWatermark: 2 });
  }, 60_000);

  it("with a stateful operator on a side (here a dropDuplicates), the join's own late rows still go to lateRowsPath (issue 14 item 4)", async () => {
    const imps = new MemoryStream(session, impSchema), clicks = new MemoryStream(session, clickSchema);
    const out = tmpDir('join-out'), late = tmpDir('join-late');
    const deduped = imps.toDF().withWatermark('impressionTime', '10 minutes').dropDuplicates('adId', 'impressionTime');
    const q = await deduped.join(clicks.toDF().withWatermark('clickTime', '20 minutes'), expr('clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'))
      .writeStream.format('parquet').option('checkpointLocation', tmpDir('join-cp')).option('lateRowsPath', late).start(out);
    imps.addData([imp(1, 0), imp(2, 100)]);
    clicks.addData([click(1, 5), click(2, 130)]);
    await q.processAllAvailable(); // watermark: min(100 - 10, 130 - 20) = 90 minutes
    imps.addData([imp(3, 80), imp(4, 95)]); // 80: late at the dropDuplicates, before the join
    clicks.addData([click(4, 70), click(4, 100)]); // 70: late at the join
    await q.processAllAvailable();
    await q.stop();
    // Written in the join's late-row table; the dropDuplicates' late row has another schema (the impressions'): counted only.
    expect(await duckQuery(`SELECT join_side, adId, clickAdId, epoch_ms(clickTime) AS ct FROM read_parquet('${late}/**/*.parquet')`))
      .toEqual([{ join_side: 'right', adId: null, clickAdId: 4n, ct: BigInt(min(70).getTime()) }]);
    const p = q.recentProgress.filter((x) => x.numInputRows > 0).at(-1)!;
    expect((p.stateOperators as { operatorName: string; numRowsDroppedByWatermark: number }[]).map((o) => [o.operatorName, o.numRowsDroppedByWatermark])).toEqual([['symmetricHashJoin', 1], ['dedupe', 1]]);
    expect(await duckQuery(`SELECT adId, clickAdId FROM read_parquet('${out}/**/*.parquet') ORDER BY adId`))
      .toEqual([{ adId: 1n, clickAdId: 1n }, { adId: 2n, clickAdId: 2n }, { adId: 4n, clickAdId: 4n }]);
  }, 60_000);

  it('a restart with another join type is refused; `sluice checkpoint state` shows the buffered rows of both sides', async () => {
    const cp = tmpDir('join-cp');
    const run = async (how: string, data: boolean) => {
      const imps = new MemoryStream(session, impSchema), clicks = new MemoryStream(session, clickSchema);
      const q = await adJoin(imps.toDF(), clicks.toDF(), how).writeStream.format('memory').queryName(`join_${how}`).option('checkpointLocation', cp).start();
      if (data) {
        imps.addData([imp(7, 0), imp(8, 1)]);
        clicks.addData([click(7, 2)]);
        await q.processAllAvailable();
      }
      return q;
    };
    const q = await run('left_outer', true);
    await q.stop();
    expect(session.table('join_left_outer').collect().map((r) => [r.adId, r.clickAdId])).toEqual([[7n, 7n]]);

    const changed = await run('inner', false);
    await expect(changed.awaitTermination()).rejects.toThrow(CheckpointError);
    await expect(changed.awaitTermination()).rejects.toThrow(/symmetricHashJoin LeftOuter .* the query has "symmetricHashJoin Inner/);

    const r = await runSluice(['checkpoint', 'state', cp, '--limit', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 keys');
    expect(r.stdout).toMatch(/^join_side \| adId \| join_seq \| matched \| left\.adId \| left\.impressionTime +\| right\.clickAdId \| right\.clickTime/m);
    expect(r.stdout).toMatch(/^left +\| +7 \| +0 \| true /m); // impression 7 matched its click
    expect(r.stdout).toMatch(/^left +\| +8 \| +1 \| false /m);
    expect(r.stdout).toMatch(/^right +\| +7 \| +0 \| true /m);
  }, 60_000);

  it('a Column condition works as expr(); a null key never matches (an outer side\'s row still comes out with nulls), as in Spark', async () => {
    const imps = new MemoryStream(session, impSchema), clicks = new MemoryStream(session, clickSchema);
    const cond = col('clickAdId').eq(col('adId')).and(col('clickTime').geq(col('impressionTime'))).and(col('clickTime').leq(col('impressionTime').plus(expr('interval 1 hour'))));
    const q = await imps.toDF().withWatermark('impressionTime', '10 minutes').join(clicks.toDF().withWatermark('clickTime', '20 minutes'), cond, 'left_outer')
      .writeStream.format('memory').queryName('join_column_cond').start();
    imps.addData([imp(1, 0), { adId: null, impressionTime: min(1) }, imp(2, 2)]);
    clicks.addData([click(1, 30), { clickAdId: null, clickTime: min(31) }, click(2, 200)]); // 200 is past impression 2's hour
    await q.processAllAvailable();
    clicks.addData([click(9, 300)]);
    await q.processAllAvailable();
    imps.addData([imp(9, 299)]); // watermark min(299 - 10, 300 - 20) = 280 minutes: impressions 0-2 are out of reach
    await q.processAllAvailable();
    await q.stop();
    const rows = session.table('join_column_cond').collect().map((r) => [r.adId, r.clickAdId]);
    expect(rows).toEqual(expect.arrayContaining([[1n, 1n], [null, null], [2n, null], [9n, 9n]]));
    expect(rows).toHaveLength(4);
  }, 60_000);

  const two = () => [new MemoryStream(session, impSchema).toDF(), new MemoryStream(session, clickSchema).toDF()] as const;
  it('Spark\'s refusals: update mode; full outer needs a range bounding both sides; no watermark on the nullable side', async () => {
    const [a, b] = two();
    await expect(adJoin(a, b, 'inner').writeStream.outputMode('update').format('memory').queryName('join_upd').start())
      .rejects.toThrow(/Join between two streaming DataFrames\/Datasets is not supported in Update output mode, only in Append output mode/);
    const oneSided = a.withWatermark('impressionTime', '10 minutes').join(b.withWatermark('clickTime', '20 minutes'),
      expr('clickAdId = adId AND clickTime >= impressionTime'), 'full_outer');
    expect(() => oneSided.schema).toThrow(/Stream-stream FullOuter join between two streaming DataFrame\/Datasets is not supported without a watermark in the join keys/);
    // The same condition bounds the left side's state (impressions) by the clicks' watermark: a left outer join runs.
    expect(a.withWatermark('impressionTime', '10 minutes').join(b.withWatermark('clickTime', '20 minutes'),
      expr('clickAdId = adId AND clickTime <= impressionTime + interval 1 hour'), 'left_outer').columns).toEqual(['adId', 'impressionTime', 'clickAdId', 'clickTime']);
    const noRightWatermark = a.withWatermark('impressionTime', '10 minutes').join(b, expr('clickAdId = adId AND clickTime <= impressionTime + interval 1 hour'), 'left_outer');
    expect(() => noRightWatermark.schema).toThrow(AnalysisError);
    // A month has no fixed length, so Spark derives no state bound from it.
    const months = a.withWatermark('impressionTime', '10 minutes').join(b.withWatermark('clickTime', '20 minutes'),
      expr('clickAdId = adId AND clickTime <= impressionTime + interval 1 month'), 'left_outer');
    expect(() => months.schema).toThrow(/Stream-stream LeftOuter join/);
  });
});
