// Every stream-stream join type survives SIGKILL with exactly-once output (issue 14): the query of
// test/fixtures/join-query.ts (impressions joined with clicks within an hour) is run once uncrashed, then
// killed twice at phases of the trigger loop (a different pair per type, every phase covered overall) and
// restarted on its checkpoint. Its Parquet output must equal the uncrashed run's, row for row with counts,
// and DuckDB's batch answer over the same events: the matched pairs are DuckDB's inner join; an outer
// side's rows with no match come out once with nulls, never one that matched, and all the final watermark
// settled are out; a left semi join gives each impression with a match once, its columns only.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceMany, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { ROOT } from './support/cli.ts';
import { duckQuery } from './support/duck.ts';
import { describeRun, runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const N = 300, STEP = 20_000, BASE = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const impressions = Array.from({ length: N }, (_, i) => ({ adId: i, impressionTime: iso(BASE + i * STEP) }));
// Two ads in three get a click 0-42 minutes after the impression, every 13th two more 45 and 55 minutes
// after (several matches for one impression, mostly read after it). Clicks no impression matches: every
// tenth ad one 90 minutes after (out of range), every eleventh one 5 minutes before, every 25th one on an
// ad with no impression.
const clicks = impressions.flatMap((m, i) => [
  ...(i % 3 !== 0 ? [{ clickAdId: i, clickTime: iso(BASE + i * STEP + (i % 7) * 7 * 60_000) }] : []),
  ...(i % 13 === 0 ? [45, 55].map((d) => ({ clickAdId: i, clickTime: iso(BASE + i * STEP + d * 60_000) })) : []),
  ...(i % 10 === 0 ? [{ clickAdId: i, clickTime: iso(BASE + i * STEP + 90 * 60_000) }] : []),
  ...(i % 11 === 0 ? [{ clickAdId: i, clickTime: iso(BASE + i * STEP - 5 * 60_000) }] : []),
  ...(i % 25 === 0 ? [{ clickAdId: N + i, clickTime: iso(BASE + i * STEP + 60_000) }] : []),
]).sort((a, b) => a.clickTime.localeCompare(b.clickTime));
// The final watermark is the impressions' (the smaller): the last impression time minus 10 minutes. An impression
// is out of reach an hour below it, a click at it; these cut-offs leave 5 minutes for where the last batch falls.
const LAST = BASE + (N - 1) * STEP;
const SETTLED = { left: LAST - 75 * 60_000, right: LAST - 15 * 60_000 };

type How = 'leftOuter' | 'inner' | 'rightOuter' | 'fullOuter' | 'leftSemi';
// Two kills per type at phases and batches that differ across types: with 37 rows a trigger, batches 0-8
// carry input and 9 runs on the watermark alone, emitting outer rows it settled. Each outer and semi case
// restarts between some buffered row's match and its eviction, so a matched flag the checkpoint lost shows
// (measured: with JoinSideState.setMatched's store.touch removed, those four cases fail; other kill points
// such as afterOffsetLog:5 + afterCommit:8 for leftOuter did not).
const CASES: { how: How; kills: [string, string] }[] = [
  { how: 'leftOuter', kills: ['beforeSink:4', 'beforeCommit:9'] },
  { how: 'inner', kills: ['afterOffsetLog:1', 'afterCommit:5'] },
  { how: 'rightOuter', kills: ['beforeCommit:3', 'afterOffsetLog:6'] },
  { how: 'fullOuter', kills: ['afterCommit:3', 'beforeSink:7'] },
  { how: 'leftSemi', kills: ['afterCommit:2', 'beforeSink:4'] },
];

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; stateRows?: number }

let broker: TestBroker, dir: string, ti: string, tc: string;
beforeAll(async () => {
  broker = await startBroker();
  // One pair of topics serves every type: each run reads them from the start into its own checkpoint.
  ti = uniqueTopic('join-imps'); tc = uniqueTopic('join-clicks');
  await broker.createTopic(ti, 2);
  await broker.createTopic(tc, 2);
  await produceMany(broker.bootstrap, {
    [ti]: impressions.map((m, i) => ({ value: JSON.stringify(m), partition: i % 2 })),
    [tc]: clicks.map((c, i) => ({ value: JSON.stringify(c), partition: i % 2 })),
  });
  dir = tmpDir('join-crash');
  writeFileSync(path.join(dir, 'imps.json'), impressions.map((m) => JSON.stringify(m)).join('\n'));
  writeFileSync(path.join(dir, 'clicks.json'), clicks.map((c) => JSON.stringify(c)).join('\n'));
}, 120_000);
afterAll(async () => { await broker?.stop(); });

const json = (r: Record<string, unknown>): string => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
const counted = async (sql: string): Promise<string[]> => (await duckQuery(`SELECT *, count(*) AS n FROM (${sql}) GROUP BY ALL ORDER BY ALL`)).map(json);

