// tools/kafka-front (issue 11 item 8): TLS and SASL (PLAIN, SCRAM-SHA-256/512) in front of the mock
// broker, proven with two independent clients, librdkafka's kcat and kafkajs, on a 2-broker mock
// whose topics have partition leaders on both brokers, so a client that was not pointed back at the
// front by the rewritten Metadata answers would reach the mock directly (and fail, or bypass SASL).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeApiVersionsResponse, decodeMetadataResponse, encodeMetadataRequestAllTopics } from '../tools/kafka-front/codecs.ts';
import { ApiKey, decodeResponse, encodeRequest, FrameSplitter } from '../tools/kafka-front/frames.ts';
import type { FrontControl, HookFactory } from '../tools/kafka-front/hooks.ts';
import { Session } from '../src/index.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { startFront, type SaslMechanism, type TestFront } from './support/kafka-front.ts';
import { haveKcat, kcatProduce } from './support/kcat.ts';

const USERS = { alice: 'alice-secret', 'bob,=x': 'b0b p@ss' };
const ALL: SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const SLOW = 180_000; // the CI machine is slow and shared
/** kcat -m: how long kcat waits for metadata it will never get; the failure it logs comes in the first second. */
const FAIL_WAIT_S = '3';
// The front stands before the project's mock (its `leader` command too); an external cluster has its own security.
const external = Boolean(process.env.KAFKA_BOOTSTRAP_SERVERS?.trim());

/** What a recording hook saw: which user sent which api to which mock broker, and from which client. */
interface Seen { clientId: string | null; apiKey: number; brokerId: number; user: string | null }

let broker: TestBroker;
let saslSsl: TestFront;
let saslPlain: TestFront;
let sslOnly: TestFront;
let control: FrontControl | undefined;
const seen: Seen[] = [];

const recorder: HookFactory = (front) => {
  control = front;
  return { onRequest: (r) => void seen.push({ clientId: r.clientId, apiKey: r.apiKey, brokerId: r.connection.brokerId, user: r.connection.user }) };
};

beforeAll(async () => {
  if (external) return;
  broker = await startBroker({ brokers: 2 });
  saslSsl = await startFront({ broker, tls: true, sasl: { mechanisms: ALL, users: USERS }, hooks: [recorder] });
  saslPlain = await startFront({ broker, sasl: { mechanisms: ALL, users: USERS } });
  sslOnly = await startFront({ broker, tls: true });
}, SLOW);
afterAll(async () => {
  for (const f of [saslSsl, saslPlain, sslOnly]) await f?.stop();
  await broker?.stop();
});

/** A topic of 4 partitions led by brokers 2, 1, 2, 1. */
async function twoLeaderTopic(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await broker.createTopic(topic, 4);
  for (let p = 0; p < 4; p++) expect(await broker.command(`leader ${topic} ${p} ${p % 2 === 0 ? 2 : 1}`)).toBe('ok');
  return topic;
}

const frontPorts = (f: TestFront): string[] => f.bootstrap.split(',').map((a) => a.split(':')[1]!);

