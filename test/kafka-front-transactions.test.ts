// The front's transaction coordinator (tools/kafka-front/transactions.ts) makes the test broker
// keep Kafka's transaction contract, checked with clients no one here wrote: kafkajs's
// transactional producer writes, kcat (librdkafka) reads with read_committed and read_uncommitted.
// Without the layer the mock writes no markers and kcat read_committed reads every record (see the
// evidence at the top of transactions.ts). The front stands before the project's mock only: with
// KAFKA_BOOTSTRAP_SERVERS set these tests are skipped (kafka-transactions.test.ts runs there).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { encodeFetchRequest, parseFetchResponse } from '../src/kafka/protocol.ts';
import { decodeMetadataResponse, encodeMetadataRequestAllTopics } from '../tools/kafka-front/codecs.ts';
import { ApiKey, Reader, Writer } from '../tools/kafka-front/frames.ts';
import { batches, INVALID_PRODUCER_EPOCH, readErrorAfterThrottle } from '../tools/kafka-front/txn-protocol.ts';
import { UpstreamClient } from '../tools/kafka-front/upstream.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatConsume } from './support/kcat.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { childCommand } from './support/child-bundles.ts';

const CHILD = fileURLToPath(new URL('./fixtures/txn-producer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const external = !!process.env.KAFKA_BOOTSTRAP_SERVERS?.trim();
let broker: TestBroker;
let front: TestFront;
let kafka: Kafka;
const producers: Producer[] = [];

beforeAll(async () => {
  if (external) return;
  // Two brokers: the first test puts a partition on each, so its markers go to both.
  broker = await startBroker({ brokers: 2 });
  front = await startFront({ broker });
  kafka = new Kafka({ clientId: 'front-txn-test', brokers: front.bootstrap.split(','), logLevel: logLevel.NOTHING });
}, 60_000);
afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await front?.stop();
  await broker?.stop();
});

/** A transactional producer through the front (not `idempotent: true`: see txnProducer in kafka-transactions.test.ts). */
async function txnProducer(transactionalId = uniqueTopic('txn'), transactionTimeout?: number): Promise<Producer> {
  const p = kafka.producer({ transactionalId, transactionTimeout, idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  producers.push(p);
  return p;
}

/** The brokers leading the topic's partitions. */
async function leaders(topic: string): Promise<Set<number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: [t] } = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Set(t!.partitions.map((p) => p.leader));
  } finally {
    await admin.disconnect();
  }
}

/** A raw Kafka connection through the front to the leader of `topic`/`partition`, or to the coordinator of a transactional id. */
async function frontClient(route: { topic: string; partition: number } | { transactionalId: string }): Promise<UpstreamClient> {
  const [host, port] = front.bootstrap.split(',')[0]!.split(':');
  const boot = new UpstreamClient({ nodeId: -1, host: host!, port: Number(port) });
  try {
    if ('transactionalId' in route) {
      // FindCoordinator v1: key, key_type 1 (transaction); answer throttle, error, message, node, host, port.
      const r = new Reader(await boot.request(ApiKey.FindCoordinator, 1, new Writer().string(route.transactionalId).int8(1).build()));
      r.int32();
      expect(r.int16()).toBe(0);
      r.nullableString();
      return new UpstreamClient({ nodeId: r.int32(), host: r.string(), port: r.int32() });
    }
    const md = decodeMetadataResponse(1, await boot.request(ApiKey.Metadata, 1, encodeMetadataRequestAllTopics()));
    const leader = md.topics.find((t) => t.name === route.topic)!.partitions.find((p) => p.partition === route.partition)!.leader;
    return new UpstreamClient(md.brokers.find((b) => b.nodeId === leader)!);
  } finally {
    boot.close();
  }
}

