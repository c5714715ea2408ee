// A real Kafka-protocol broker for tests, the demo and the benchmark: librdkafka's
// mock cluster run as .build/mock_kafka (tools/mock-kafka/mock_kafka.c), or an
// external cluster when KAFKA_BOOTSTRAP_SERVERS is set.
//
// Mock traps worth knowing (see tools/mock-kafka/mock_kafka.c):
// - kafkajs admin calls that go to the controller fail (it is reported as broker 0,
//   brokers are 1..N), so topics are created through the launcher's stdin;
// - metadata for an unknown topic auto-creates it with 4 partitions: create first;
// - nothing persists, and `down` does not move partition leaders (`leader` does);
// - its consumer-group coordinator's timing differs from Kafka's: docs/design/scale-out.md,
//   "Assignment and rebalancing".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MOCK_BIN = join(ROOT, '.build/mock_kafka');
const SETUP = join(ROOT, 'scripts/setup.mjs');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const CHUNK = 10_000;

export interface TestBroker {
  /** Comma-separated host:port list, as Kafka clients take it. */
  bootstrap: string;
  brokers: string[];
  /** Creates a topic; an existing topic is left as it is. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Sends one launcher command (see mock_kafka.c) and returns its answer line: `ok` or `error: …`. */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
  /** True when KAFKA_BOOTSTRAP_SERVERS points at a cluster this helper does not own. */
  external: boolean;
  /** The mock broker's process id; absent for an external cluster. */
  pid?: number;
}

export interface StartBrokerOptions {
  /** Number of brokers (ids 1..n); default 1. */
  brokers?: number;
  /** Per-partition retention in MiB; default 256 (the mock's own 5 MiB silently drops data). */
  retentionMiB?: number;
  /** Topics to create at start, name -> partitions. */
  topics?: Record<string, number>;
  /**
   * How long a new consumer group's first rebalance waits for more members (the mock's hard-coded
   * 3 s, patched by mock_kafka -j); default 0: the first member is elected alone at once.
   */
  joinDelayMs?: number;
}

export interface ProduceMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  /** Milliseconds since the epoch, as a decimal string (kafkajs' convention). */
  timestamp?: string;
}

let topicSeq = 0;

/** A topic name no other test (file, worker or run) uses: prefix-pid-time-seq. */
export function uniqueTopic(prefix = 'topic'): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 100) || 'topic';
  return `${clean}-${process.pid}-${Date.now().toString(36)}-${++topicSeq}`;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  const external = process.env.KAFKA_BOOTSTRAP_SERVERS?.trim();
  return external ? externalBroker(external, opts) : mockBroker(opts);
}

