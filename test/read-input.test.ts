// runtime/read-input.ts with a batch's offsets/<N> still being written: the Kafka read starts at once,
// but no chunk reaches the query before the write is done, and a failed write fails the batch with
// nothing used (DESIGN §4). Real broker, records produced with kcat, the real Kafka source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { haveKcat, kcatProduce } from './support/kcat.ts';
import { kafkaSource } from '../src/sources/kafka/kafka-provider.ts';
import { readInput } from '../src/runtime/read-input.ts';
import type { Source } from '../src/sources/source.ts';

let broker: TestBroker;
let topic: string;
const RECORDS = 500;

beforeAll(async () => {
  broker = await startBroker();
  topic = uniqueTopic('read-input');
  await broker.createTopic(topic, 2);
  await kcatProduce(broker.bootstrap, topic, 'none', Array.from({ length: RECORDS }, (_, i) => ({ value: `v${i}` })));
}, 120_000);
afterAll(async () => { await broker?.stop(); });

function source(): Source {
  return kafkaSource.create({ options: new Map([['kafka.bootstrap.servers', broker.bootstrap], ['subscribe', topic], ['startingOffsets', 'earliest']]) });
}

describe.skipIf(!haveKcat())('readInput while offsets/<N> is written', () => {
  it('reads the range during the write, and hands it to the query only after it', async () => {
    const s = source();
    try {
      const start = await s.initialOffset(), end = await s.latestOffset(start, 'default');
      let written = false, early = 0, rows = 0;
      let finish!: () => void;
      const logged = new Promise<void>((r) => { finish = () => { written = true; r(); }; });
      const reading = readInput(s, start, end, (chunk) => { if (!written) early++; rows += chunk.numRows; }, undefined, logged);
      // Long enough for the fetch to have come back: the chunks are held, not applied.
      await new Promise((r) => setTimeout(r, 1500));
      expect(rows).toBe(0);
      finish();
      const r = await reading;
      expect(early).toBe(0);
      expect(rows).toBe(RECORDS);
      expect(r.rows).toBe(RECORDS);
    } finally { await s.stop(); }
  }, 60_000);

  it('a failed write fails the read with its error, and no chunk was used', async () => {
    const s = source();
    try {
      const start = await s.initialOffset(), end = await s.latestOffset(start, 'default');
      let used = 0;
      const logged = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('disk full writing offsets/7')), 300));
      await expect(readInput(s, start, end, () => { used++; }, undefined, logged)).rejects.toThrow('disk full writing offsets/7');
      expect(used).toBe(0);
    } finally { await s.stop(); }
  }, 60_000);
});