/** The high watermark of `topic`/`partition` and the producer of its first batch, from a read_uncommitted Fetch through the front. */
async function firstBatch(topic: string, partition: number): Promise<{ highWatermark: number; producerId: bigint; producerEpoch: number }> {
  const c = await frontClient({ topic, partition });
  try {
    const body = await c.request(ApiKey.Fetch, 11, encodeFetchRequest(11, {
      maxWaitTime: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition, fetchOffset: 0, maxBytes: 1 << 20 }] }],
    }));
    const [p] = parseFetchResponse(11, body).partitions;
    const [b] = batches(p!.buf.subarray(p!.start, p!.end), 0, p!.end - p!.start);
    return { highWatermark: p!.highWatermark, producerId: b!.producerId, producerEpoch: b!.producerEpoch };
  } finally {
    c.close();
  }
}

/** EndTxn v1 for `id`, sent through the front to the transactional id's coordinator; resolves to its error code. */
async function endTxn(transactionalId: string, id: { producerId: bigint; producerEpoch: number }, commit: boolean): Promise<number> {
  const c = await frontClient({ transactionalId });
  try {
    return readErrorAfterThrottle(await c.request(ApiKey.EndTxn, 1, new Writer().string(transactionalId).int64(id.producerId).int16(id.producerEpoch).int8(commit ? 1 : 0).build()));
  } finally {
    c.close();
  }
}

/** Runs test/fixtures/txn-producer.ts: it begins a transaction, writes `n` records to each partition, and is SIGKILLed. */
async function killedMidTransaction(topic: string, transactionalId: string, n: number): Promise<void> {
  const child = spawn(process.execPath, childCommand([CHILD, front.bootstrap, topic, transactionalId, String(n), 'killed']), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  const sent = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 60_000);
    createInterface({ input: child.stdout }).on('line', (l) => { if (l.includes('"sent"')) { clearTimeout(timer); resolve(true); } });
    child.once('close', () => resolve(false));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(sent, `the child producer did not report its records sent: ${stderr}`).toBe(true);
}

/** `n` values tagged `tag` on each of partitions 0 and 1. */
const vals = (tag: string, n: number): { value: string; partition: number }[] =>
  [0, 1].flatMap((partition) => Array.from({ length: n }, (_, i) => ({ value: `${tag}-p${partition}-${i}`, partition })));
const sorted = (...groups: { value: string }[][]): string[] => groups.flat().map((v) => v.value).sort();
const readCommitted = ['-X', 'isolation.level=read_committed'];
const readUncommitted = ['-X', 'isolation.level=read_uncommitted'];

