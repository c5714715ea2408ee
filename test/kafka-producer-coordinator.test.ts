// The transactional producer's coordinator requests through the errors Kafka's Java producer retries
// (issue 16: a worker stopping during a broker outage exited 1 on "AddPartitionsToTxn: Failed to find
// group coordinator"). The test broker injects them (mock_kafka's `errors <api> <count> <code>`) and
// goes down and up; kcat then reads what the transaction wrote. Before the fix each case failed:
// 9 coordinator errors after 8 tries (~3.6 s), FindCoordinator's errors and the broker down 3 s at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatConsume } from './support/kcat.ts';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { KafkaProducer } from '../src/kafka/producer.ts';
import { encodeRecordBatch } from '../src/kafka/record-batch.ts';

const ADD_PARTITIONS = 24, FIND_COORDINATOR = 10;
// NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS
const COORDINATOR_ERRORS = [16, 15, 14, 51];

let broker: TestBroker;
const clients: KafkaClient[] = [];
beforeAll(async () => { broker = await startBroker(); }, 30_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await broker?.stop();
});

function producer(tid: string, requestTimeoutMs = 30_000): KafkaProducer {
  const client = new KafkaClient({ servers: broker.brokers, clientId: 'coordinator-test', requestTimeoutMs, connectTimeoutMs: 2000 });
  clients.push(client);
  return new KafkaProducer(client, { transactionalId: tid, transactionTimeoutMs: 60_000, requestTimeoutMs, maxRequestBytes: 1 << 20 });
}

/** One transaction writing `values` to partition 0 of `topic`, committed. */
async function writeTransaction(p: KafkaProducer, topic: string, values: string[]): Promise<void> {
  await p.addPartitions([{ topic, partitions: [0] }]);
  const parts = { keys: values.map(() => null), values: values.map((v) => Buffer.from(v)) };
  await p.produce([{ topic, partition: 0, chunks: [{ count: values.length, encode: (bp) => encodeRecordBatch(parts, values.map((_, i) => i), Date.now(), 'none', bp) }] }]);
  expect(await p.endTxn(true)).toBe('done');
}

describe.skipIf(!haveKcat())('transactional producer: coordinator errors are retried within the request timeout', () => {
  it('AddPartitionsToTxn answered 9 times with the four retriable coordinator errors', async () => {
    const topic = uniqueTopic('coord-add');
    await broker.createTopic(topic, 1);
    const p = producer(`tx-${topic}`);
    await p.init();
    for (const code of [...COORDINATOR_ERRORS, ...COORDINATOR_ERRORS, 15]) expect(await broker.command(`errors ${ADD_PARTITIONS} 1 ${code}`)).toBe('ok');
    await writeTransaction(p, topic, ['a', 'b', 'c']);
    expect((await kcatConsume(broker.bootstrap, topic)).sort()).toEqual(['a', 'b', 'c']);
  }, 60_000);

  it('FindCoordinator failing (kafkajs: "Failed to find group coordinator"), then the broker down 3 s mid-transaction', async () => {
    const topic = uniqueTopic('coord-find');
    await broker.createTopic(topic, 1);
    const p = producer(`tx-${topic}`);
    expect(await broker.command(`errors ${FIND_COORDINATOR} 12 15`)).toBe('ok');
    await p.init();
    await writeTransaction(p, topic, ['x']);
    expect(await broker.command('down 1')).toBe('ok');
    const up = new Promise<string>((r) => setTimeout(() => { void broker.command('up 1').then(r); }, 3000));
    try {
      await writeTransaction(p, topic, ['y', 'z']);
    } finally {
      expect(await up).toBe('ok');
    }
    expect((await kcatConsume(broker.bootstrap, topic)).sort()).toEqual(['x', 'y', 'z']);
  }, 60_000);

  it('gives up after the request timeout with a message naming the request, the error and the option', async () => {
    const topic = uniqueTopic('coord-budget');
    await broker.createTopic(topic, 1);
    const p = producer(`tx-${topic}`, 1500);
    await p.init();
    expect(await broker.command(`errors ${ADD_PARTITIONS} 100 15`)).toBe('ok');
    try {
      await expect(p.addPartitions([{ topic, partitions: [0] }])).rejects.toThrow(/AddPartitionsToTxn: .*COORDINATOR_NOT_AVAILABLE.*retried for \d+ ms.*kafka\.request\.timeout\.ms 1500/);
    } finally {
      expect(await broker.command(`clear ${ADD_PARTITIONS}`)).toBe('ok');
    }
  }, 60_000);
});
