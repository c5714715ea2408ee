// The states of the new aggregates through real process crashes: moments (five doubles),
// count(DISTINCT)'s set and percentile_approx's values (arrays in the state store's delta and
// snapshot files), max_by/min_by's (value, ord, set) columns. test/fixtures/windowed-aggs-query.ts (stats)
// (Kafka, 3 partitions -> windowed aggregates -> append to Parquet, 40 offsets a batch, a
// snapshot every 2 versions) is SIGKILLed at each phase of the trigger loop in turn, restarted
// each time, then run to the end after a far-future event closes every window. DuckDB then reads
// the output: every (window, user) exactly once with the answers computed here from the events;
// a replayed batch folded into state twice would change n, the moments and the percentiles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/windowed-aggs-query.ts', import.meta.url));
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const EVENTS = 400;
const SENTINEL = 'zz-end';

let broker: TestBroker;
let tmp: string;
beforeAll(async () => { tmp = tmpDir('aggs-crash'); broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); if (tmp) await fs.rm(tmp, { recursive: true, force: true }); });

interface Ev { id: number; user_id: string; tag: string; amount: number; t: number }
// Amounts are distinct, so max_by/min_by have no ties.
const events: Ev[] = Array.from({ length: EVENTS }, (_, i) => ({ id: i, user_id: `u${(i * 3) % 5}`, tag: `t${(i * 7) % 6}`, amount: ((i * 37) % 101) + i / 1000, t: T0 + i * 2000 }));

interface Want { start: number; user_id: string; evs: Ev[] }
function expected(g: Want) {
  const xs = g.evs.map((e) => e.amount), n = xs.length, mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0), sorted = [...xs].sort((a, b) => a - b);
  const top = g.evs.reduce((a, e) => (e.amount > a.amount ? e : a)), low = g.evs.reduce((a, e) => (e.amount < a.amount ? e : a));
  const rank = (p: number) => sorted[Math.max(1, Math.ceil(p * n)) - 1]!;
  return { tags: new Set(g.evs.map((e) => e.tag)).size, sd: n < 2 ? null : Math.sqrt(ss / (n - 1)), vp: ss / n, top: top.id, low_tag: low.tag, pct: [rank(0.5), rank(0.9)], n };
}

describe('count(DISTINCT), stddev/var, max_by/min_by and percentile_approx state survives SIGKILL at every phase of the trigger loop', () => {
  it('every (window, user) once, with the answers of exactly its events', async () => {
    const topic = uniqueTopic('aggs-crash');
    await broker.createTopic(topic, 3);
    const msgs = (es: Ev[]) => es.map((e) => ({ partition: e.id % 3, value: JSON.stringify({ id: e.id, user_id: e.user_id, tag: e.tag, amount: e.amount, event_time: new Date(e.t).toISOString() }) }));
    await produce(broker.bootstrap, topic, msgs(events));
    const cp = path.join(tmp, 'cp'), out = path.join(tmp, 'out');
    const run = (crashAt?: string) => runQueryChild<{ batchId: number }>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, '40', 'stats'], process.env, { crashAt }, 60_000);
    for (const at of ['afterOffsetLog:1', 'beforeSink:2', 'beforeCommit:3', 'afterCommit:4', 'beforeCommit:6', 'beforeSink:7']) {
      const r = await run(at);
      expect(r.signal, `${at}: ${r.stderr}`).toBe('SIGKILL');
    }
    await produce(broker.bootstrap, topic, msgs([{ id: EVENTS, user_id: SENTINEL, tag: 'end', amount: 0, t: T0 + 86_400_000 }]));
    const last = await run();
    expect(last.code, last.stderr).toBe(0);

    const got = await duckQuery(`SELECT epoch_ms("window".start) AS start, user_id, tags, sd, vp, top, low_tag, pct, n
      FROM read_parquet('${out}/*.parquet') WHERE user_id <> '${SENTINEL}' ORDER BY start, user_id`);
    const want = new Map<string, Want>();
    for (const e of events) {
      const start = Math.floor(e.t / 60_000) * 60_000, k = `${start}/${e.user_id}`;
      const g = want.get(k) ?? { start, user_id: e.user_id, evs: [] };
      g.evs.push(e); want.set(k, g);
    }
    const groups = [...want.values()].sort((a, b) => a.start - b.start || (a.user_id < b.user_id ? -1 : 1));
    expect(got.map((r) => [Number(r.start), r.user_id])).toEqual(groups.map((g) => [g.start, g.user_id]));
    groups.forEach((g, k) => {
      const w = expected(g), r = got[k]!, at = `${g.start}/${g.user_id}`;
      expect({ tags: Number(r.tags), top: Number(r.top), low_tag: r.low_tag, pct: r.pct, n: Number(r.n) }, at)
        .toEqual({ tags: w.tags, top: w.top, low_tag: w.low_tag, pct: w.pct, n: w.n });
      if (w.sd === null) expect(r.sd, at).toBeNull(); else expect(r.sd as number, at).toBeCloseTo(w.sd, 9);
      expect(r.vp as number, at).toBeCloseTo(w.vp, 9);
    });
  }, 300_000);
});
