import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';

/** Produce pre-built values, one list per partition, with a few concurrent kafkajs producers (bench set-up, not timed). */
export async function producePartitioned(bootstrap: string, topic: string, perPartition: readonly Buffer[][]): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-producer', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const CONCURRENCY = 4, CHUNK = 5000;
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (let p = next++; p < perPartition.length; p = next++) {
        const msgs = perPartition[p]!;
        for (let i = 0; i < msgs.length; i += CHUNK) {
          await producer.send({
            topic, acks: 1, compression: CompressionTypes.None,
            messages: msgs.slice(i, i + CHUNK).map((value) => ({ value, partition: p })),
          });
        }
      }
    } finally {
      await producer.disconnect();
    }
  }));
}

let groupSeq = 0;
/** The baseline reader: a kafkajs consumer group from the beginning; `onBatch` sees every message until `n` are seen. Returns seconds. */
export async function drainWithKafkajs(bootstrap: string, topic: string, n: number,
  onBatch: (msgs: readonly { value: Buffer | null }[]) => void = () => {}): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${process.pid}-${++groupSeq}`, maxWaitTimeInMs: 10, maxBytesPerPartition: 4 << 20, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        onBatch(batch.messages);
        seen += batch.messages.length;
        if (seen >= n) resolve();
      },
    }).catch(reject);
  });
  const secs = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  if (seen !== n) throw new Error(`kafkajs saw ${seen} messages, expected ${n}`);
  return secs;
}

/**
 * The independent baseline: librdkafka's `kcat -C` draining the topic from the beginning to
 * /dev/null until the end of every partition (-e). Returns seconds, process start to exit.
 */
export async function drainWithKcat(bootstrap: string, topic: string): Promise<number> {
  const { spawn } = await import('node:child_process');
  const { openSync, closeSync } = await import('node:fs');
  const devNull = openSync('/dev/null', 'w');
  const t0 = performance.now();
  try {
    const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q'], { stdio: ['ignore', devNull, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('close', resolve); });
    if (code !== 0) throw new Error(`kcat exited with ${code}: ${stderr.trim()}`);
    return (performance.now() - t0) / 1000;
  } finally {
    closeSync(devNull);
  }
}