// ---- kcat (librdkafka 2.0.2) -------------------------------------------------------------------

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs kcat to its end (killed after `timeoutMs`); the front lives in this process, so no spawnSync. */
function kcat(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

interface Mode { name: string; front: () => TestFront; protocol: string; mechanism?: SaslMechanism }
const MODES: Mode[] = [
  { name: 'SASL_SSL SCRAM-SHA-512', front: () => saslSsl, protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512' },
  { name: 'SASL_SSL SCRAM-SHA-256', front: () => saslSsl, protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-256' },
  { name: 'SASL_SSL PLAIN', front: () => saslSsl, protocol: 'SASL_SSL', mechanism: 'PLAIN' },
  { name: 'SSL', front: () => sslOnly, protocol: 'SSL' },
  { name: 'SASL_PLAINTEXT SCRAM-SHA-256', front: () => saslPlain, protocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256' },
  { name: 'SASL_PLAINTEXT PLAIN', front: () => saslPlain, protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN' },
];

function kcatSecurity(m: Mode, user = 'alice', password = USERS.alice): string[] {
  const f = m.front();
  const x = [`security.protocol=${m.protocol}`];
  if (f.caFile) x.push(`ssl.ca.location=${f.caFile}`);
  if (m.mechanism) x.push(`sasl.mechanisms=${m.mechanism}`, `sasl.username=${user}`, `sasl.password=${password}`);
  return x.flatMap((kv) => ['-X', kv]);
}

describe.skipIf(!haveKcat() || external)('kcat through the front', () => {
  it.each(MODES)('$name: produces and consumes on partitions led by both brokers, told only the front\'s addresses', async (m) => {
    const f = m.front();
    const topic = await twoLeaderTopic('front-kcat');
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}-${m.name}` }));
    await kcatProduce(f.bootstrap, topic, 'none', records, kcatSecurity(m));

    const meta = await kcat(['-L', '-b', f.bootstrap, '-t', topic, ...kcatSecurity(m)]);
    expect(meta.code, meta.stderr).toBe(0);
    const advertised = [...meta.stdout.matchAll(/broker (\d+) at [^:\s]+:(\d+)/g)].map((x) => x[2]!).sort();
    expect(advertised).toEqual(frontPorts(f).sort());
    expect(meta.stdout).not.toMatch(new RegExp(broker.brokers.map((b) => `:${b.split(':')[1]}\\b`).join('|')));

    const got = await kcat(['-C', '-b', f.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-f', '%p\t%k\t%s\n', ...kcatSecurity(m)]);
    expect(got.code, got.stderr).toBe(0);
    const lines = got.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(lines.map(([, k, v]) => `${k}=${v}`).sort()).toEqual(records.map((r) => `${r.key}=${r.value}`).sort());
    // Both brokers served data: even partitions are led by broker 2, odd ones by broker 1.
    const partitions = new Set(lines.map(([p]) => Number(p) % 2));
    expect(partitions).toEqual(new Set([0, 1]));
  }, SLOW);

  it('SCRAM with a user name holding "," and "=" (escaped as =2C, =3D) and a password with spaces', async () => {
    const m = MODES[0]!;
    const r = await kcat(['-L', '-b', saslSsl.bootstrap, ...kcatSecurity(m, 'bob,=x', USERS['bob,=x'])]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 brokers/);
  }, SLOW);

  it.each(MODES.filter((m) => m.mechanism))('$name: a wrong password fails with "Authentication failed"', async (m) => {
    const r = await kcat(['-L', '-m', FAIL_WAIT_S, '-b', m.front().bootstrap, ...kcatSecurity(m, 'alice', 'wrong')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed during authentication due to invalid credentials/);
    expect(r.stdout).not.toMatch(/brokers:/);
  }, SLOW);

  it('an unknown user fails like a wrong password', async () => {
    const r = await kcat(['-L', '-m', FAIL_WAIT_S, '-b', saslSsl.bootstrap, ...kcatSecurity(MODES[1]!, 'mallory', USERS.alice)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed/);
  }, SLOW);

  it('plaintext to the TLS port fails, and so does TLS without trusting the CA', async () => {
    const plain = await kcat(['-L', '-m', FAIL_WAIT_S, '-b', sslOnly.bootstrap]);
    expect(plain.code).not.toBe(0);
    expect(plain.stdout).not.toMatch(/brokers:/);
    const untrusted = await kcat(['-L', '-m', FAIL_WAIT_S, '-b', sslOnly.bootstrap, '-X', 'security.protocol=SSL']);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate verify failed|SSL handshake failed/);
  }, SLOW);
});

// ---- kafkajs 2.2.4 -----------------------------------------------------------------------------

function kafkajs(f: TestFront, sasl: SASLOptions | undefined, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: f.bootstrap.split(','),
    ssl: f.caFile ? { ca: [readFileSync(f.caFile, 'utf8')] } : undefined,
    sasl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
}

describe.skipIf(external)('kafkajs through the front', () => {
  const mechanisms = [['plain'], ['scram-sha-256'], ['scram-sha-512']] as const;

  it.each(mechanisms)('SASL_SSL %s: produce to both brokers, consume with a group', async (mechanism) => {
    const topic = await twoLeaderTopic('front-kafkajs');
    const clientId = `kafkajs-${mechanism}`;
    const kafka = kafkajs(saslSsl, { mechanism, username: 'alice', password: USERS.alice }, clientId);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, messages });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueTopic('front-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.push(`${partition}:${message.key}=${message.value}`);
          if (got.length === messages.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(got.sort()).toEqual(messages.map((m) => `${m.partition}:${m.key}=${m.value}`).sort());

    // The front saw this client's Produce and Fetch on connections for both brokers, as alice.
    const mine = seen.filter((s) => s.clientId === clientId);
    for (const api of [ApiKey.Produce, ApiKey.Fetch]) {
      expect(new Set(mine.filter((s) => s.apiKey === api).map((s) => s.brokerId)), `api ${api}`).toEqual(new Set([1, 2]));
    }
    // Only ApiVersions comes before authentication.
    expect(new Set(mine.filter((s) => s.apiKey !== ApiKey.ApiVersions).map((s) => s.user))).toEqual(new Set(['alice']));
    expect(new Set(mine.filter((s) => s.user === null).map((s) => s.apiKey))).toEqual(new Set([ApiKey.ApiVersions]));
    // Group coordination went through the front too (FindCoordinator's answer was rewritten).
    expect(mine.some((s) => s.apiKey === ApiKey.JoinGroup)).toBe(true);
  }, SLOW);

  it('SSL only', async () => {
    const admin = kafkajs(sslOnly, undefined, 'kafkajs-ssl').admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.map((b) => String(b.port)).sort()).toEqual(frontPorts(sslOnly).sort());
  }, SLOW);

  it.each(mechanisms)('SASL_PLAINTEXT %s with a wrong password is refused', async (mechanism) => {
    const producer = kafkajs(saslPlain, { mechanism, username: 'alice', password: 'wrong' }, 'kafkajs-wrong').producer();
    await expect(producer.connect()).rejects.toThrow(/Authentication failed/);
  }, SLOW);
});

// ---- the wire, byte by byte ----------------------------------------------------------------------

/** A raw connection that collects answer frames and notes when the front closes it. */
function rawConnection(address: string): Promise<{ socket: Socket; frames: Buffer[]; closed: Promise<void> }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host!, port: Number(port) }, () => resolve({ socket, frames, closed }));
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter();
    socket.on('data', (d: Buffer) => frames.push(...splitter.push(d)));
    socket.once('error', reject);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(external)('SASL gate', () => {
  it('answers ApiVersions before authentication, with SaslHandshake and SaslAuthenticate added', async () => {
    const c = await rawConnection(saslPlain.bootstrap.split(',')[0]!);
    c.socket.write(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: 7, clientId: 'raw', body: Buffer.alloc(0) }));
    await until(() => c.frames.length === 1, 'the ApiVersions answer');
    const res = decodeResponse(c.frames[0]!, ApiKey.ApiVersions, 2);
    expect(res.correlationId).toBe(7);
    const apis = decodeApiVersionsResponse(2, res.body);
    expect(apis.errorCode).toBe(0);
    expect(apis.apis).toContainEqual({ apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1 });
    expect(apis.apis).toContainEqual({ apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2 });
    expect(apis.apis.some((a) => a.apiKey === ApiKey.Produce)).toBe(true); // the mock's own table is kept
    c.socket.destroy();
  }, SLOW);

  it('closes a connection that sends Metadata before authenticating, without answering', async () => {
    const c = await rawConnection(saslPlain.bootstrap.split(',')[0]!);
    c.socket.write(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 1, correlationId: 1, clientId: 'raw', body: encodeMetadataRequestAllTopics() }));
    await c.closed;
    expect(c.frames).toEqual([]);
  }, SLOW);
});

describe.skipIf(external)('sluice through a plaintext front', () => {
  it('the Kafka source reads a topic led by both brokers (its own Fetch, kafkajs metadata) through the front', async () => {
    const topic = await twoLeaderTopic('front-sluice');
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 4 }));
    await produce(broker.bootstrap, topic, messages);
    const fetchedFrom = new Set<number>();
    const plain = await startFront({ broker, hooks: [() => ({ onRequest: (r) => { if (r.apiKey === ApiKey.Fetch) fetchedFrom.add(r.connection.brokerId); } })] });
    try {
      const session = Session.builder().appName('kafka-front-test').getOrCreate();
      const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', plain.bootstrap).option('subscribe', topic)
        .option('startingOffsets', 'earliest').load().selectExpr('CAST(key AS STRING) AS k', 'CAST(value AS STRING) AS v', 'partition')
        .writeStream.format('memory').queryName('front_sluice').trigger({ availableNow: true }).start();
      await q.awaitTermination();
      const rows = session.table('front_sluice').collect() as unknown as { k: string; v: string; partition: number }[];
      expect(rows.map((r) => `${r.partition}:${r.k}=${r.v}`).sort()).toEqual(messages.map((m) => `${m.partition}:${m.key}=${m.value}`).sort());
      expect(fetchedFrom).toEqual(new Set([1, 2]));
    } finally {
      await plain.stop();
    }
  }, SLOW);
});

describe.skipIf(external)('hook interface', () => {
  it('leaderOf follows a moved leader, and send reaches the given mock broker', async () => {
    const topic = await twoLeaderTopic('front-leader');
    expect(await control!.leaderOf(topic, 0)).toBe(2);
    expect(await control!.leaderOf(topic, 1)).toBe(1);
    expect(await broker.command(`leader ${topic} 0 1`)).toBe('ok');
    expect(await control!.leaderOf(topic, 0)).toBe(1);
    await expect(control!.leaderOf(topic, 9)).rejects.toThrow(/no leader for .*\/9/);

    const body = await control!.send(2, ApiKey.Metadata, 1, encodeMetadataRequestAllTopics());
    const meta = decodeMetadataResponse(1, body);
    // The front's own requests get the mock's real addresses (nothing rewritten on this path).
    expect(meta.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...broker.brokers].sort());
    expect(control!.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
  }, SLOW);

  it('a hook may answer a request itself and replace answers; answers keep request order', async () => {
    // Answers Metadata itself after a delay (so a later, forwarded ApiVersions is ready first), and
    // stamps a marker into every forwarded ApiVersions answer's throttle time.
    const hook: HookFactory = (front) => ({
      async onRequest(req) {
        if (req.apiKey !== ApiKey.Metadata) return;
        await new Promise((r) => setTimeout(r, 300));
        return front.send(1, ApiKey.Metadata, req.apiVersion, req.body);
      },
      onResponse(req, res) {
        if (req.apiKey !== ApiKey.ApiVersions) return res.body;
        const a = decodeApiVersionsResponse(req.apiVersion, res.body);
        const out = Buffer.from(res.body);
        out.writeInt32BE(4242, out.length - 4); // v1/v2: throttle_time_ms is last
        expect(a.throttleTimeMs).toBe(0);
        return out;
      },
    });
    const f = await startFront({ broker, hooks: [hook] });
    try {
      const c = await rawConnection(f.bootstrap.split(',')[0]!);
      c.socket.write(Buffer.concat([
        encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 1, correlationId: 1, clientId: 'raw', body: encodeMetadataRequestAllTopics() }),
        encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 1, correlationId: 2, clientId: 'raw', body: Buffer.alloc(0) }),
      ]));
      await until(() => c.frames.length === 2, 'two answers');
      expect(c.frames.map((p) => p.readInt32BE(0))).toEqual([1, 2]);
      // A hook's own answer is not rewritten (it is the hook's to make): here, the mock's addresses.
      const meta = decodeMetadataResponse(1, decodeResponse(c.frames[0]!, ApiKey.Metadata, 1).body);
      expect(meta.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...broker.brokers].sort());
      expect(decodeApiVersionsResponse(1, decodeResponse(c.frames[1]!, ApiKey.ApiVersions, 1).body).throttleTimeMs).toBe(4242);
      c.socket.destroy();
    } finally {
      await f.stop();
    }
  }, SLOW);
});
