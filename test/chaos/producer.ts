// The chaos harness's producer: generated orders (ids, out-of-order and late event times) written
// to the topic without pause, with stretches of hostile records when the fault scheduler asks.
// What counts later is what the topic holds (read back by the checker), not what was sent: a
// retried send after a fault may append a record twice, and that is the producer's business.
//
// Record kinds, in the Kafka key (`<kind>:<n>`), so the checker knows what each value should parse to:
//   ok       a well-formed order; during hostile stretches some carry hostile region values
//            (the stateless query's partition column) or huge strings
//   partial  a valid order_id, but amount or event_time of the wrong type (that field parses to null)
//   bad      malformed JSON (every field null)
//   badid    order_id of the wrong type (null; the other fields parse; the order is unusable)
import { CompressionTypes, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { pick, randInt, type Rng } from '../support/prng.ts';


export const MIN = 60_000;
export const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);
/** Event times are on this grid: window edges and end == watermark ties happen. */
const GRID = 5_000;
export const SENTINEL_USER = 'zz-end';

const REGIONS = ['eu', 'us', 'apac'];
/** Partition values a producer should not be able to turn into paths: traversal, separators, escapes, controls. */
export const HOSTILE_REGIONS = [
  '../../../escape', '..', '.', 'a/b/c', '/abs', 'x=y', 'region=eu', '%2F%2E%2E', 'C:\\win\\path', '\u0000nul', 'line\nbreak',
  '*?"<>|', 'tab\there', 'ünïcødé-區域', '', ' ', '#{[]^}', '%', '\u007f', 'a'.repeat(200),
  // Too long for a directory name (255 bytes): the sink shortens it (a prefix, '~', a hash) and warns.
  'z'.repeat(300), '/'.repeat(120),
];

/** Message value text and kafka key. */
export interface Msg { key: string; value: string; partition: number }

export class OrderGen {
  private clock = T0 + 30 * MIN;
  private nextId = 1;
  private n = 0;
  hostileUntil = 0;
  constructor(private readonly rng: Rng, private readonly users: number, private readonly partitions: number) {}

  private order(): Record<string, unknown> {
    const rng = this.rng;
    this.clock += randInt(rng, 0, 2) * GRID / 2;
    let t = this.clock + randInt(rng, -18, 6) * GRID;
    if (rng() < 0.05) t = this.clock - randInt(rng, 30, 300) * GRID; // late, often beyond the watermark
    t = Math.floor(t / GRID) * GRID;
    return {
      order_id: this.nextId++, user_id: `u${randInt(rng, 0, this.users - 1)}`, amount: randInt(rng, 1, 1000),
      event_time: new Date(t).toISOString(), region: pick(rng, REGIONS),
    };
  }

  /** One record; hostile stretches mix in bad/partial/huge/hostile-partition records. */
  next(now: number): Msg {
    const rng = this.rng, n = this.n++;
    const partition = randInt(rng, 0, this.partitions - 1);
    const o = this.order();
    if (now >= this.hostileUntil || rng() < 0.5) return { key: `ok:${n}`, value: JSON.stringify(o), partition };
    switch (randInt(rng, 0, 5)) {
      case 0: { // malformed JSON
        const text = JSON.stringify(o);
        const bad = pick(rng, [text.slice(0, randInt(rng, 0, text.length - 1)), 'not json', '', '[1,2,3]', 'null', '"str"',
          '{"order_id": }', '\u0000\u00ff\ufffd', '{'.repeat(5000), '{"order_id": 1} trailing']);
        return { key: `bad:${n}`, value: bad, partition };
      }
      case 1: // order_id of the wrong type: that field is null, the rest parses, the order is unusable
        return { key: `badid:${n}`, value: JSON.stringify({ ...o, order_id: pick(rng, ['abc', '12', 1.5, {}, [1], true]) }), partition };
      case 2: // a wrong type in one other field: that field is null, the order stays
        return rng() < 0.5
          ? { key: `partial:${n}`, value: JSON.stringify({ ...o, amount: pick(rng, ['lots', '12', 'NaN']) }), partition }
          : { key: `partial:${n}`, value: JSON.stringify({ ...o, event_time: pick(rng, ['yesterday', 'soon', '2024-13-45']) }), partition };
      case 3: // huge values: a long user id, a large amount, a big field nobody reads
        return {
          key: `ok:${n}`, partition,
          value: JSON.stringify({ ...o, user_id: `huge-${'x'.repeat(randInt(rng, 1_000, 60_000))}`, amount: randInt(rng, 1, 1e6) * 1e6,
            note: 'y'.repeat(randInt(rng, 0, 200_000)) }),
        };
      default: // hostile partition values
        return { key: `ok:${n}`, value: JSON.stringify({ ...o, region: pick(rng, HOSTILE_REGIONS) }), partition };
    }
  }

  /** A far-future order of its own user: its watermark closes every other window. */
  sentinel(): Msg {
    const t = this.clock + 24 * 60 * MIN;
    return {
      key: `ok:${this.n++}`, partition: 0,
      value: JSON.stringify({ order_id: this.nextId++, user_id: SENTINEL_USER, amount: 1, event_time: new Date(t).toISOString(), region: 'eu' }),
    };
  }
}

export interface ProducerStats { sent: number; sendFailures: number; batches: number }

/** Keeps sending generated records until stop(); a failed send is retried (same records) after a pause. */
export class ChaosProducer {
  readonly stats: ProducerStats = { sent: 0, sendFailures: 0, batches: 0 };
  private producer: Producer;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(bootstrap: string, private readonly topic: string, readonly gen: OrderGen, private readonly rng: Rng,
    private readonly ratePerSec: number, private readonly log: (s: string) => void) {
    const kafka = new Kafka({ clientId: 'chaos-producer', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }, requestTimeout: 5000, connectionTimeout: 2000 });
    // Not idempotent: the mock has no InitProducerId (see test/support/broker.ts).
    this.producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.loop = this.run();
  }

  async send(msgs: Msg[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.producer.send({ topic: this.topic, acks: -1, compression: CompressionTypes.None,
          messages: msgs.map((m) => ({ key: m.key, value: m.value, partition: m.partition })) });
        this.stats.sent += msgs.length;
        this.stats.batches++;
        return;
      } catch (e) {
        this.stats.sendFailures++;
        if (attempt % 10 === 0) this.log(`producer: send failed (attempt ${attempt + 1}): ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  private async run(): Promise<void> {
    const tickMs = 200;
    while (!this.stopped) {
      const started = Date.now();
      const n = Math.max(1, Math.round((this.ratePerSec * tickMs / 1000) * (0.5 + this.rng())));
      const msgs = Array.from({ length: n }, () => this.gen.next(started));
      await this.send(msgs);
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - started))));
    }
  }

  /** Stops the generated stream (the last send finishes); the producer stays connected for the sentinel. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  async disconnect(): Promise<void> { await this.producer.disconnect().catch(() => undefined); }
}