describe.skipIf(!haveKcat() || external)('kcat through the front sees Kafka transactions', () => {
  it('read_committed reads exactly the committed and plain records; read_uncommitted reads all; an open transaction holds the LSO until it commits', async () => {
    const topic = uniqueTopic('front-txn');
    await broker.createTopic(topic, 2);
    // The mock may put both partitions on one broker.
    for (const partition of [0, 1]) expect(await broker.command(`leader ${topic} ${partition} ${partition + 1}`)).toBe('ok');
    expect(await leaders(topic)).toEqual(new Set([1, 2]));
    const a = await txnProducer(), b = await txnProducer();
    await produce(front.bootstrap, topic, vals('plain0', 2));
    let ta = await a.transaction();
    await ta.send({ topic, acks: -1, messages: vals('commit1', 3) });
    const tb = await b.transaction();
    await tb.send({ topic, acks: -1, messages: vals('abort1', 3) }); // interleaved with a's committed one
    await ta.send({ topic, acks: -1, messages: vals('commit1b', 1) });
    await tb.abort();
    await ta.commit();
    await produce(front.bootstrap, topic, vals('plain1', 2));
    ta = await a.transaction();
    await ta.send({ topic, acks: -1, messages: vals('abort2', 4) });
    await ta.abort();
    const committed = sorted(vals('plain0', 2), vals('commit1', 3), vals('commit1b', 1), vals('plain1', 2));
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(committed);

    // Open: it, and the plain records after it, wait for its end; read_uncommitted sees them now.
    const open = await b.transaction();
    await open.send({ topic, acks: -1, messages: vals('open', 2) });
    await produce(front.bootstrap, topic, vals('plain2', 1));
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(committed);
    const everything = [...committed, ...sorted(vals('abort1', 3), vals('abort2', 4), vals('open', 2), vals('plain2', 1))].sort();
    expect((await kcatConsume(front.bootstrap, topic, readUncommitted)).sort()).toEqual(everything);
    await open.commit();
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual([...committed, ...sorted(vals('open', 2), vals('plain2', 1))].sort());
  }, 120_000);

  it('a transactional producer SIGKILLed mid-transaction: its successor with the same transactional id aborts the open transaction, whose records read_committed never shows', async () => {
    const topic = uniqueTopic('front-txn-kill'), transactionalId = uniqueTopic('txn-kill');
    await broker.createTopic(topic, 2);
    const first = await txnProducer(transactionalId);
    const t1 = await first.transaction();
    await t1.send({ topic, acks: -1, messages: vals('before', 2) });
    await t1.commit();
    await first.disconnect();

    await killedMidTransaction(topic, transactionalId, 5);
    // The killed producer's records are in the log, its transaction open: they hold read_committed readers back.
    expect((await kcatConsume(front.bootstrap, topic, readUncommitted)).sort()).toEqual(sorted(vals('before', 2), vals('killed', 5)));
    await produce(front.bootstrap, topic, vals('plain', 1));
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('before', 2)));

    // The successor: its first transaction() asks InitProducerId, which aborts the predecessor's transaction.
    const next = await txnProducer(transactionalId);
    const t2 = await next.transaction();
    await t2.send({ topic, acks: -1, messages: vals('after', 3) });
    await t2.commit();
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('before', 2), vals('plain', 1), vals('after', 3)));
    expect((await kcatConsume(front.bootstrap, topic, readUncommitted)).sort())
      .toEqual(sorted(vals('before', 2), vals('killed', 5), vals('plain', 1), vals('after', 3)));
  }, 120_000);

  it("EndTxn(commit) for a SIGKILLed producer's recorded id and epoch, from a new connection, commits its open transaction (the Kafka sink's recovery); again: success and no second marker; after a newer InitProducerId: INVALID_PRODUCER_EPOCH", async () => {
    const topic = uniqueTopic('front-txn-recover'), transactionalId = uniqueTopic('txn-recover');
    await broker.createTopic(topic, 2);
    await killedMidTransaction(topic, transactionalId, 3);
    const id = await firstBatch(topic, 0);
    expect(await kcatConsume(front.bootstrap, topic, readCommitted)).toEqual([]);
    expect(await endTxn(transactionalId, id, true)).toBe(0);
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('killed', 3)));
    const ends = [(await firstBatch(topic, 0)).highWatermark, (await firstBatch(topic, 1)).highWatermark];
    expect(ends).toEqual([4, 4]); // 3 records and the commit marker
    expect(await endTxn(transactionalId, id, true)).toBe(0); // a retried commit: done already
    expect([(await firstBatch(topic, 0)).highWatermark, (await firstBatch(topic, 1)).highWatermark]).toEqual(ends);
    const next = await txnProducer(transactionalId);
    const t = await next.transaction();
    await t.send({ topic, acks: -1, messages: vals('next', 1) });
    expect(await endTxn(transactionalId, id, true)).toBe(INVALID_PRODUCER_EPOCH);
    await t.commit();
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('killed', 3), vals('next', 1)));
  }, 120_000);

  it('markers the leader refuses at first (NOT_LEADER_OR_FOLLOWER) are retried until it takes them', async () => {
    const topic = uniqueTopic('front-txn-retry');
    await broker.createTopic(topic, 2);
    const p = await txnProducer();
    const t = await p.transaction();
    await t.send({ topic, acks: -1, messages: vals('retried', 2) });
    expect(await broker.command('errors 0 3 6')).toBe('ok'); // the next 3 Produce requests, the markers', answer error 6
    await t.commit();
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('retried', 2)));
  }, 120_000);
});

