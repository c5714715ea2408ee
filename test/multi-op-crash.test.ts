// Three stateful operators in one query through real process crashes: dropDuplicatesWithinWatermark
// -> 10-second windows -> minute windows of window_time (test/fixtures/multi-op-query.ts). Each
// operator keeps its own store (state/0 the minute windows, state/1 the 10-second ones, state/2
// the dedup keys, Spark's numbering) and all three are versioned with the batch, so a SIGKILL at
// any phase of a batch, then a restart, writes every closed minute exactly once with the totals
// of its original events.
//
// Event i (id i, amount i % 7 + 1) is at T0 + i s on partition i % 3; every fifth has a copy (same
// id, 2 s later) right after it on its partition, which the dedup drops. The watermark trails the
// newest event by 30 s and partitions are read evenly, so no event is late: the answer is every
// minute that ends at or before the final watermark, with 6 windows, 60 events and the sum of its amounts,
// which DuckDB's batch SQL over the messages sent also computes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild, type ChildRunOptions, type ChildResult, lastCommittedBatch } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';
import { crashInStages } from './support/crash-stages.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/multi-op-query.ts', import.meta.url));
const PARTITIONS = 3, MAX_OFFSETS = 60, STAGE = 300, T0 = Date.UTC(2024, 4, 1, 12, 0, 0), DELAY_MS = 30_000;
const CHILD_TIMEOUT_MS = 30_000;

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; dropped: number[]; stateRows: number[] }
type Minute = [minuteMs: number, windows: number, events: number, amount: number];

let broker: TestBroker;
let dir: string;
beforeAll(async () => { dir = tmpDir('multi-op-crash'); broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); if (dir) await fs.rm(dir, { recursive: true, force: true }); });

describe('dedup -> aggregate -> aggregate crash recovery', () => {
  it('SIGKILL at each phase (data and no-data batches) and at random, restart: every closed minute once, with its totals', async () => {
    const topic = uniqueTopic('multi-op-crash'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    await broker.createTopic(topic, PARTITIONS);
    let produced = 0, maxEventMs = 0;
    const sent: string[] = [];
    const produceStage = async (): Promise<number> => {
      const msgs = [];
      for (let i = produced; i < produced + STAGE; i++) {
        const t = T0 + i * 1000, partition = i % PARTITIONS, body = { id: i, amount: i % 7 + 1 };
        msgs.push({ partition, value: JSON.stringify({ ...body, event_time: new Date(t).toISOString() }) });
        maxEventMs = Math.max(maxEventMs, t);
        if (i % 5 === 0) {
          msgs.push({ partition, value: JSON.stringify({ ...body, event_time: new Date(t + 2000).toISOString() }) });
          maxEventMs = Math.max(maxEventMs, t + 2000);
        }
      }
      produced += STAGE;
      sent.push(...msgs.map((m) => m.value));
      await produce(broker.bootstrap, topic, msgs);
      return Math.ceil(msgs.length / MAX_OFFSETS);
    };
    /** The model: minutes closed by the final watermark, from the original events only. */
    const expected = (): Minute[] => {
      const watermark = maxEventMs - DELAY_MS, minutes = new Map<number, Minute>();
      for (let i = 0; i < produced; i++) {
        const t = T0 + i * 1000, m = t - (t % 60_000);
        if (m + 60_000 > watermark) continue;
        const row = minutes.get(m) ?? [m, 6, 0, 0];
        row[2]++; row[3] += i % 7 + 1;
        minutes.set(m, row);
      }
      return [...minutes.values()];
    };
    /**
     * DuckDB's batch answer over every message sent, copies included: distinct ids, then the
     * 10-second windows and the minutes, keeping the minutes the final watermark closed.
     */
    const oracle = async (): Promise<Minute[]> => {
      const file = path.join(dir, 'sent.jsonl');
      await fs.writeFile(file, sent.join('\n'));
      return (await duckQuery(`WITH events AS (
          SELECT id, any_value(amount) AS amount, min(CAST(event_time AS TIMESTAMP)) AS t
          FROM read_json('${file}', columns = {id: 'BIGINT', amount: 'BIGINT', event_time: 'VARCHAR'}) GROUP BY id),
        windows AS (SELECT time_bucket(INTERVAL 10 SECOND, t) AS w, count(*) AS n, sum(amount) AS amount FROM events GROUP BY w)
        SELECT epoch_ms(time_bucket(INTERVAL 1 MINUTE, w)) AS m, count(*) AS windows, sum(n) AS events, sum(amount) AS amount
        FROM windows GROUP BY m HAVING m + 60000 <= ${maxEventMs - DELAY_MS} ORDER BY m`))
        .map((r): Minute => [Number(r.m), Number(r.windows), Number(r.events), Number(r.amount)]);
    };
    const run = (o: ChildRunOptions = {}): Promise<ChildResult<Progress>> =>
      runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, String(MAX_OFFSETS)], { ...process.env }, o, CHILD_TIMEOUT_MS);
    const written = async (): Promise<Minute[]> => {
      const files = (await fs.readdir(out, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet'));
      if (!files.length) return [];
      return (await duckQuery(`SELECT epoch_ms(minute) AS m, windows, events, amount FROM read_parquet('${out}/**/*.parquet') ORDER BY m, events`))
        .map((r): Minute => [Number(r.m), Number(r.windows), Number(r.events), Number(r.amount)]);
    };
    /** After a crash: no minute written twice, and each one written is whole (a re-run rewrites its batch's files). */
    const noDuplicate = async (where: string) => {
      const got = await written();
      expect(new Set(got.map((m) => m[0])).size, `${where}: a minute twice`).toBe(got.length);
      const model = new Map(expected().map((m) => [m[0], m]));
      for (const m of got) expect(m, `${where}: minute ${new Date(m[0]).toISOString()}`).toEqual(model.get(m[0]) ?? m);
    };
    const checkOutput = async (where: string) => {
      const got = await written();
      expect(got, `${where}: every closed minute once, as the model says`).toEqual(expected());
      expect(got, `${where}: and as DuckDB computes it from the messages sent`).toEqual(await oracle());
    };
    const { first, last } = await crashInStages({ checkpoint: cp, run, produceStage, noDuplicate, checkOutput });
    expect(first.progress.every((p) => p.stateRows.length === 3), 'one progress entry per operator').toBe(true);
    expect(last.progress.filter((p) => p.dropped.some((d) => d !== 0)), 'nothing is late').toEqual([]);
    // After the last no-data batch (W = newest event - 30 s = T0 + 1169 s), in Spark's order: the one
    // minute still open; the 10-second windows ending after W ([1160, 1170) to [1190, 1200)); the dedup
    // keys whose expiry (event time + 30 s) is after W, those of the last 60 s.
    const final = last.progress.at(-1)!.stateRows;
    expect(final, 'state rows per operator').toEqual([1, 4, 60]);
    for (const op of ['0', '1', '2']) {
      const files = await fs.readdir(path.join(cp, 'state', op));
      expect(files.some((f) => f.endsWith('.snapshot')), `state/${op} recovered through snapshots`).toBe(true);
    }
    console.log(`multi-op-crash: ${produced} events, ${expected().length} minutes, ${(await lastCommittedBatch(cp)) + 1} batches, final state rows ${JSON.stringify(final)}`);
  }, 240_000);
});
