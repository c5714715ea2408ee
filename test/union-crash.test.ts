// A union of two Kafka streams survives SIGKILL with exactly-once output (issue 13): the query of
// test/fixtures/union-query.ts is killed at each phase of the trigger loop in turn, restarted on
// its checkpoint each time, and at the end DuckDB reads every record of both topics exactly once.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { ROOT } from './support/cli.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

let broker: TestBroker;
const A = 300, B = 200;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

describe('union of two Kafka streams', () => {
  it('killed in every phase of several batches, then restarted: each record of both topics is in the Parquet output once', async () => {
    const ta = uniqueTopic('union-a'), tb = uniqueTopic('union-b');
    await broker.createTopic(ta, 2);
    await broker.createTopic(tb, 3);
    await produce(broker.bootstrap, ta, Array.from({ length: A }, (_, i) => ({ value: `a${i}`, partition: i % 2 })));
    await produce(broker.bootstrap, tb, Array.from({ length: B }, (_, i) => ({ value: `b${i}`, partition: i % 3 })));
    const dir = tmpDir('union-crash'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    const args = ['test/fixtures/union-query.ts', broker.bootstrap, ta, tb, cp, out];
    const kills = ['afterOffsetLog:1', 'beforeSink:2', 'beforeCommit:3', 'afterCommit:4', 'beforeSink:6'];
    for (const crashAt of kills) {
      const r = await runQueryChild(ROOT, args, process.env, { crashAt }, 120_000);
      expect(r.signal, `${crashAt}: ${r.stderr}`).toBe('SIGKILL');
    }
    const last = await runQueryChild(ROOT, args, process.env, {}, 120_000);
    expect(last.code, last.stderr).toBe(0);
    expect(last.done).toBe(true);
    const rows = await duckQuery(`SELECT source, value, count(*) AS n FROM read_parquet('${out}/**/*.parquet') GROUP BY ALL`);
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(rows.filter((r) => r.source === ta)).toHaveLength(A);
    expect(rows.filter((r) => r.source === tb)).toHaveLength(B);
    expect(new Set(rows.map((r) => r.value))).toEqual(new Set([...Array.from({ length: A }, (_, i) => `a${i}`), ...Array.from({ length: B }, (_, i) => `b${i}`)]));
  }, 600_000);
});
