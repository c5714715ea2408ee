// sluice's Kafka source through a real TLS + SASL front (tools/kafka-front: TLS termination, PLAIN
// and SCRAM-SHA-256/512 with server-side SCRAM verification) in front of the test broker, with the
// options written as a PySpark job writes them; the wrong-setting errors against the same front;
// and no secret in any place a query shows (errors, stderr, progress, the web UI and /metrics, the
// checkpoint and `sluice checkpoint show`).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaSecurityError, Session } from '../src/index.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { ROOT, runSluice } from './support/cli.ts';
import { startFront, type TestFront } from './support/kafka-front.ts';
import { kcatConsume } from './support/kcat.ts';
import { jksTrustStore } from './support/key-store-files.ts';
import { tmpDir } from './support/tmp.ts';
import { childCommand } from './support/child-bundles.ts';

const PASSWORD = 'pa55-w0rd-never-shown', OTHER = 'sc0tt-tiger-never-shown';
const USERS = { alice: PASSWORD, bob: OTHER };
const ROWS = 40;

let broker: TestBroker, topic: string;
const fronts: TestFront[] = [];
const session = Session.builder().appName('kafka-security-front').getOrCreate();
// The front stands before the project's own test broker; a cluster given by KAFKA_BOOTSTRAP_SERVERS has its own security.
const external = !!process.env.KAFKA_BOOTSTRAP_SERVERS;