describe('stream-stream joins killed and restarted', () => {
  for (const { how, kills } of CASES) {
    it(`${how}: killed at ${kills.join(' and ')}, then restarted: the output is an uncrashed run's and DuckDB's, each row once`, async () => {
      const run = (name: string, crashAt?: string) => runQueryChild<Progress>(ROOT,
        ['test/fixtures/join-query.ts', broker.bootstrap, ti, tc, path.join(dir, `${how}-cp-${name}`), path.join(dir, `${how}-out-${name}`), how],
        process.env, { crashAt }, 180_000);
      const ref = await run('ref');
      expect(ref.code, describeRun(ref)).toBe(0);
      // State is cleaned as the watermark passes: at the end (watermark ~90 min) impressions older than ~30 min
      // and clicks older than ~90 min are gone, well over 200 of the rows that came in.
      expect(ref.progress.at(-1)!.stateRows!).toBeLessThan(impressions.length + clicks.length - 200);

      for (const crashAt of kills) {
        const r = await run('crash', crashAt);
        expect(r.signal, `${crashAt}: ${describeRun(r)}`).toBe('SIGKILL');
      }
      const last = await run('crash');
      expect(last.code, describeRun(last)).toBe(0);
      expect(last.done).toBe(true);
      // The restarted run ends on the uncrashed run's last batch with the same state.
      expect(last.progress.at(-1)).toEqual(ref.progress.at(-1));

      const semi = how === 'leftSemi';
      const cols = semi ? 'adId, epoch_ms(impressionTime) AS it' : 'adId, epoch_ms(impressionTime) AS it, clickAdId, epoch_ms(clickTime) AS ct';
      const rows = (name: string) => `SELECT ${cols} FROM read_parquet('${path.join(dir, `${how}-out-${name}`)}/**/*.parquet')`;
      const got = await counted(rows('crash'));
      expect(got).toEqual(await counted(rows('ref')));

      const imps = `read_json('${path.join(dir, 'imps.json')}', columns = {adId: 'BIGINT', impressionTime: 'TIMESTAMP'})`;
      const clk = `read_json('${path.join(dir, 'clicks.json')}', columns = {clickAdId: 'BIGINT', clickTime: 'TIMESTAMP'})`;
      const on = 'clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + INTERVAL 1 HOUR';
      if (semi) {
        // Spark's left semi: an impression comes out at its first match, once, whatever matches later.
        expect(got).toEqual(await counted(`SELECT adId, epoch_ms(impressionTime) AS it FROM ${imps} WHERE EXISTS (SELECT 1 FROM ${clk} WHERE ${on})`));
        return;
      }
      const out = rows('crash');
      expect(await counted(`SELECT * FROM (${out}) WHERE adId IS NOT NULL AND clickAdId IS NOT NULL`))
        .toEqual(await counted(`SELECT adId, epoch_ms(impressionTime) AS it, clickAdId, epoch_ms(clickTime) AS ct FROM ${imps} JOIN ${clk} ON ${on}`));

      // Null-extended rows, per side: each at most once, only rows DuckDB finds no match for, and all of
      // those the final watermark settled.
      const outer = async (side: 'left' | 'right', preserved: boolean): Promise<void> => {
        const [id, time, theirs, table, other] = side === 'left'
          ? ['adId', 'impressionTime', 'clickAdId', imps, clk] : ['clickAdId', 'clickTime', 'adId', clk, imps];
        const [t, theirT] = side === 'left' ? ['it', 'ct'] : ['ct', 'it'];
        const nulls = await duckQuery(`SELECT ${id} AS id, ${t} AS t, count(*) AS n, count(${theirT}) AS filled
          FROM (${out}) WHERE ${theirs} IS NULL GROUP BY ALL ORDER BY ALL`);
        if (!preserved) { expect(nulls.map(json), `${side} rows with nulls`).toEqual([]); return; }
        const unmatched = await duckQuery(`SELECT ${id} AS id, epoch_ms(${time}) AS t FROM ${table} WHERE NOT EXISTS (SELECT 1 FROM ${other} WHERE ${on})`);
        const key = (r: Record<string, unknown>): string => `${Number(r.id)}@${iso(Number(r.t))}`;
        const none = new Set(unmatched.map(key));
        expect(nulls.filter((r) => Number(r.n) !== 1 || Number(r.filled) !== 0).map(json), `${side} rows with nulls more than once, or half null`).toEqual([]);
        expect(nulls.map(key).filter((k) => !none.has(k)), `${side} rows with nulls that matched`).toEqual([]);
        const settled = unmatched.filter((r) => Number(r.t) < SETTLED[side]).map(key);
        expect(settled.length).toBeGreaterThan(10);
        expect(nulls.map(key), `${side} rows the final watermark settled`).toEqual(expect.arrayContaining(settled));
      };
      await outer('left', how === 'leftOuter' || how === 'fullOuter');
      await outer('right', how === 'rightOuter' || how === 'fullOuter');
    }, 600_000);
  }
});
