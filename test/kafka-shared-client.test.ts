// A scale-out worker's tasks share one Kafka client (src/kafka/shared-client.ts): four task sources over
// partitions 0..3 of one topic, polling their latest offsets together as idle trigger loops do, through
// tools/kafka-front with a hook that counts each client's connections and requests. Shared, they open one
// client's connections and send about a quarter of the Metadata and ListOffsets requests of four own clients,
// and each still gets its own partition's answer; closing some handles leaves the others working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { kafkaSource } from '../src/sources/kafka/kafka-provider.ts';
import type { Source } from '../src/sources/source.ts';
import type { HookFactory } from '../tools/kafka-front/hooks.ts';

const LIST_OFFSETS = 2, METADATA = 3, POLLS = 20;

let broker: TestBroker, front: TestFront;
const topic = uniqueTopic('shared-client');
/** Per client id: its connections, and its requests by API key. */
const seen = new Map<string, { connections: Set<number>; requests: Map<number, number> }>();
const counting: HookFactory = () => ({
  onRequest(req) {
    const c = seen.get(req.clientId ?? '') ?? { connections: new Set(), requests: new Map() };
    seen.set(req.clientId ?? '', c);
    c.connections.add(req.connection.id);
    c.requests.set(req.apiKey, (c.requests.get(req.apiKey) ?? 0) + 1);
  },
});

beforeAll(async () => {
  broker = await startBroker();
  await broker.createTopic(topic, 4);
  await produce(broker.bootstrap, topic, Array.from({ length: 10 }, (_, i) => ({ partition: i % 4, value: String(i) })));
  front = await startFront({ broker, transactions: false, hooks: [counting] });
}, 60_000);
afterAll(async () => { await front?.stop(); await broker?.stop(); });

/** Task p's source, as task-run.ts creates it: partition p only (Spark's assign), sharing clients or not. */
const taskSource = (clientId: string, p: number, shareClients: boolean): Source => kafkaSource.create({
  options: new Map([['kafka.bootstrap.servers', front.bootstrap], ['kafka.client.id', clientId], ['assign', JSON.stringify({ [topic]: [p] })], ['startingOffsets', 'earliest']]),
  shareClients,
});

/** POLLS rounds of every source asking its latest offset at once; the last answers. */
async function poll(sources: readonly Source[]): Promise<unknown[]> {
  let last: unknown[] = [];
  for (let i = 0; i < POLLS; i++) last = await Promise.all(sources.map((s) => s.latestOffset({ [topic]: { '0': 0, '1': 0, '2': 0, '3': 0 } }, 'default')));
  return last;
}

const want = [0, 1, 2, 3].map((p) => ({ [topic]: { [String(p)]: p < 2 ? 3 : 2 } }));

describe('one Kafka client per worker', () => {
  it('four task sources share one client: its connections, about a quarter of the requests, each its own answer', async () => {
    const own = [0, 1, 2, 3].map((p) => taskSource('own', p, false));
    expect(await poll(own)).toEqual(want);
    await Promise.all(own.map((s) => s.stop()));

    const shared = [0, 1, 2, 3].map((p) => taskSource('shared', p, true));
    expect(await poll(shared)).toEqual(want);
    const o = seen.get('own')!, s = seen.get('shared')!;
    const count = (c: typeof o, api: number) => c.requests.get(api) ?? 0;
    expect(count(o, LIST_OFFSETS)).toBeGreaterThanOrEqual(4 * POLLS);
    expect(count(s, LIST_OFFSETS), JSON.stringify([...s.requests])).toBeLessThanOrEqual(count(o, LIST_OFFSETS) / 2);
    expect(count(s, METADATA), JSON.stringify([...s.requests])).toBeLessThanOrEqual(count(o, METADATA) / 2);
    expect(s.connections.size).toBeLessThan(o.connections.size);

    // Three tasks stop (a rebalance took them): the fourth goes on, on the same client.
    await Promise.all(shared.slice(0, 3).map((x) => x.stop()));
    expect(await poll(shared.slice(3))).toEqual(want.slice(3));
    await shared[3]!.stop();
    // The last one closed the client; a task started later gets a new one.
    const later = taskSource('shared', 1, true);
    expect(await poll([later])).toEqual([want[1]]);
    await later.stop();
  }, 120_000);
});
