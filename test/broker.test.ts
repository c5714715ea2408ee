// The test broker itself: if this file fails, every Kafka test is suspect.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';

const external = Boolean(process.env.KAFKA_BOOTSTRAP_SERVERS?.trim());

/** pids of live mock_kafka processes whose parent is this test process. */
function myBrokerPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..."; comm may contain spaces, so split after ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'mock_kafka' && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

function canConnect(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('test broker', () => {
  let broker: TestBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ brokers: 2 });
    // No retries: a fault injected by a command must show up in the very next call.
    kafka = new Kafka({
      clientId: 'broker-test',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1000,
      requestTimeout: 5000,
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('serves a cluster of 2 brokers on the bootstrap addresses', async () => {
    expect(broker.brokers).toHaveLength(external ? broker.brokers.length : 2);
    expect(broker.bootstrap).toBe(broker.brokers.join(','));
    for (const b of broker.brokers) expect(await canConnect(b)).toBe(true);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      expect(brokers.length).toBe(broker.brokers.length);
    } finally {
      await admin.disconnect();
    }
  });

  it('creates a topic, and 1000 produced messages are all stored and readable', async () => {
    const topic = uniqueTopic('broker-test');
    await broker.createTopic(topic, 3);
    await broker.createTopic(topic, 3); // idempotent, as documented

    const sent = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 37}`, value: `message-${i}` }));
    await produce(broker.bootstrap, topic, sent);

    const admin = kafka.admin();
    await admin.connect();
    try {
      // 3, not the 4 of the mock's auto-creation: createTopic really made it.
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions).toHaveLength(3);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets).toHaveLength(3);
      expect(offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)).toBe(1000);
      // Keys spread over partitions: no partition holds everything.
      for (const p of offsets) expect(Number(p.high)).toBeLessThan(1000);
    } finally {
      await admin.disconnect();
    }

    // maxWaitTimeInMs: disconnect() waits for the in-flight long-poll fetch, 5 s by default.
    const consumer = kafka.consumer({
      groupId: uniqueTopic('broker-test-group'),
      maxWaitTimeInMs: 100,
      retry: { retries: 5 },
    });
    const received: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const all = new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) received.push(m.value!.toString());
            if (received.length >= sent.length) resolve();
          },
        });
      });
      await Promise.race([all, new Promise((r) => setTimeout(r, 20_000))]);
    } finally {
      await consumer.disconnect();
    }
    expect(received.length).toBe(1000);
    expect(new Set(received)).toEqual(new Set(sent.map((m) => m.value)));
  });

  describe.skipIf(external)('commands', () => {
    it('down refuses connections and up restores them', async () => {
      const [first] = broker.brokers;
      expect(await canConnect(first!)).toBe(true);
      expect(await broker.command('down 1')).toBe('ok');
      expect(await canConnect(first!)).toBe(false);
      expect(await broker.command('up 1')).toBe('ok');
      expect(await canConnect(first!)).toBe(true);
    });

    it('errors fails the next requests of an API, then clears', async () => {
      const topic = uniqueTopic('broker-errors');
      await broker.createTopic(topic, 2);
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await broker.command('errors 2 1 NOT_LEADER_FOR_PARTITION')).toBe('ok'); // 2 = ListOffsets
        await expect(admin.fetchTopicOffsets(topic)).rejects.toThrow(/not the leader/);
        expect(await admin.fetchTopicOffsets(topic)).toHaveLength(2);
      } finally {
        await admin.disconnect();
      }
    });

    it('rtt delays responses', async () => {
      const topic = uniqueTopic('broker-rtt');
      await broker.createTopic(topic, 2);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.fetchTopicOffsets(topic); // connections and metadata warm
        expect(await broker.command('rtt -1 200')).toBe('ok');
        let t = performance.now();
        await admin.fetchTopicOffsets(topic);
        expect(performance.now() - t).toBeGreaterThanOrEqual(190);
        expect(await broker.command('rtt -1 0')).toBe('ok');
        t = performance.now();
        await admin.fetchTopicOffsets(topic);
        expect(performance.now() - t).toBeLessThan(190);
      } finally {
        await admin.disconnect();
      }
    });

    it('answers malformed or unknown commands with an error line, and keeps answering', async () => {
      const answers = await Promise.all([
        broker.command('frobnicate 1'),
        broker.command('down 99'),
        broker.command('down one'),
        broker.command('topic'),
        broker.command('up 1'),
      ]);
      expect(answers[0]).toMatch(/^error: unknown command 'frobnicate'/);
      expect(answers[1]).toMatch(/^error: /);
      expect(answers[2]).toMatch(/^error: usage/);
      expect(answers[3]).toMatch(/^error: usage/);
      expect(answers[4]).toBe('ok'); // answers stay matched to their commands
      await expect(broker.command('up 1\ndown 1')).rejects.toThrow(/single line/);
    });
  });

  it.skipIf(external)('stop() leaves no broker process behind', async () => {
    const other = await startBroker({ topics: { pre: 2 } });
    const pids = myBrokerPids();
    expect(pids.length).toBe(2); // this suite's broker and `other`: the check can see them
    await other.stop();
    await other.stop(); // idempotent
    const left = myBrokerPids();
    expect(left).toHaveLength(1);
    expect(await canConnect(other.bootstrap)).toBe(false);
    await expect(other.command('up 1')).rejects.toThrow(/stopped/);

    await broker.stop();
    expect(myBrokerPids()).toEqual([]);
  });

  it.skipIf(external)('a broker dies with the process that started it (-x)', async () => {
    // An intermediate node process starts the broker and is SIGKILLed: no stop(), no cleanup code.
    const bin = fileURLToPath(new URL('../.build/mock_kafka', import.meta.url));
    const parent = spawn(
      process.execPath,
      ['-e', `require('child_process').spawn(${JSON.stringify(bin)}, ['-x'], { stdio: ['pipe', 'inherit', 'inherit'] }); setInterval(() => {}, 1000)`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const bootstrap = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      parent.once('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    expect(await canConnect(bootstrap)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while ((await canConnect(bootstrap)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await canConnect(bootstrap)).toBe(false);
  });
});
