// KafkaSource.availableOffset sends its Metadata and the ListOffsets of the partitions it knew
// together (one round trip per trigger): what it answers must still be what the broker holds now,
// after a leader moved and when the early ListOffsets failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSource } from '../src/sources/kafka/kafka-source.ts';
import { parseKafkaOptions } from '../src/sources/kafka/kafka-options.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';

const SLOW = 120_000;
const LIST_OFFSETS = 2;
let broker: TestBroker;

beforeAll(async () => { broker = await startBroker({ brokers: 2 }); }, SLOW);
afterAll(async () => { await broker?.stop(); });

const source = (topic: string): KafkaSource => new KafkaSource(parseKafkaOptions(new Map([
  ['kafka.bootstrap.servers', broker.bootstrap], ['subscribe', topic], ['startingOffsets', 'earliest'], ['fetchOffset.retryTimeoutMs', '20000'],
])));
const rows = (n: number, partition: number): { value: string; partition: number }[] => Array.from({ length: n }, (_, i) => ({ value: `v${i}`, partition }));

describe('KafkaSource.availableOffset', () => {
  it('answers what the broker holds at each call, after a leader moved and when the early ListOffsets fails', async () => {
    const topic = uniqueTopic('latest-offset');
    await broker.createTopic(topic, 2);
    expect(await broker.command(`leader ${topic} 0 1`)).toBe('ok');
    expect(await broker.command(`leader ${topic} 1 2`)).toBe('ok');
    const s = source(topic);
    try {
      await produce(broker.bootstrap, topic, [...rows(3, 0), ...rows(1, 1)]);
      expect(await s.availableOffset()).toEqual({ [topic]: { 0: 3, 1: 1 } });
      // The second call sends ListOffsets before the Metadata answers: it must not be a stale answer.
      await produce(broker.bootstrap, topic, rows(2, 0));
      expect(await s.availableOffset()).toEqual({ [topic]: { 0: 5, 1: 1 } });
      // Partition 0 moves to broker 2: the early ListOffsets goes to the old leader.
      expect(await broker.command(`leader ${topic} 0 2`)).toBe('ok');
      await produce(broker.bootstrap, topic, rows(4, 0));
      expect(await s.availableOffset()).toEqual({ [topic]: { 0: 9, 1: 1 } });
      // The early ListOffsets fails (6: NOT_LEADER_OR_FOLLOWER): the one asked again after the Metadata answers.
      expect(await broker.command(`errors ${LIST_OFFSETS} 1 6`)).toBe('ok');
      await produce(broker.bootstrap, topic, rows(1, 1));
      expect(await s.availableOffset()).toEqual({ [topic]: { 0: 9, 1: 2 } });
      expect(await s.availableOffset()).toEqual({ [topic]: { 0: 9, 1: 2 } });
    } finally {
      await broker.command(`clear ${LIST_OFFSETS}`);
      await s.stop();
    }
  }, SLOW);
});
