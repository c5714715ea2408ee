// Bad security settings against real servers get errors that say what was seen and which option
// to change, fail without waiting out the retry budget, and never print a secret (issue 11, "Bad
// input"). The test broker speaks neither TLS nor SASL, which is what these cases need: a client
// configured for TLS or SASL meeting a PLAINTEXT listener.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaSecurityError, Session } from '../src/index.ts';
import { startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { makeStoreFiles, type StoreFiles } from './support/key-store-files.ts';
import { tmpDir } from './support/tmp.ts';

let broker: TestBroker, topic: string;
const session = Session.builder().appName('kafka-security-errors').getOrCreate();
beforeAll(async () => { broker = await startBroker(); topic = uniqueTopic('sec'); await broker.createTopic(topic, 1); }, 60_000);
afterAll(async () => { await broker?.stop(); });

const SECRET = 'n0t-in-any-message';
const SCRAM_JAAS = `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="${SECRET}";`;

/** Every file under dir, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p, 'latin1')]; });
}

let n = 0;
async function failure(bootstrap: string, options: Record<string, string>): Promise<{ err: Error; ms: number; stderr: string; cp: string }> {
  const cp = tmpDir('sec-cp'), lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => { lines.push(String(chunk)); return write(chunk, ...rest); }) as typeof process.stderr.write);
  const t0 = Date.now();
  try {
    // fetchOffset.retryTimeoutMs set: the source would wait 60 s for a broker that is down; a security error must not wait.
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').option('fetchOffset.retryTimeoutMs', '60000').option('kafka.connection.timeout.ms', '2000').options(options)
      .load().writeStream.format('memory').queryName(`sec_err_${++n}`).option('checkpointLocation', cp).trigger({ availableNow: true }).start();
    const err = await q.awaitTermination().then(() => { throw new Error('the query should have failed'); }, (e: unknown) => e as Error);
    return { err, ms: Date.now() - t0, stderr: lines.join(''), cp };
  } finally { spy.mockRestore(); }
}

function expectNoSecret(r: { err: Error; stderr: string; cp: string }): void {
  for (let e: unknown = r.err; e instanceof Error; e = e.cause) expect(`${e.message}\n${e.stack}`).not.toContain(SECRET);
  expect(r.stderr).not.toContain(SECRET);
  for (const text of filesUnder(r.cp)) expect(text).not.toContain(SECRET);
}

describe('TLS or SASL against a PLAINTEXT listener', () => {
  it('SSL to a plaintext port says the server did not answer the TLS handshake and asks whether it is PLAINTEXT', async () => {
    const r = await failure(broker.bootstrap, { 'kafka.security.protocol': 'SSL' });
    const port = broker.bootstrap.split(':')[1];
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain(`Cannot connect to Kafka at ${broker.bootstrap} with SSL: the server at ${broker.bootstrap} did not answer the TLS handshake`);
    expect(r.err.message).toContain(`is port ${port} a PLAINTEXT listener? If it is, set option kafka.security.protocol to PLAINTEXT (or SASL_PLAINTEXT)`);
    expect(r.ms).toBeLessThan(30_000); // not the 60 s retry budget
    expect(r.stderr).not.toContain('is not answering'); // and no "waiting" notice
  }, 60_000);

  it('SASL_SSL with a password: the same, naming the mechanism, never the password', async () => {
    const r = await failure(broker.bootstrap, { 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': SCRAM_JAAS });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain("with SASL_SSL, SASL SCRAM-SHA-512 as user 'alice': the server at");
    expect(r.err.message).toContain('did not answer the TLS handshake');
    expectNoSecret(r);
  }, 60_000);

  it('SASL_PLAINTEXT to a listener without SASL says the broker did not accept a SASL handshake', async () => {
    const r = await failure(broker.bootstrap, { 'kafka.security.protocol': 'SASL_PLAINTEXT', 'kafka.sasl.mechanism': 'PLAIN',
      'kafka.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="${SECRET}";` });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain(`Kafka at ${broker.bootstrap} did not accept a SASL handshake: is it a listener without SASL? If so, set option kafka.security.protocol to PLAINTEXT`);
    expect(r.ms).toBeLessThan(30_000);
    expectNoSecret(r);
  }, 60_000);
});

describe('a server that accepts the connection and says nothing', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((s) => { sockets.push(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => { for (const s of sockets) s.destroy(); await new Promise((r) => silent.close(r)); });

  it('fails within the connection timeout, naming kafka.connection.timeout.ms', async () => {
    const addr = silent.address() as { port: number };
    const r = await failure(`127.0.0.1:${addr.port}`, { 'kafka.security.protocol': 'SSL' });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain(`the server at 127.0.0.1:${addr.port} did not answer the TLS handshake within the connection timeout (option kafka.connection.timeout.ms): is port ${addr.port} a PLAINTEXT listener?`);
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);
});

// Handshake failures need only a TLS server: node's own, with certificates made by openssl. The
// handshake is all these cases reach (a Kafka front for the success paths: kafka-security-front.test.ts).
describe('TLS handshakes that fail', () => {
  let s: StoreFiles;
  const servers: tls.Server[] = [];
  beforeAll(() => { s = makeStoreFiles(); }, 60_000);
  afterAll(async () => { for (const x of servers) await new Promise((r) => x.close(r)); });
  async function tlsServer(o: tls.TlsOptions): Promise<string> {
    const server = tls.createServer(o, (sock) => { sock.on('error', () => undefined); });
    server.on('tlsClientError', () => undefined);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('a broker certificate from a CA the client does not trust: says so and names the truststore options', async () => {
    const addr = await tlsServer({ cert: s.serverCertPem, key: s.serverKeyPem });
    const r = await failure(addr, { 'kafka.security.protocol': 'SSL' });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toMatch(/presented a certificate this client does not trust \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    expect(r.err.message).toContain('kafka.ssl.truststore.location');
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);

  it('a certificate for another host name: says so and names kafka.ssl.endpoint.identification.algorithm', async () => {
    const addr = await tlsServer({ cert: s.otherHostCertPem, key: s.otherHostKeyPem });
    const r = await failure(addr, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.certificates': s.caPem });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain("the broker's certificate does not name the host it was reached by");
    expect(r.err.message).toContain("set option kafka.ssl.endpoint.identification.algorithm to ''");
  }, 60_000);

  it('mutual TLS: the client certificate from a PKCS12, JKS, PEM-file or inline-PEM keystore is the one the server sees', async () => {
    const seen: string[] = [];
    const addr = await tlsServer({ cert: s.serverCertPem, key: s.serverKeyPem, ca: s.caPem, requestCert: true, rejectUnauthorized: true });
    servers.at(-1)!.on('secureConnection', (sock) => {
      seen.push(`${sock.authorized} ${(sock.getPeerCertificate().subject as { CN?: string }).CN}`);
      sock.destroy(); // the handshake is what is checked; the query then fails as against a broker that hangs up
    });
    const both = join(s.dir, 'client-both.pem');
    writeFileSync(both, s.clientKeyPem + s.clientCertPem);
    const keystores: Record<string, string>[] = [
      { 'kafka.ssl.keystore.location': s.keyP12, 'kafka.ssl.keystore.type': 'PKCS12', 'kafka.ssl.keystore.password': 'storepass' },
      { 'kafka.ssl.keystore.location': s.keyJks, 'kafka.ssl.keystore.type': 'JKS', 'kafka.ssl.keystore.password': 'storepass', 'kafka.ssl.key.password': 'storepass' },
      { 'kafka.ssl.keystore.location': both, 'kafka.ssl.keystore.type': 'PEM' },
      { 'kafka.ssl.keystore.type': 'PEM', 'kafka.ssl.keystore.certificate.chain': s.clientCertPem, 'kafka.ssl.keystore.key': s.clientKeyPem },
    ];
    for (const ks of keystores) {
      seen.length = 0;
      await failure(addr, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustJks, 'kafka.ssl.truststore.password': 'trustpass',
        'fetchOffset.retryTimeoutMs': '500', ...ks });
      expect(seen[0], JSON.stringify(ks)).toBe('true sluice client');
    }
  }, 120_000);

  it('a broker that requires a client certificate: names kafka.ssl.keystore.location, and a wrong key store password is an option error', async () => {
    const addr = await tlsServer({ cert: s.serverCertPem, key: s.serverKeyPem, ca: s.caPem, requestCert: true, rejectUnauthorized: true });
    const r = await failure(addr, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustJks, 'kafka.ssl.truststore.password': 'trustpass' });
    expect(r.err).toBeInstanceOf(KafkaSecurityError);
    expect(r.err.message).toContain('it may require a client certificate: set option kafka.ssl.keystore.location');
    const bad = await failure(addr, { 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustP12, 'kafka.ssl.truststore.password': 'trustpass',
      'kafka.ssl.keystore.location': s.keyP12, 'kafka.ssl.keystore.password': SECRET }).catch((e: unknown) => ({ err: e as Error }));
    expect(bad.err.name).toBe('OptionError');
    expect(bad.err.message).toContain('kafka.ssl.keystore');
    expect(bad.err.message).not.toContain(SECRET);
  }, 60_000);
});
