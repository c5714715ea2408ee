// The Kafka sink's exactly-once through real process crashes (issue 11 items 4 and 9): a query child
// (test/fixtures/kafka-sink-query.ts: Kafka -> upper(value) -> Kafka sink, availableNow, 3 batches)
// SIGKILLs itself at a named point of batch 1 (SLUICE_TEST_CRASH_AT), then a second run finishes
// the query. kcat reads the sink topic and every record is counted.
//
// Against the bare test broker: librdkafka's mock writes no transaction markers (see
// tools/kafka-front/transactions.ts), so every record ever produced is visible to any reader,
// aborted or not. A crash after the Kafka commit (or after the prepared entry, before EndTxn)
// followed by a restart that produced the batch again would therefore show as a second copy: the
// counts are exact. A crash in the middle of a batch leaves the killed attempt's records in its log.
// Through tools/kafka-front (last block), which writes the markers and aborts a crashed producer's
// transaction as Kafka's coordinator does, kcat read_committed must read every record exactly once.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatRecords, kcatProduce } from './support/kcat.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/kafka-sink-query.ts', import.meta.url));
const RECORDS = 600;
const MAX_OFFSETS = '200'; // 3 batches: 0, 1, 2
const CHILD_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 30_000);
afterAll(async () => { await broker?.stop(); });

interface Progress { batchId: number; numInputRows: number; numOutputRows: number }

const expected = Array.from({ length: RECORDS }, (_, i) => `RECORD-${i}`);

/** A source topic of RECORDS records (kcat, gzip), a sink topic, a checkpoint; one run killed at `crashAt`, one to the end. */
async function crashAndRestart(crashAt: string, guarantee: 'exactly-once' | 'at-least-once', batchSize?: string, crashAgainAt?: string,
  via: string = broker.bootstrap, beforeRestart?: () => Promise<void>) {
  const src = uniqueTopic('sink-crash-src'), dst = uniqueTopic('sink-crash-dst');
  await broker.createTopic(src, 3);
  await broker.createTopic(dst, 2);
  await kcatProduce(broker.bootstrap, src, 'gzip', expected.map((v, i) => ({ key: `k${i % 7}`, value: v.toLowerCase() })));
  const cp = tmpDir('kafka-sink-crash');
  const args = [FIXTURE, via, src, dst, cp, MAX_OFFSETS, guarantee, ...(batchSize ? [batchSize] : [])];
  const first = await runQueryChild<Progress>(ROOT, args, process.env, { crashAt }, CHILD_TIMEOUT_MS);
  expect(first.signal, first.stderr).toBe('SIGKILL');
  expect(first.progress.map((p) => p.batchId)).toEqual([0]);
  let again: string | null = null;
  if (crashAgainAt) {
    const r = await runQueryChild<Progress>(ROOT, args, process.env, { crashAt: crashAgainAt }, CHILD_TIMEOUT_MS);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    again = readFileSync(path.join(cp, 'sinks', '0', '1'), 'utf8');
  }
  await beforeRestart?.();
  const second = await runQueryChild<Progress>(ROOT, args, process.env, {}, CHILD_TIMEOUT_MS);
  expect(second.code, second.stderr).toBe(0);
  expect(second.done).toBe(true);
  const got = (await kcatRecords(via, dst, ['-X', 'isolation.level=read_committed'])).map((r) => r.value!);
  const uncommitted = (await kcatRecords(via, dst, ['-X', 'isolation.level=read_uncommitted'])).map((r) => r.value!); // librdkafka's default is read_committed
  return { got: got.sort(), uncommitted: uncommitted.sort(), second, cp, again };
}

const copies = (values: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
};

