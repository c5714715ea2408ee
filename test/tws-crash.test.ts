// transformWithState through real process crashes: the processor's list and value state and its
// event-time timers are in the versioned store, so a SIGKILL at any phase of a batch, then a
// restart, emits every closed session exactly once, with all its events.
//
// test/fixtures/tws-query.ts runs Kafka (3 partitions) -> withWatermark('30 seconds') ->
// groupBy('user').transformWithState(sessions by an event-time timer at last event + 60 s) -> Parquet
// (availableNow, 60 records a batch, a snapshot every 2 versions, minBatchesToRetain 3). Event i is at
// T0 + i s on partition i % 3, for user u<floor(i / 5) % 60>: each user has a burst of 5 events,
// 1 s apart, then comes back 300 s later. A burst is one session, closed once the watermark passes
// its last event + 60 s, long before the user returns; so the answer does not depend on where batches
// split: at the end (W = newest event - 30 s) every burst whose last event is at or before
// newest - 90 s is one row (user, first event, 5). A restart that lost state would emit short or
// missing sessions; one that lost a timer deletion, or re-emitted a batch, would emit one twice.
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
const FIXTURE = fileURLToPath(new URL('./fixtures/tws-query.ts', import.meta.url));
const PARTITIONS = 3, MAX_OFFSETS = 60, USERS = 60, BURST = 5, STAGE = 300, T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const CHILD_TIMEOUT_MS = 60_000;

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; dropped: number; timers: number; stateRows: number }

let broker: TestBroker;
let dir: string;
beforeAll(async () => { dir = tmpDir('tws-crash'); broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); if (dir) await fs.rm(dir, { recursive: true, force: true }); });

describe('transformWithState crash recovery', () => {
  it('SIGKILL at each phase (data and no-data batches) and at random, restart: every closed session once, whole', async () => {
    const topic = uniqueTopic('tws-crash'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    await broker.createTopic(topic, PARTITIONS);
    let produced = 0;
    const produceStage = async (): Promise<number> => {
      const msgs = [];
      for (let i = produced; i < produced + STAGE; i++) {
        const user = `u${Math.floor(i / BURST) % USERS}`;
        msgs.push({ partition: i % PARTITIONS, value: JSON.stringify({ id: i, user, event_time: new Date(T0 + i * 1000).toISOString() }) });
      }
      produced += STAGE;
      await produce(broker.bootstrap, topic, msgs);
      return Math.ceil(STAGE / MAX_OFFSETS);
    };
    /** Every burst closed by the final watermark (newest - 30 s): last event + 60 s at or before it. */
    const expected = (): string[] => {
      const rows: string[] = [];
      for (let first = 0; first < produced; first += BURST) {
        if (first + BURST - 1 <= produced - 1 - 90) rows.push(`u${(first / BURST) % USERS}|${T0 + first * 1000}|${BURST}`);
      }
      return rows.sort();
    };
    const run = (o: ChildRunOptions = {}): Promise<ChildResult<Progress>> =>
      runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, String(MAX_OFFSETS)], { ...process.env }, o, CHILD_TIMEOUT_MS);
    const sessions = async (): Promise<string[]> => {
      const files = (await fs.readdir(out, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet'));
      if (!files.length) return [];
      const rows = await duckQuery(`SELECT "user" AS u, epoch_ms(sessionStart) AS s, events AS n FROM read_parquet('${out}/**/*.parquet')`);
      return rows.map((r) => `${String(r.u)}|${Number(r.s)}|${Number(r.n)}`).sort();
    };
    /** After a crash: no session twice, none short (a re-run rewrites its batch's files, it does not add to them). */
    const noDuplicate = async (where: string) => {
      const got = await sessions();
      expect(new Set(got.map((s) => s.split('|').slice(0, 2).join('|'))).size, `${where}: a session twice`).toBe(got.length);
      expect(got.filter((s) => !s.endsWith(`|${BURST}`)), `${where}: a session without all its events`).toEqual([]);
    };
    const checkOutput = async (where: string) => {
      const want = expected();
      expect(want.length).toBeGreaterThan(0);
      expect(await sessions(), `${where}: every closed session once`).toEqual(want);
    };
    const { second, last } = await crashInStages({ checkpoint: cp, run, produceStage, noDuplicate, checkOutput });
    // Stage 2's restart re-ran the no-data batch: its timers fired again on the re-run, once.
    expect(second.progress[0]!.timers).toBeGreaterThan(0);
    expect(last.progress.filter((p) => p.dropped !== 0), 'no row was late').toEqual([]);
    // Only open sessions remain, each as 9 state rows: the list's header and 5 ids, the start, the
    // timer's value and the timer itself. Closed ones left nothing behind.
    const open = produced / BURST - expected().length;
    expect(last.progress.at(-1)!.stateRows).toBe(open * (1 + BURST + 3));
    const stateFiles = await fs.readdir(path.join(cp, 'state', '0'));
    expect(stateFiles.some((f) => f.endsWith('.snapshot')), 'recovery went through snapshots').toBe(true);
    console.log(`tws-crash: ${produced} events, ${expected().length} sessions closed, ${(await lastCommittedBatch(cp)) + 1} batches`);
  }, 300_000);
});