beforeAll(async () => {
  if (external) return;
  broker = await startBroker();
  topic = uniqueTopic('secure');
  await broker.createTopic(topic, 2);
  await produce(broker.bootstrap, topic, Array.from({ length: ROWS }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
}, 60_000);
afterAll(async () => { for (const f of fronts) await f.stop(); await broker?.stop(); });

async function front(o: Omit<Parameters<typeof startFront>[0], 'broker'>): Promise<TestFront> {
  const f = await startFront({ broker, ...o });
  fronts.push(f);
  return f;
}

const scram = (user: string, pw: string): string => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${pw}";`;
const plain = (user: string, pw: string): string => `org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${pw}";`;

let n = 0;
/** A Kafka -> memory query over the whole topic through `bootstrap` with `options`; its rows, or its error. */
async function run(bootstrap: string, options: Record<string, string>, extra: { cp?: string; ui?: boolean; continuous?: boolean } = {}) {
  const name = `secure_${++n}`;
  let w = session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic)
    .option('startingOffsets', 'earliest').option('kafka.connection.timeout.ms', '5000').options(options)
    .load().selectExpr('CAST(value AS STRING) AS value').writeStream.format('memory').queryName(name).trigger(extra.continuous ? { processingTime: 200 } : { availableNow: true });
  if (extra.cp) w = w.option('checkpointLocation', extra.cp);
  if (extra.ui) w = w.option('ui.port', 0);
  const q = await w.start();
  return { q, name, done: q.awaitTermination().then(() => null, (e: unknown) => e as Error) };
}

async function values(bootstrap: string, options: Record<string, string>): Promise<string[]> {
  const { name, done } = await run(bootstrap, options);
  const err = await done;
  if (err) throw err;
  return session.table(name).collect().map((r) => String(r['value'])).sort();
}
const expected = Array.from({ length: ROWS }, (_, i) => `v${i}`).sort();

describe.skipIf(external)('reading through TLS and SASL, options as in PySpark', () => {
  it('SASL_SSL with SCRAM-SHA-512', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    expect(await values(f.bootstrap, {
      'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': scram('alice', PASSWORD),
      'kafka.ssl.truststore.location': f.caFile!, 'kafka.ssl.truststore.type': 'PEM',
    })).toEqual(expected);
  }, 120_000);

  it('SASL_SSL with SCRAM-SHA-256', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-256'], users: USERS } });
    expect(await values(f.bootstrap, {
      'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-256', 'kafka.sasl.jaas.config': scram('bob', OTHER),
      'kafka.ssl.truststore.location': f.caFile!, 'kafka.ssl.truststore.type': 'PEM',
    })).toEqual(expected);
  }, 120_000);

  it('SASL_SSL with PLAIN (Confluent Cloud style)', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['PLAIN'], users: USERS } });
    expect(await values(f.bootstrap, {
      'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.jaas.config': plain('alice', PASSWORD),
      'kafka.ssl.truststore.location': f.caFile!,
    })).toEqual(expected);
  }, 120_000);

  it('SSL only, with the truststore as PEM, PKCS12 and JKS', async () => {
    const f = await front({ tls: true });
    expect(await values(f.bootstrap, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': f.caFile!, 'kafka.ssl.truststore.type': 'PEM' })).toEqual(expected);
    const dir = tmpDir('front-stores'), p12 = join(dir, 'truststore.p12'), jks = join(dir, 'truststore.jks');
    const made = spawnSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', f.caFile!, '-out', p12, '-passout', 'pass:changeit'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    expect(jksTrustStore(dir, f.caFile!, 'changeit', 'truststore.jks')).toBe(jks);
    for (const [location, type] of [[p12, 'PKCS12'], [jks, 'JKS']]) {
      expect(await values(f.bootstrap, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': location!, 'kafka.ssl.truststore.type': type!, 'kafka.ssl.truststore.password': 'changeit' })).toEqual(expected);
    }
  }, 120_000);

  it('SASL_PLAINTEXT with SCRAM-SHA-256, and with kafka.sasl.username/password', async () => {
    const f = await front({ sasl: { mechanisms: ['SCRAM-SHA-256', 'PLAIN'], users: USERS } });
    expect(await values(f.bootstrap, { 'kafka.security.protocol': 'SASL_PLAINTEXT', 'kafka.sasl.mechanism': 'SCRAM-SHA-256', 'kafka.sasl.jaas.config': scram('alice', PASSWORD) })).toEqual(expected);
    expect(await values(f.bootstrap, { 'kafka.security.protocol': 'SASL_PLAINTEXT', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.username': 'bob', 'kafka.sasl.password': OTHER })).toEqual(expected);
  }, 120_000);
});

describe.skipIf(external)('writing through TLS and SASL: the Kafka sink takes the same options', () => {
  it('Kafka -> Kafka over SASL_SSL SCRAM-SHA-512, exactly once; kcat with the same credentials reads every record once (read_committed)', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    const security = {
      'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': scram('alice', PASSWORD),
      'kafka.ssl.truststore.location': f.caFile!, 'kafka.ssl.truststore.type': 'PEM',
    };
    const out = uniqueTopic('secure-out');
    await broker.createTopic(out, 2);
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', f.bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').options(security).load()
      .selectExpr('key', "concat(CAST(value AS STRING), '!') AS value")
      .writeStream.format('kafka').option('kafka.bootstrap.servers', f.bootstrap).option('topic', out).options(security)
      .option('checkpointLocation', tmpDir('secure-sink')).trigger({ availableNow: true }).start();
    await q.awaitTermination();
    const read = await kcatConsume(f.bootstrap, out, [
      '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD}`,
      '-X', `ssl.ca.location=${f.caFile!}`, '-X', 'isolation.level=read_committed',
    ]);
    expect(read.sort()).toEqual(expected.map((v) => `${v}!`).sort());
  }, 120_000);
});

describe.skipIf(external)('a process whose query read through TLS and SASL exits by itself', () => {
  it('availableNow over SASL_SSL SCRAM-SHA-512, twice, the front left running', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    const options = JSON.stringify({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': scram('alice', PASSWORD), 'kafka.ssl.truststore.location': f.caFile! });
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, childCommand(['test/fixtures/exit-after-query.ts', f.bootstrap, topic, String(ROWS), 'availableNow', options]),
        { cwd: ROOT, env: { ...process.env, EXIT_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '', killed = false;
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, 40_000);
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      clearTimeout(timer);
      expect(killed, `still running after 40 s, killed:\n${err}`).toBe(false);
      expect(code, err).toBe(0);
      expect(JSON.parse(out.trim())).toEqual({ rows: ROWS });
    }
  }, 120_000);
});

/** Every file under dir, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p, 'latin1')]; });
}

function captureStderr(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => { lines.push(String(chunk)); return write(chunk, ...rest); }) as typeof process.stderr.write);
  return { lines, restore: () => spy.mockRestore() };
}

const errorTexts = (e: unknown): string => { let s = ''; for (let x = e; x instanceof Error; x = x.cause) s += `${x.message}\n${x.stack}\n`; return s; };

describe.skipIf(external)('wrong settings against the real front', () => {
  it('a wrong password names the mechanism and the broker, never the secret, and is not retried', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    const err = captureStderr();
    const t0 = Date.now();
    try {
      const { done } = await run(f.bootstrap, {
        'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': scram('alice', OTHER),
        'kafka.ssl.truststore.location': f.caFile!, 'fetchOffset.retryTimeoutMs': '60000',
      }, { cp: tmpDir('sec-wrong-pw') });
      const e = (await done)!;
      expect(e).toBeInstanceOf(KafkaSecurityError);
      expect(e.message).toContain(`refused the SASL SCRAM-SHA-512 login (SASL_SSL, SASL SCRAM-SHA-512 as user 'alice')`);
      expect(e.message).toMatch(new RegExp(`Kafka at (${f.bootstrap.split(',').map((b: string) => b.replace(/\./g, '\\.')).join('|')})`));
      expect(errorTexts(e)).not.toContain(OTHER);
      expect(errorTexts(e)).not.toContain(PASSWORD);
      expect(err.lines.join('')).not.toContain(OTHER);
      expect(Date.now() - t0).toBeLessThan(45_000); // failed, not retried for the 60 s budget
    } finally { err.restore(); }
  }, 120_000);

  it('a mechanism the listener does not enable is named', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    const { done } = await run(f.bootstrap, { 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.jaas.config': plain('alice', PASSWORD), 'kafka.ssl.truststore.location': f.caFile! });
    const e = (await done)!;
    expect(e).toBeInstanceOf(KafkaSecurityError);
    expect(e.message).toContain('does not enable SASL mechanism PLAIN (option kafka.sasl.mechanism)');
    expect(errorTexts(e)).not.toContain(PASSWORD);
  }, 120_000);

  it('TLS to the front\'s plaintext SASL port, and plaintext to its TLS port, say what was seen', async () => {
    const plainSasl = await front({ sasl: { mechanisms: ['SCRAM-SHA-256'], users: USERS } });
    const a = (await (await run(plainSasl.bootstrap, { 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-256', 'kafka.sasl.jaas.config': scram('alice', PASSWORD) })).done)!;
    expect(a).toBeInstanceOf(KafkaSecurityError);
    expect(a.message).toMatch(/did not answer the TLS handshake .*is port \d+ a PLAINTEXT listener\?/);
    const tlsOnly = await front({ tls: true });
    const b = (await (await run(tlsOnly.bootstrap, {})).done)!;
    // The front's TLS listener closes a connection that does not start with a TLS hello, without an alert: sluice
    // cannot know it was TLS, so it says what it saw and what to check, and keeps retrying as for any closed connection.
    expect(b.message).toContain(`closed the connection without answering: if that listener uses TLS or SASL, set option kafka.security.protocol`);
  }, 120_000);
});

describe.skipIf(external)('secrets are never shown', () => {
  it('not in progress, stderr, the web UI, /metrics, the checkpoint or `sluice checkpoint show`', async () => {
    const f = await front({ tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: USERS } });
    const jaas = scram('alice', PASSWORD);
    const cp = tmpDir('sec-redact'), err = captureStderr();
    try {
      const { q, done } = await run(f.bootstrap, {
        'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': jaas,
        'kafka.ssl.truststore.location': f.caFile!,
      }, { cp, ui: true, continuous: true });
      const url = q.uiUrl!;
      await q.processAllAvailable();
      const shown: [string, string][] = [
        ['progress', JSON.stringify(q.recentProgress)],
        ['stderr', err.lines.join('')],
        ['ui page', await (await fetch(url)).text()],
        ['ui api', await (await fetch(new URL('/api/queries', url))).text()],
        ['/metrics', await (await fetch(new URL('/metrics', url))).text()],
      ];
      await q.stop();
      expect(await done).toBeNull();
      shown.push(['checkpoint files', filesUnder(cp).join('\n')]);
      const show = await runSluice(['checkpoint', 'show', cp]);
      expect(show.code).toBe(0);
      const showJson = await runSluice(['checkpoint', 'show', cp, '--json']);
      shown.push(['checkpoint show', show.stdout + show.stderr], ['checkpoint show --json', showJson.stdout + showJson.stderr]);
      // The places were looked at while the query had read the topic: its rows and its name are there.
      expect(q.recentProgress.reduce((a, p) => a + p.numInputRows, 0)).toBe(ROWS);
      for (const [where, text] of shown.filter(([w]) => w.startsWith('ui api') || w === '/metrics' || w.startsWith('checkpoint show'))) expect(text, where).toMatch(/secure_\d+|batch|offset/i);
      for (const [where, text] of shown) {
        expect(text, where).not.toContain(PASSWORD);
        expect(text, where).not.toContain('ScramLoginModule');
      }
    } finally { err.restore(); }
  }, 120_000);
});
