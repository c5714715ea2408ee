// A join -> windowed aggregation chain survives SIGKILL with exactly-once output (issue 14): the query of
// test/fixtures/join-agg-query.ts (impressions left-outer-joined with clicks within an hour, counted per
// 10-minute impression window) is killed at several phases of the trigger loop and restarted on its
// checkpoint. Its Parquet output must equal an uncrashed run's, and each window it wrote must equal
// DuckDB's batch join and count of the same events: each window once, final, never partial.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceMany, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { ROOT } from './support/cli.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

const N = 300, STEP = 30_000, BASE = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const impressions = Array.from({ length: N }, (_, i) => ({ adId: i, impressionTime: iso(BASE + i * STEP) }));
// Two ads in three get a click 0-42 minutes after the impression; every tenth also one 90 minutes after (too late to count).
const clicks = impressions.flatMap((m, i) => [
  ...(i % 3 !== 0 ? [{ clickAdId: i, clickTime: iso(BASE + i * STEP + (i % 7) * 7 * 60_000) }] : []),
  ...(i % 10 === 0 ? [{ clickAdId: i, clickTime: iso(BASE + i * STEP + 90 * 60_000) }] : []),
]).sort((a, b) => a.clickTime.localeCompare(b.clickTime));

interface Progress { batchId: number; stateRows?: number[] }

describe('stream-stream join -> windowed aggregation', () => {
  it('killed in several phases, then restarted: each window once, as an uncrashed run and DuckDB count it', async () => {
    const ti = uniqueTopic('jagg-imps'), tc = uniqueTopic('jagg-clicks');
    await broker.createTopic(ti, 2);
    await broker.createTopic(tc, 2);
    await produceMany(broker.bootstrap, {
      [ti]: impressions.map((m, i) => ({ value: JSON.stringify(m), partition: i % 2 })),
      [tc]: clicks.map((c, i) => ({ value: JSON.stringify(c), partition: i % 2 })),
    });
    const dir = tmpDir('join-agg-crash');
    writeFileSync(path.join(dir, 'imps.json'), impressions.map((m) => JSON.stringify(m)).join('\n'));
    writeFileSync(path.join(dir, 'clicks.json'), clicks.map((c) => JSON.stringify(c)).join('\n'));
    const run = (cp: string, out: string, crashAt?: string) => runQueryChild<Progress>(ROOT, ['test/fixtures/join-agg-query.ts', broker.bootstrap, ti, tc, cp, out], process.env, { crashAt }, 180_000);

    const ref = await run(path.join(dir, 'cp-ref'), path.join(dir, 'out-ref'));
    expect(ref.code, ref.stderr).toBe(0);
    // Two operators, the aggregation first (Spark's order); the join's state is trimmed as the watermark passes.
    expect(ref.progress.at(-1)!.stateRows).toHaveLength(2);
    expect(ref.progress.at(-1)!.stateRows![1]!).toBeLessThan(impressions.length + clicks.length - 200);

    const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    for (const crashAt of ['afterOffsetLog:1', 'beforeSink:3', 'beforeCommit:5', 'afterCommit:7']) {
      const r = await run(cp, out, crashAt);
      expect(r.signal, `${crashAt}: ${r.stderr}`).toBe('SIGKILL');
    }
    const last = await run(cp, out);
    expect(last.code, last.stderr).toBe(0);
    expect(last.done).toBe(true);

    const rows = (o: string) => `SELECT epoch_ms(ws) AS ws, rows, clicks FROM read_parquet('${o}/**/*.parquet')`;
    const counted = async (sql: string) => (await duckQuery(`SELECT *, count(*) AS n FROM (${sql}) GROUP BY ALL ORDER BY ALL`)).map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
    const got = await counted(rows(out));
    expect(got).toEqual(await counted(rows(path.join(dir, 'out-ref'))));

    const imps = `read_json('${path.join(dir, 'imps.json')}', columns = {adId: 'BIGINT', impressionTime: 'TIMESTAMP'})`;
    const clk = `read_json('${path.join(dir, 'clicks.json')}', columns = {clickAdId: 'BIGINT', clickTime: 'TIMESTAMP'})`;
    const batch = `SELECT epoch_ms(impressionTime) // 600000 * 600000 AS ws, count(*) AS rows, count(clickAdId) AS clicks FROM ${imps} LEFT JOIN ${clk}
      ON clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + INTERVAL 1 HOUR GROUP BY ALL`;
    const expected = await counted(batch);
    // Every window written is final (DuckDB's count, once); the windows the join's output watermark has
    // passed by the end are all written. That watermark is about the last impression less 10 min
    // (the impressions' delay) less the hour of the range, so 150 min of impressions settle ~80 min.
    expect(got.filter((r) => !expected.includes(r))).toEqual([]);
    const settled = expected.filter((r) => (JSON.parse(r) as { ws: number }).ws + 600_000 <= BASE + (N - 1) * STEP - 75 * 60_000);
    expect(settled.length).toBeGreaterThanOrEqual(7);
    expect(got).toEqual(expect.arrayContaining(settled));
  }, 900_000);
});