async function externalBroker(bootstrap: string, opts: StartBrokerOptions): Promise<TestBroker> {
  const brokers = bootstrap.split(',').map((b) => b.trim()).filter(Boolean);
  const createTopic = async (name: string, partitions: number): Promise<void> => {
    const admin = new Kafka({ clientId: 'sluice-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // Resolves false for an existing topic; the catch covers older/other paths.
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    } catch (e) {
      if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
    } finally {
      await admin.disconnect();
    }
  };
  for (const [name, partitions] of Object.entries(opts.topics ?? {})) await createTopic(name, partitions);
  return {
    bootstrap: brokers.join(','),
    brokers,
    external: true,
    createTopic,
    async command(line: string): Promise<string> {
      throw new Error(
        `broker command "${line}" needs the project's mock broker: fault injection is not available ` +
          `with KAFKA_BOOTSTRAP_SERVERS=${bootstrap} (unset it to run this test)`,
      );
    },
    async stop(): Promise<void> {},
  };
}

function ensureBinary(): void {
  if (existsSync(MOCK_BIN)) return;
  // Normally done by `npm test`/globalSetup; this covers ad-hoc runs of one file.
  const r = spawnSync(process.execPath, [SETUP], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(MOCK_BIN)) {
    throw new Error(`${MOCK_BIN} is missing and \`node scripts/setup.mjs\` failed (exit ${r.status ?? r.signal})`);
  }
}

async function mockBroker(opts: StartBrokerOptions): Promise<TestBroker> {
  ensureBinary();
  const n = opts.brokers ?? 1;
  const args = ['-x', '-j', String(opts.joinDelayMs ?? 0), '-r', String(opts.retentionMiB ?? 256), '-b', String(n)];
  for (const [name, partitions] of Object.entries(opts.topics ?? {})) args.push(`${name}:${partitions}`);

  // -x: the broker dies with this process even if stop() is never reached.
  const child = spawn(MOCK_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  let exited: string | undefined; // why the process is gone, once it is
  const exitPromise = new Promise<void>((resolve) => child.once('close', () => resolve()));

  // stdout protocol: line 1 = bootstrap list, then exactly one line per command.
  const waiters: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let onBootstrap: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  const bootstrapLine = new Promise<string>((resolve, reject) => (onBootstrap = { resolve, reject }));
  const failAll = (e: Error) => {
    onBootstrap?.reject(e);
    onBootstrap = undefined;
    for (const w of waiters.splice(0)) w.reject(e);
  };

  createInterface({ input: child.stdout }).on('line', (line) => {
    if (onBootstrap) {
      onBootstrap.resolve(line);
      onBootstrap = undefined;
    } else {
      waiters.shift()?.resolve(line);
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail = (stderrTail + line + '\n').slice(-4000);
    // A failed patch means 3 s group joins or dropped data: say so, loudly.
    if (line.startsWith('warning:')) process.stderr.write(`mock_kafka: ${line}\n`);
  });
  child.stdin.on('error', () => {}); // EPIPE after an exit is reported through 'close'
  child.once('error', (e) => {
    exited = `failed to run ${MOCK_BIN}: ${e.message}`;
    failAll(new Error(exited));
  });
  child.once('close', (code, signal) => {
    exited ??= `mock_kafka exited (${signal ?? `code ${code}`})${stderrTail ? `: ${stderrTail.trim()}` : ''}`;
    failAll(new Error(exited));
  });

  let timer: NodeJS.Timeout | undefined;
  let bootstrap: string;
  try {
    bootstrap = await Promise.race([
      bootstrapLine,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`mock_kafka printed no bootstrap line in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }

  let chain: Promise<unknown> = Promise.resolve();
  const command = (line: string): Promise<string> => {
    if (/[\r\n]/.test(line)) return Promise.reject(new Error('broker command must be a single line'));
    const answer = chain.then(
      () =>
        new Promise<string>((resolve, reject) => {
          if (exited) return reject(new Error(exited));
          waiters.push({ resolve, reject });
          child.stdin.write(line + '\n');
        }),
    );
    chain = answer.catch(() => {}); // one failed command must not wedge the queue
    return answer;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      exited ??= 'mock_kafka was stopped';
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(kill);
    })());

  const brokers = bootstrap.split(',');
  return {
    bootstrap,
    brokers,
    external: false,
    pid: child.pid,
    command,
    stop,
    async createTopic(name: string, partitions: number): Promise<void> {
      const answer = await command(`topic ${name} ${partitions}`);
      // Same contract as the external path: an existing topic is not an error.
      if (answer !== 'ok' && !answer.includes('TOPIC_ALREADY_EXISTS')) {
        throw new Error(`creating topic ${name}: ${answer}`);
      }
    },
  };
}

/** Produces `messages` to one topic (which must exist: see the auto-create trap above). */
export async function produce(bootstrap: string, topic: string, messages: ProduceMessage[]): Promise<void> {
  await produceMany(bootstrap, { [topic]: messages });
}

/**
 * Produces to several topics with one connection, ~10k messages per request batch;
 * order within a partition is kept (batches are sent one after another).
 */
export async function produceMany(bootstrap: string, byTopic: Record<string, ProduceMessage[]>): Promise<void> {
  const pending = Object.entries(byTopic).filter(([, m]) => m.length > 0);
  if (pending.length === 0) return;
  const kafka = new Kafka({
    clientId: 'sluice-test-producer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  });
  // Not idempotent: the mock reports broker 0 as controller, and InitProducerId fails.
  const producer = kafka.producer({
    idempotent: false,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    // Fill each sendBatch with up to CHUNK messages, across topics.
    let batch: { topic: string; messages: ProduceMessage[] }[] = [];
    let size = 0;
    const flush = async () => {
      if (size === 0) return;
      await producer.sendBatch({ topicMessages: batch, acks: -1, compression: CompressionTypes.None });
      batch = [];
      size = 0;
    };
    for (const [topic, messages] of pending) {
      for (let i = 0; i < messages.length; ) {
        const take = Math.min(CHUNK - size, messages.length - i);
        batch.push({ topic, messages: messages.slice(i, i + take) });
        size += take;
        i += take;
        if (size >= CHUNK) await flush();
      }
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
}
