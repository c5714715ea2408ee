// kafka/request-queue-idle.ts: kafkajs 2.2.4's RequestQueue looked at its pending requests every
// millisecond or so for as long as a connection was open, none pending (kafkajs issue #1556). With
// the fix an idle connection to the real test broker makes no such look, and requests that must wait
// in the queue (throttled by the broker, or over the in-flight limit) are still sent when they may be.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { stopIdleRequestChecks } from '../src/kafka/request-queue-idle.ts';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  push(r: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  checkPendingRequests(): void;
  destroy(): void;
}
interface Entry { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve: () => void; reject: () => void }
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
  new (o: object): Queue;
  prototype: Queue;
};
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Counts RequestQueue's looks at its pending requests while `during` runs (the real method still runs). */
async function looks(during: () => Promise<void>): Promise<number> {
  const proto = RequestQueue.prototype, check = proto.checkPendingRequests;
  let n = 0;
  proto.checkPendingRequests = function (this: Queue) { n++; check.call(this); };
  try { await during(); } finally { proto.checkPendingRequests = check; }
  return n;
}

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

describe('kafkajs request queue while idle', () => {
  it('an idle connection to the broker looks at its queue only when a response comes', async () => {
    const topic = uniqueTopic('queue-idle');
    await broker.createTopic(topic, 2);
    const client = new KafkaClient({ servers: broker.bootstrap.split(','), clientId: 'queue-idle', requestTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
    try {
      const parts = await client.partitions([topic]);
      expect(parts.get(topic)).toEqual([0, 1]);
      // 500 ms with nothing sent: before the fix, ~one look a millisecond per connection.
      expect(await looks(() => sleep(500))).toBe(0);
      // A request and its response: the queue looks when the response comes, then is quiet again.
      const during = await looks(async () => { expect(await client.offsets(parts, false)).toEqual({ [topic]: { 0: 0, 1: 0 } }); await sleep(300); });
      expect(during).toBeGreaterThan(0);
      expect(during).toBeLessThan(10);
    } finally { await client.close(); }
  }, 60_000);

  it('a request that waits (throttled, or over the in-flight limit) is still sent when it may be', async () => {
    stopIdleRequestChecks();
    const q = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'none', logger: quiet });
    const sent: number[] = [];
    const entry = (id: number): Entry => ({ correlationId: id, apiKey: 3, apiName: 'Metadata', apiVersion: 0, resolve: () => undefined, reject: () => undefined });
    const push = (id: number) => q.push({ entry: entry(id), expectResponse: true, sendRequest: () => sent.push(id) });
    try {
      // Over the in-flight limit: the second waits for the first's response.
      push(1); push(2);
      expect(sent).toEqual([1]);
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1, 2]);
      q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
      // Throttled by the broker for 60 ms: the request is sent once the throttle ends, by the look it scheduled.
      const t0 = Date.now();
      q.throttledUntil = t0 + 60;
      push(3);
      expect(sent).toEqual([1, 2]);
      for (let i = 0; i < 100 && sent.length < 3; i++) await sleep(10);
      expect(sent).toEqual([1, 2, 3]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
      q.fulfillRequest({ correlationId: 3, payload: Buffer.alloc(0), size: 0 });
      // Nothing pending: no look is scheduled.
      expect(await looks(() => sleep(200))).toBe(0);
      expect(q.pending).toEqual([]);
    } finally { q.destroy(); }
  });
});