describe.skipIf(!haveKcat())('Kafka sink: crashes around the Kafka commit', () => {
  it('exactly-once, killed after the Kafka commit and before commits/1: the restart commits nothing twice', async () => {
    const { got, second, cp } = await crashAndRestart('kafkaCommitted:1', 'exactly-once');
    expect(got).toEqual([...expected].sort());
    // The restart re-ran batch 1 (no commits/1) and found it committed: it reports the batch's rows, produced nothing.
    expect(second.progress.map((p) => p.batchId)).toEqual([1, 2]);
    expect(second.progress[0]!.numOutputRows).toBe(200);
    expect(existsSync(path.join(cp, 'sinks', '0', '2'))).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('exactly-once, killed after the Kafka commit, then again after the restart had settled batch 1: the entry says committed, no second copy', async () => {
    // The restart's InitProducerId bumps the epoch (on a real broker): after it, EndTxn for the entry's epoch would be
    // answered "fenced" whether the batch committed or not. So the restart marks the entry before its InitProducerId.
    const { got, again } = await crashAndRestart('kafkaCommitted:1', 'exactly-once', undefined, 'beforeCommit:1');
    expect(JSON.parse(again!.split('\n')[1]!)).toMatchObject({ batchId: 1, records: 200, committed: true });
    expect(got).toEqual([...expected].sort());
  }, TEST_TIMEOUT_MS);

  it('exactly-once, killed after the prepared entry and before EndTxn: the restart commits that transaction and produces nothing again', async () => {
    const { got, second } = await crashAndRestart('kafkaPrepared:1', 'exactly-once');
    expect(got).toEqual([...expected].sort());
    expect(second.progress.map((p) => p.batchId)).toEqual([1, 2]);
  }, TEST_TIMEOUT_MS);

  it('exactly-once, killed after the sink returned and before commits/1 (the trigger loop\'s beforeCommit): no second copy', async () => {
    const { got } = await crashAndRestart('beforeCommit:1', 'exactly-once');
    expect(got).toEqual([...expected].sort());
  }, TEST_TIMEOUT_MS);

  it('at-least-once (Spark\'s sink), killed at the same point: batch 1 is written twice, nothing is lost', async () => {
    // The contrast that shows the counts above can fail: without the transaction log the re-run produces again.
    const { got, second } = await crashAndRestart('beforeCommit:1', 'at-least-once');
    const rerun = second.progress.find((p) => p.batchId === 1)!.numOutputRows;
    expect(rerun).toBe(200);
    const c = copies(got);
    expect([...c.keys()].sort()).toEqual([...expected].sort());
    expect([...c.values()].filter((n) => n === 2).length).toBe(rerun);
    expect(got.length).toBe(RECORDS + rerun);
  }, TEST_TIMEOUT_MS);

  it('exactly-once, killed in the middle of batch 1 (some record batches produced, the transaction open): every record is there at least once', async () => {
    // On this broker the killed attempt's records stay readable (no abort marker is ever written), so
    // exactly-once for read_committed readers needs kafka-front (see the file's header). What holds
    // here: nothing is lost, the restart produced batch 1 anew in its own transaction, and only batch 1's
    // records have a second copy (those of the attempt that was killed).
    const { got, second } = await crashAndRestart('kafkaMidBatch:1', 'exactly-once', '2048');
    expect(second.progress.map((p) => p.batchId)).toEqual([1, 2]);
    const c = copies(got);
    expect([...c.keys()].sort()).toEqual([...expected].sort());
    const twice = [...c].filter(([, n]) => n > 1);
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.length).toBeLessThan(200);
    expect(Math.max(...c.values())).toBe(2);
  }, TEST_TIMEOUT_MS);

  it('a finished query exits by itself with the broker still up: the sink closes its connections', async () => {
    const src = uniqueTopic('sink-exit-src'), dst = uniqueTopic('sink-exit-dst');
    await broker.createTopic(src, 4);
    await broker.createTopic(dst, 4);
    await kcatProduce(broker.bootstrap, src, 'none', expected.map((v, i) => ({ key: `k${i}`, value: v })));
    for (const guarantee of ['exactly-once', 'at-least-once'] as const) {
      const args = [FIXTURE, broker.bootstrap, src, dst, tmpDir('kafka-sink-exit'), MAX_OFFSETS, guarantee];
      const r = await runQueryChild<Progress>(ROOT, args, { ...process.env, SINK_EXIT_BY_ITSELF: '1' }, {}, 30_000);
      expect(r.done, r.stderr).toBe(true);
      // Killed at the 30 s deadline otherwise (signal SIGKILL, code null).
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    }
  }, TEST_TIMEOUT_MS);
});

// Through tools/kafka-front, which plays the transaction coordinator's part the mock leaves out:
// commit and abort markers, a new InitProducerId aborting its id's open transaction, read_committed
// Fetch and ListOffsets. The query and kcat both connect through it.
describe.skipIf(!haveKcat())('Kafka sink: read_committed readers through a broker that writes transaction markers', () => {
  let front: TestFront;
  beforeAll(async () => { front = await startFront({ broker }); }, 30_000);
  afterAll(async () => { await front?.stop(); });

  it('killed in the middle of batch 1: kcat read_committed reads every record exactly once; read_uncommitted also reads the killed attempt\'s', async () => {
    const { got, uncommitted, second } = await crashAndRestart('kafkaMidBatch:1', 'exactly-once', '2048', undefined, front.bootstrap);
    expect(second.progress.map((p) => p.batchId)).toEqual([1, 2]);
    expect(got).toEqual([...expected].sort());
    // What docs/kafka-sink.md says a read_uncommitted reader sees: the aborted attempt's records too.
    expect(uncommitted.length).toBeGreaterThan(RECORDS);
    expect(new Set(uncommitted).size).toBe(RECORDS);
  }, TEST_TIMEOUT_MS);

  it('killed after the prepared entry, before EndTxn: the restart commits the prepared transaction; read_committed reads every record once', async () => {
    const { got, uncommitted } = await crashAndRestart('kafkaPrepared:1', 'exactly-once', undefined, undefined, front.bootstrap);
    expect(got).toEqual([...expected].sort());
    expect(uncommitted).toEqual([...expected].sort());
  }, TEST_TIMEOUT_MS);

  it('killed after the Kafka commit, before commits/1: read_committed and read_uncommitted both read every record once', async () => {
    const { got, uncommitted } = await crashAndRestart('kafkaCommitted:1', 'exactly-once', undefined, undefined, front.bootstrap);
    expect(got).toEqual([...expected].sort());
    expect(uncommitted).toEqual([...expected].sort());
  }, TEST_TIMEOUT_MS);

  it('killed after the prepared entry, and the broker has since aborted that transaction (fenced): the restart writes the batch anew, once', async () => {
    // A transaction left open past kafka.transaction.timeout.ms is aborted by a real coordinator, which bumps the
    // epoch: EndTxn for the prepared epoch is then answered INVALID_PRODUCER_EPOCH (47). The front does time
    // transactions out, but only after the producer's timeout; to keep the test short the broker is told to
    // answer the restart's EndTxn (api key 26) that way;
    // the transaction stays open until the restart's InitProducerId, which aborts it (the front writes the markers).
    const { got, uncommitted, second } = await crashAndRestart('kafkaPrepared:1', 'exactly-once', undefined, undefined, front.bootstrap,
      async () => { expect(await broker.command('errors 26 1 47')).toBe('ok'); });
    expect(second.stderr).toMatch(/batch 1's transaction .* had been aborted by the broker .* the batch is written again/);
    expect(got).toEqual([...expected].sort());
    // The aborted first attempt's 200 records stay in the log for read_uncommitted readers.
    expect(uncommitted.length).toBe(RECORDS + 200);
  }, TEST_TIMEOUT_MS);
});
