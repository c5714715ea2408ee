// collect_list / collect_set state through real process crashes: the aggregate state is arrays
// (array<long>, array<string>) written to the state store's delta and snapshot files as Arrow List
// columns. test/fixtures/windowed-aggs-query.ts (collect) (Kafka, 3 partitions -> windowed collect_list/collect_set ->
// append to Parquet, 40 offsets a batch, a snapshot every 2 versions) is SIGKILLed at each phase of
// the trigger loop in turn, restarted each time, then run to the end after a far-future event closes
// every window. DuckDB then reads the output: every (window, user) exactly once, its ids exactly the
// events of that window and user (no loss, no duplicate: a replayed batch must not add its values to
// state twice), its tags their distinct set.
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
beforeAll(async () => { tmp = tmpDir('collect-crash'); broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); if (tmp) await fs.rm(tmp, { recursive: true, force: true }); });

interface Ev { id: number; user_id: string; tag: string; t: number }
const events: Ev[] = Array.from({ length: EVENTS }, (_, i) => ({ id: i, user_id: `u${(i * 3) % 5}`, tag: `t${i % 4}`, t: T0 + i * 2000 }));

describe('collect_list / collect_set state survives SIGKILL at every phase of the trigger loop', () => {
  it('every (window, user) once, with exactly its ids and its distinct tags', async () => {
    const topic = uniqueTopic('collect-crash');
    await broker.createTopic(topic, 3);
    const msgs = (es: Ev[]) => es.map((e) => ({ partition: e.id % 3, value: JSON.stringify({ id: e.id, user_id: e.user_id, tag: e.tag, event_time: new Date(e.t).toISOString() }) }));
    await produce(broker.bootstrap, topic, msgs(events));
    const cp = path.join(tmp, 'cp'), out = path.join(tmp, 'out');
    const run = (crashAt?: string) => runQueryChild<{ batchId: number }>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, '40', 'collect'], process.env, { crashAt }, 60_000);
    for (const at of ['afterOffsetLog:1', 'beforeSink:2', 'beforeCommit:3', 'afterCommit:4', 'beforeCommit:6', 'beforeSink:7']) {
      const r = await run(at);
      expect(r.signal, `${at}: ${r.stderr}`).toBe('SIGKILL');
    }
    await produce(broker.bootstrap, topic, msgs([{ id: EVENTS, user_id: SENTINEL, tag: 'end', t: T0 + 86_400_000 }]));
    const last = await run();
    expect(last.code, last.stderr).toBe(0);

    const got = await duckQuery(`SELECT epoch_ms("window".start) AS start, user_id, list_sort(ids) AS ids, list_sort(tags) AS tags, n
      FROM read_parquet('${out}/*.parquet') WHERE user_id <> '${SENTINEL}' ORDER BY start, user_id`);
    const want = new Map<string, { start: number; user_id: string; ids: number[]; tags: Set<string> }>();
    for (const e of events) {
      const start = Math.floor(e.t / 60_000) * 60_000, k = `${start}/${e.user_id}`;
      const g = want.get(k) ?? { start, user_id: e.user_id, ids: [], tags: new Set<string>() };
      g.ids.push(e.id); g.tags.add(e.tag); want.set(k, g);
    }
    const expected = [...want.values()].sort((a, b) => a.start - b.start || a.user_id.localeCompare(b.user_id))
      .map((g) => ({ start: BigInt(g.start), user_id: g.user_id, ids: g.ids.map(BigInt), tags: [...g.tags].sort(), n: BigInt(g.ids.length) }));
    expect(got).toEqual(expected);
  }, 300_000);
});
