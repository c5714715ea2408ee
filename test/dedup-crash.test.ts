// dropDuplicatesWithinWatermark through real process crashes: its state (keys and their expiry) is
// in the versioned store, so a SIGKILL at any phase of a batch, then a restart, emits every
// first row exactly once and no duplicate.
//
// test/fixtures/dedup-query.ts runs Kafka (3 partitions) -> from_json -> withWatermark('30 seconds') ->
// dropDuplicatesWithinWatermark('order_id') -> Parquet (availableNow, 60 records a batch, a snapshot
// every 2 versions, minBatchesToRetain 3). Event i has key k<i % 300> at T0 + i s on partition i % 3,
// and every fifth has a copy (same key, 2 s later, new id) right after it on its partition. A copy
// comes while its key is remembered (expiry = event time + 30 s, the watermark trails the newest
// event by 30 s): it is a duplicate. A key comes back 300 s later, long after its expiry passed the
// watermark and its state row was evicted: it is new. So the answer does not depend on where batches
// split: every original once, no copy. A restart that lost state would emit copies; one that lost
// evictions would drop originals.
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
const FIXTURE = fileURLToPath(new URL('./fixtures/dedup-query.ts', import.meta.url));
const PARTITIONS = 3, MAX_OFFSETS = 60, KEYS = 300, T0 = Date.UTC(2024, 4, 1, 12, 0, 0), COPY_ID = 1_000_000;
const CHILD_TIMEOUT_MS = 30_000;

interface Progress { batchId: number; numInputRows: number; numOutputRows: number; dropped: number; duplicates: number; stateRows: number }

let broker: TestBroker;
let dir: string;
beforeAll(async () => { dir = tmpDir('dedup-crash'); broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); if (dir) await fs.rm(dir, { recursive: true, force: true }); });

describe('dropDuplicatesWithinWatermark crash recovery', () => {
  it('SIGKILL at each phase (data and no-data batches) and at random, restart: every first row once, no duplicate', async () => {
    const topic = uniqueTopic('dedup-crash'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    await broker.createTopic(topic, PARTITIONS);
    let produced = 0, messages = 0;
    const originals: number[] = [];
    const produceStage = async (n: number): Promise<number> => {
      const msgs = [];
      for (let i = produced; i < produced + n; i++) {
        const t = T0 + i * 1000, key = `k${i % KEYS}`, partition = i % PARTITIONS;
        originals.push(i);
        msgs.push({ partition, value: JSON.stringify({ id: i, order_id: key, event_time: new Date(t).toISOString() }) });
        if (i % 5 === 0) msgs.push({ partition, value: JSON.stringify({ id: COPY_ID + i, order_id: key, event_time: new Date(t + 2000).toISOString() }) });
      }
      produced += n; messages += msgs.length;
      await produce(broker.bootstrap, topic, msgs);
      return Math.ceil(msgs.length / MAX_OFFSETS);
    };
    const run = (o: ChildRunOptions = {}): Promise<ChildResult<Progress>> =>
      runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, String(MAX_OFFSETS)], { ...process.env }, o, CHILD_TIMEOUT_MS);
    const ids = async (): Promise<number[]> => {
      const files = (await fs.readdir(out, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet'));
      if (!files.length) return [];
      return (await duckQuery(`SELECT id FROM read_parquet('${out}/**/*.parquet') ORDER BY id`)).map((r) => Number(r.id));
    };
    /** After a crash: whatever is visible has no id twice and no copy (a re-run rewrites its batch's files, it does not add to them). */
    const noDuplicate = async (where: string) => {
      const got = await ids();
      expect(new Set(got).size, `${where}: an id twice`).toBe(got.length);
      expect(got.filter((id) => id >= COPY_ID), `${where}: copies emitted`).toEqual([]);
    };
    const checkOutput = async (where: string) => {
      expect(await ids(), `${where}: the output is every original once`).toEqual(originals);
    };
    const { last } = await crashInStages({ checkpoint: cp, run, produceStage: () => produceStage(KEYS), noDuplicate, checkOutput });
    // Nothing was late (the test is built so) and the state is bounded: after the final no-data batch
    // (W = newest - 30 s) only keys with event time + 30 s > W remain, the last 60 events' keys.
    expect(last.progress.filter((p) => p.dropped !== 0)).toEqual([]);
    expect(last.progress.at(-1)!.stateRows).toBe(60);
    const stateFiles = await fs.readdir(path.join(cp, 'state', '0'));
    expect(stateFiles.some((f) => f.endsWith('.snapshot')), 'recovery went through snapshots').toBe(true);
    console.log(`dedup-crash: ${produced} originals + ${messages - produced} copies, ${(await lastCommittedBatch(cp)) + 1} batches`);
  }, 180_000);
});