describe.skipIf(!haveKcat() || external)('fencing, as the coordinator does it', () => {
  it('a producer whose transactional id has a newer producer can neither send nor commit; its open transaction was aborted', async () => {
    const topic = uniqueTopic('front-txn-zombie'), transactionalId = uniqueTopic('txn-zombie');
    await broker.createTopic(topic, 2);
    const zombie = await txnProducer(transactionalId);
    const tz = await zombie.transaction();
    const onP0 = (v: { partition: number }): boolean => v.partition === 0;
    await tz.send({ topic, acks: -1, messages: vals('zombie', 2).filter(onP0) });
    const next = await txnProducer(transactionalId);
    const tn = await next.transaction(); // InitProducerId: the zombie's transaction is aborted, the zombie fenced
    await tn.send({ topic, acks: -1, messages: vals('next', 2) });
    // To partition 1, new to its transaction: AddPartitionsToTxn is refused, then (to 0) Produce is.
    await expect(tz.send({ topic, acks: -1, messages: vals('zombieLate', 1).filter((v) => !onP0(v)) })).rejects.toThrow(/epoch/i);
    await expect(tz.send({ topic, acks: -1, messages: vals('zombieLate', 1).filter(onP0) })).rejects.toThrow(/epoch/i);
    await expect(tz.commit()).rejects.toThrow(/epoch/i);
    await tn.commit();
    expect((await kcatConsume(front.bootstrap, topic, readCommitted)).sort()).toEqual(sorted(vals('next', 2)));
    expect((await kcatConsume(front.bootstrap, topic, readUncommitted)).sort()).toEqual(sorted(vals('next', 2), vals('zombie', 2).filter(onP0)));
  }, 120_000);

  it('a transaction open longer than its producer\'s transactionTimeout is aborted, and its producer fenced', async () => {
    const topic = uniqueTopic('front-txn-timeout');
    await broker.createTopic(topic, 2);
    const p = await txnProducer(uniqueTopic('txn-timeout'), 5_000); // long enough for the first kcat read below on a busy machine
    const t = await p.transaction();
    await t.send({ topic, acks: -1, messages: vals('timedOut', 2) });
    await produce(front.bootstrap, topic, vals('plain', 1));
    expect(await kcatConsume(front.bootstrap, topic, readCommitted)).toEqual([]); // the open transaction holds the LSO
    // The markers land on the two partitions one after the other: wait for both.
    let seen: string[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until && seen.length < 2; await new Promise((r) => setTimeout(r, 250))) {
      seen = await kcatConsume(front.bootstrap, topic, readCommitted);
    }
    expect(seen.sort()).toEqual(sorted(vals('plain', 1)));
    await expect(t.commit()).rejects.toThrow(/epoch/i);
  }, 120_000);
});

describe.skipIf(external)('offsets sent in a transaction reach the group only when it commits', () => {
  it('TxnOffsetCommit of an aborted transaction leaves the group as it was; of a committed one (offsets only, no records), sets its offsets', async () => {
    const topic = uniqueTopic('front-txn-offsets'), groupId = uniqueTopic('txn-group');
    await broker.createTopic(topic, 2);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const committedOffsets = async (): Promise<Record<number, string>> => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return Object.fromEntries(t!.partitions.map((p) => [p.partition, p.offset]));
      };
      const p = await txnProducer();
      let t = await p.transaction();
      await t.send({ topic, acks: -1, messages: vals('x', 1) });
      await t.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '9' }] }] });
      await t.abort();
      expect(await committedOffsets()).toEqual({ 0: '-1', 1: '-1' });
      t = await p.transaction(); // offsets only, no records
      await t.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '5' }] }] });
      expect(await committedOffsets()).toEqual({ 0: '-1', 1: '-1' }); // held until the commit
      await t.commit();
      expect(await committedOffsets()).toEqual({ 0: '3', 1: '5' });
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});
