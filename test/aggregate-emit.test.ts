// A windowed aggregation's emit looks for closed windows only when the watermark reaches the
// smallest window end it holds (exec/aggregate/hash-aggregate.ts minBound). These cases fail if
// that bound misses a window: one made after the bound was set, or one loaded by a restart.
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, window, count, types as T } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

describe('aggregation emit skips the closing scan only when nothing can close', () => {
  const session = Session.builder().appName('aggregate-emit').getOrCreate();
  const schema = T.struct({ k: T.string, t: T.timestamp });
  const at = (hh: number, mm: number) => new Date(Date.UTC(2024, 0, 1, hh, mm));

  it('evicts a window created below the bound, and the windows a restart loads', async () => {
    const cp = tmpDir('aggregate-emit');
    const start = async (s: MemoryStream) => s.toDF().withWatermark('t', '5 minutes')
      .groupBy(window(col('t'), '10 minutes'), col('k')).agg(count('*').alias('n'))
      .writeStream.outputMode('update').foreachBatch(() => undefined).option('checkpointLocation', cp).start();
    let s = new MemoryStream(session, schema);
    let q = await start(s);
    const rowsAfter = async (rows: { k: string; t: Date }[]) => {
      s.addData(rows);
      await q.processAllAvailable();
      return (q.lastProgress!.stateOperators[0] as { numRowsTotal: number }).numRowsTotal;
    };
    expect(await rowsAfter([{ k: 'a', t: at(10, 1) }])).toBe(1);
    // Watermark 10:36: a [10:00, 10:10) closes; c [10:40, 10:50) stays, the smallest end held.
    expect(await rowsAfter([{ k: 'c', t: at(10, 41) }])).toBe(1);
    // d [10:30, 10:40) is not late (10:40 > 10:36) and ends below the bound; watermark 10:45 closes it.
    expect(await rowsAfter([{ k: 'd', t: at(10, 37) }, { k: 'e', t: at(10, 50) }])).toBe(2);
    await q.stop();
    // A restart loads c and e; watermark 11:15 closes both. The new stream's first three offsets are the ones committed.
    s = new MemoryStream(session, schema);
    for (let b = 0; b < 3; b++) s.addData([{ k: 'x', t: at(9, 0) }]);
    q = await start(s);
    expect(await rowsAfter([{ k: 'f', t: at(11, 20) }])).toBe(1);
    await q.stop();
  }, 60_000);
});
