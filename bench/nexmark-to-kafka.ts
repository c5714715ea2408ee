/**
 * Write Nexmark events to a Kafka topic as JSON (examples/nexmark/to-kafka.ts), for queries that
 * read the realistic path: Kafka -> from_json(value, nexmarkSchema).
 *
 *   npx tsx bench/nexmark-to-kafka.ts --bootstrap host:port --topic nexmark --events 1000000
 *                                     [--seed 0] [--events-per-second 10000000] [--checkpoint DIR]
 *
 * The topic must exist. Exactly once: a run killed half-way and started again with the same
 * --checkpoint writes each event once. Prints one JSON line: events, seconds, events/s.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Session } from '../src/index.ts';
import { nexmarkToKafka } from '../examples/nexmark/to-kafka.ts';

const { values: args } = parseArgs({
  options: {
    bootstrap: { type: 'string', default: process.env.KAFKA_BOOTSTRAP_SERVERS },
    topic: { type: 'string', default: 'nexmark' },
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '0' },
    'events-per-second': { type: 'string', default: '10000000' },
    checkpoint: { type: 'string' },
  },
});
if (!args.bootstrap) throw new Error('--bootstrap host:port (or KAFKA_BOOTSTRAP_SERVERS) is required.');
const t0 = performance.now();
await nexmarkToKafka(Session.builder().appName('nexmark-to-kafka').getOrCreate(), {
  bootstrap: args.bootstrap, topic: args.topic!,
  checkpoint: args.checkpoint ?? join(tmpdir(), `nexmark-to-kafka-${args.topic}-${Date.now()}`),
  source: { totalEvents: args.events!, seed: args.seed!, eventsPerSecond: args['events-per-second']!, maxEventsPerTrigger: 100_000, baseTime: Date.UTC(2024, 0, 1) },
});
const sec = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ bench: 'nexmark-to-kafka', topic: args.topic, events: Number(args.events), seconds: +sec.toFixed(2), eventsPerSec: Math.round(Number(args.events) / sec) }));
