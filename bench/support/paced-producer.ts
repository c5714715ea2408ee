/**
 * A child process for bench/latency.ts: produces one record every --every ms to partition 0 of
 * --topic, --count records, each value its sequence number and the wall-clock ms just before its send; at the end it
 * prints one line per record on stdout, its sequence number and the wall-clock ms at which the broker acknowledged it. A process of its
 * own, so the query's event loop cannot delay a send and hide its own lag.
 *
 *   npx tsx bench/support/paced-producer.ts --bootstrap H:P --topic T --count 500 --every 20
 */
import { parseArgs } from 'node:util';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const { values: a } = parseArgs({ options: { bootstrap: { type: 'string' }, topic: { type: 'string' }, count: { type: 'string' }, every: { type: 'string' } } });
const count = Number(a.count), every = Number(a.every);
const producer = new Kafka({ clientId: 'bench-paced', brokers: a.bootstrap!.split(','), logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
await producer.connect();
const t0 = Date.now();
const acked: string[] = [];
for (let i = 0; i < count; i++) {
  const wait = t0 + i * every - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await producer.send({ topic: a.topic!, acks: 1, compression: CompressionTypes.None, messages: [{ value: `${i} ${Date.now()}`, partition: 0 }] });
  acked.push(`${i} ${Date.now()}`); // by now the broker holds it: from here on, the wait is the query's
}
process.stdout.write(acked.join('\n') + '\n');
await producer.disconnect();
