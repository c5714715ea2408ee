// The security options (Spark's kafka.security.protocol / kafka.sasl.* / kafka.ssl.* names) as
// kafkajs settings: JAAS parsing, stores, errors that name the option, and that no secret is
// ever printed. Connections through TLS and SASL are in kafka-security-front.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { OptionError } from '../src/errors.ts';
import { parseJaasConfig } from '../src/kafka/security/jaas-config.ts';
import { parseKafkaSecurity } from '../src/kafka/security/kafka-security.ts';
import { registerOAuthBearerCallback, mskRegion } from '../src/kafka/security/oauth-bearer.ts';
import { REDACTED, redactJaasConfig, redactOptions } from '../src/kafka/security/secret-options.ts';
import { CaseInsensitiveMap } from '../src/util/case-insensitive-map.ts';
import { makeStoreFiles, type StoreFiles } from './support/key-store-files.ts';
import { tmpDir } from './support/tmp.ts';

const SERVERS = ['broker.example:9093'];
const opts = (o: Record<string, string>): CaseInsensitiveMap => { const m = new CaseInsensitiveMap(); for (const [k, v] of Object.entries(o)) m.set(k, v); return m; };
const parse = (o: Record<string, string>) => parseKafkaSecurity(opts(o), SERVERS);
const errorOf = (fn: () => unknown): Error => { try { fn(); } catch (e) { return e as Error; } throw new Error('expected an error'); };

const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="api-key" password="s3cr3t-p4ss";';
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";';

/**
 * Sets (a string) or removes (undefined) environment variables until `restore()`, which puts the
 * old values back on the same process.env: replacing the object would hide later keys from what
 * reads the real one (a worker thread started with `env: process.env`, in a file that runs after
 * this one in the same vitest process).
 */
function setEnv(vars: Record<string, string | undefined>): { restore(): void } {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (kv: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(kv)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  };
  put(vars);
  return { restore: () => put(old) };
}

describe('kafka.sasl.jaas.config', () => {
  it('reads the forms Spark users paste, with quoted values and escapes', () => {
    expect(parseJaasConfig(PLAIN_JAAS)).toEqual({ loginModule: 'org.apache.kafka.common.security.plain.PlainLoginModule', flag: 'required', options: { username: 'api-key', password: 's3cr3t-p4ss' } });
    const e = parseJaasConfig(`org.apache.kafka.common.security.scram.ScramLoginModule required
      username="a\\"b" // a comment
      password="x;y=z\\\\w" /* another */ extra=plain_word;`);
    expect(e.options).toEqual({ username: 'a"b', password: 'x;y=z\\w', extra: 'plain_word' });
    expect(parseJaasConfig('software.amazon.msk.auth.iam.IAMLoginModule required;')).toEqual({ loginModule: 'software.amazon.msk.auth.iam.IAMLoginModule', flag: 'required', options: {} });
  });

  it('refuses what Kafka refuses, at a position, without echoing the text', () => {
    for (const bad of [
      'org.apache.kafka.common.security.plain.PlainLoginModule username="u" password="hunter22";',
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter22"',
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter22;',
      `${PLAIN_JAAS} ${PLAIN_JAAS}`,
    ]) {
      const e = errorOf(() => parseJaasConfig(bad));
      expect(e).toBeInstanceOf(OptionError);
      expect(e.message).toContain('kafka.sasl.jaas.config');
      expect(e.message).not.toContain('hunter22');
      expect(e.message).not.toContain('s3cr3t');
    }
  });
});

describe('protocol and mechanism', () => {
  it('maps each protocol and mechanism onto kafkajs', () => {
    expect(parse({}).kafkajs).not.toHaveProperty('ssl');
    expect(parse({}).kafkajs).not.toHaveProperty('sasl');
    expect(parse({ 'kafka.security.protocol': 'SSL' }).kafkajs.ssl).toEqual({});
    const scram = parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512', 'kafka.sasl.jaas.config': SCRAM_JAAS });
    expect(scram.kafkajs.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' });
    expect(scram.kafkajs.ssl).toBeDefined();
    expect(scram.summary).toBe("SASL_SSL, SASL SCRAM-SHA-512 as user 'alice'");
    const plain = parse({ 'kafka.security.protocol': 'sasl_plaintext', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.username': 'u', 'kafka.sasl.password': 'pw-pw' });
    expect(plain.kafkajs.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'pw-pw' });
    expect(plain.kafkajs).not.toHaveProperty('ssl');
    // Databricks' shaded class names port too.
    const shaded = parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-256',
      'kafka.sasl.jaas.config': 'kafkashaded.org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";' });
    expect(shaded.kafkajs.sasl).toMatchObject({ mechanism: 'scram-sha-256', username: 'u' });
  });

  it('an unknown protocol or mechanism lists the supported ones', () => {
    const p = errorOf(() => parse({ 'kafka.security.protocol': 'TLS' }));
    expect(p).toBeInstanceOf(OptionError);
    expect(p.message).toBe("Option 'kafka.security.protocol' is 'TLS'; it must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL.");
    const m = errorOf(() => parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'GSSAPI', 'kafka.sasl.jaas.config': PLAIN_JAAS }));
    expect(m.message).toContain("Option 'kafka.sasl.mechanism' is 'GSSAPI'; it must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM.");
    expect(m.message).not.toContain('s3cr3t');
  });

  it('an incomplete combination names the option', () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN' }, "set option 'kafka.sasl.jaas.config'"],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.jaas.config': PLAIN_JAAS }, "Option 'kafka.sasl.mechanism' is not set"],
      [{ 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.jaas.config': PLAIN_JAAS }, "Option 'kafka.sasl.mechanism' is set, but 'kafka.security.protocol' is PLAINTEXT (the default)"],
      [{ 'kafka.ssl.truststore.location': '/x.pem' }, "Option 'kafka.ssl.truststore.location' is set, but 'kafka.security.protocol' is PLAINTEXT"],
      [{ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': '/nonexistent/trust.pem' }, "Option 'kafka.ssl.truststore.location' names '/nonexistent/trust.pem', which cannot be read (no such file)"],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'SCRAM-SHA-512',
        'kafka.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice";' }, 'has no password='],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.username': 'u' }, "Option 'kafka.sasl.username' needs 'kafka.sasl.password' too"],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required;' }, 'needs a PlainLoginModule or ScramLoginModule'],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'OAUTHBEARER' }, 'kafka.sasl.login.callback.handler.class'],
      [{ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'OAUTHBEARER', 'kafka.sasl.login.callback.handler.class': 'com.example.Nope' }, "no OAUTHBEARER callback is registered under that name"],
      [{ 'kafka.security.protocol': 'SSL', 'kafka.ssl.endpoint.identification.algorithm': 'none' }, "Option 'kafka.ssl.endpoint.identification.algorithm' is 'none'"],
      [{ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.password': 'kspass' }, "Option 'kafka.ssl.keystore.password' is set without 'kafka.ssl.keystore.location'"],
    ];
    for (const [o, expected] of cases) {
      const e = errorOf(() => parse(o));
      expect(e, JSON.stringify(o)).toBeInstanceOf(OptionError);
      expect(e.message, JSON.stringify(o)).toContain(expected);
    }
  });
});

describe('trust and key stores', () => {
  let s: StoreFiles;
  beforeAll(() => { s = makeStoreFiles(); }, 60_000);

  it('reads a truststore as PEM, PKCS12 and JKS into the same CA', () => {
    const pemFile = join(s.dir, 'ca.pem');
    const asPem = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': pemFile, 'kafka.ssl.truststore.type': 'PEM' }).kafkajs.ssl!.ca;
    expect(String(asPem).trim()).toBe(s.caPem.trim());
    const norm = (x: unknown): string => String(x).replace(/\r/g, '').trim();
    const p12 = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustP12, 'kafka.ssl.truststore.type': 'PKCS12', 'kafka.ssl.truststore.password': 'trustpass' }).kafkajs.ssl!.ca as string[];
    expect(p12.map(norm)).toEqual([norm(s.caPem)]);
    const jks = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustJks, 'kafka.ssl.truststore.type': 'JKS', 'kafka.ssl.truststore.password': 'trustpass' }).kafkajs.ssl!.ca as string[];
    expect(jks.map(norm)).toEqual([norm(s.caPem)]);
    // Without a type the format is read from the bytes (Kafka's default type, JKS, would refuse the PEM file).
    expect(parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': pemFile }).kafkajs.ssl!.ca).toBeDefined();
    const inline = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.type': 'PEM', 'kafka.ssl.truststore.certificates': s.caPem }).kafkajs.ssl!.ca;
    expect(inline).toBe(s.caPem);
  });

  it('a wrong store password or type names the option, not the password', () => {
    const wrong = errorOf(() => parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustP12, 'kafka.ssl.truststore.password': 'not-the-pass' }));
    expect(wrong).toBeInstanceOf(OptionError);
    expect(wrong.message).toContain("Check option 'kafka.ssl.truststore.password'");
    expect(wrong.message).not.toContain('not-the-pass');
    const jksWrong = errorOf(() => parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustJks, 'kafka.ssl.truststore.password': 'not-the-pass' }));
    expect(jksWrong.message).toContain("Check option 'kafka.ssl.truststore.password'");
    const type = errorOf(() => parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.truststore.location': s.trustJks, 'kafka.ssl.truststore.type': 'PKCS12' }));
    expect(type.message).toContain("Option 'kafka.ssl.truststore.type' says PKCS12, but the file of option 'kafka.ssl.truststore.location' is JKS");
    const ks = errorOf(() => parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.location': s.keyP12, 'kafka.ssl.keystore.password': 'bad-store-pw' }));
    expect(ks).toBeInstanceOf(OptionError);
    expect(ks.message).toContain('Check the keystore (kafka.ssl.keystore.*, kafka.ssl.key.password)');
    expect(ks.message).not.toContain('bad-store-pw');
  });

  it('reads a keystore for mutual TLS as PKCS12, PEM file and inline PEM', () => {
    const p12 = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.location': s.keyP12, 'kafka.ssl.keystore.type': 'PKCS12', 'kafka.ssl.keystore.password': 'storepass' }).kafkajs.ssl!;
    expect(p12.pfx).toBeInstanceOf(Buffer);
    expect(p12.passphrase).toBe('storepass');
    const jks = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.location': s.keyJks, 'kafka.ssl.keystore.password': 'storepass', 'kafka.ssl.key.password': 'storepass' }).kafkajs.ssl!;
    expect(String(jks.cert)).toContain('BEGIN CERTIFICATE');
    expect(String(jks.key)).toContain('PRIVATE KEY');
    const both = join(s.dir, 'client-both.pem');
    writeFileSync(both, s.clientKeyPem + s.clientCertPem);
    const pem = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.location': both, 'kafka.ssl.keystore.type': 'PEM' }).kafkajs.ssl!;
    expect(String(pem.cert)).toContain('BEGIN CERTIFICATE');
    const inline = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.keystore.type': 'PEM',
      'kafka.ssl.keystore.certificate.chain': s.clientCertPem, 'kafka.ssl.keystore.key': s.clientKeyPem }).kafkajs.ssl!;
    expect(inline.key).toBe(s.clientKeyPem);
  });

  it("kafka.ssl.endpoint.identification.algorithm '' turns off the host name check only", () => {
    const off = parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.endpoint.identification.algorithm': '' }).kafkajs.ssl!;
    expect(off.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
    expect(off).not.toHaveProperty('rejectUnauthorized');
    expect(parse({ 'kafka.security.protocol': 'SSL', 'kafka.ssl.endpoint.identification.algorithm': 'https' }).kafkajs.ssl).not.toHaveProperty('checkServerIdentity');
  });
});

describe('OAUTHBEARER and AWS_MSK_IAM', () => {
  it('takes the token from the callback the script registered, reused within its lifetime', async () => {
    let calls = 0;
    registerOAuthBearerCallback('com.example.TokenHandler', async () => ({ value: `tok-${++calls}-abcdef`, lifetimeMs: 60_000, extensions: { logicalCluster: 'lkc-1' } }));
    const sec = parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'OAUTHBEARER', 'kafka.sasl.login.callback.handler.class': 'com.example.TokenHandler',
      'kafka.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;' });
    const sasl = sec.kafkajs.sasl as { mechanism: string; oauthBearerProvider: () => Promise<{ value: string; extensions?: object }> };
    expect(sasl.mechanism).toBe('oauthbearer');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'tok-1-abcdef', extensions: { logicalCluster: 'lkc-1' }, refreshAt: expect.any(Number) });
    expect((await sasl.oauthBearerProvider()).value).toBe('tok-1-abcdef');
    expect(calls).toBe(1);
    // A token seen is a secret from then on.
    expect(sec.scrub('kafkajs said tok-1-abcdef was bad')).toBe(`kafkajs said ${REDACTED} was bad`);
  });

  it("builds Kafka's unsecured development token from unsecuredLoginStringClaim_sub", async () => {
    const sec = parse({ 'kafka.security.protocol': 'SASL_PLAINTEXT', 'kafka.sasl.mechanism': 'OAUTHBEARER',
      'kafka.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";' });
    const { value } = await (sec.kafkajs.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
    const [h, p, sig] = value.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'none' });
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ sub: 'alice' });
    expect(sig).toBe('');
  });

  // Cannot be tested against MSK here (no network but the package registries): this checks the
  // token AWS's signer makes from static credentials in the environment (the AWS default chain's
  // first step) has the documented shape: a base64url presigned kafka-cluster:Connect URL.
  it('AWS_MSK_IAM signs a kafka-cluster:Connect URL with the AWS default chain', async () => {
    const saved = setEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined });
    try {
      const servers = ['b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'];
      expect(mskRegion(servers)).toBe('eu-west-1');
      const sec = parseKafkaSecurity(opts({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'AWS_MSK_IAM',
        'kafka.sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required;',
        'kafka.sasl.client.callback.handler.class': 'software.amazon.msk.auth.iam.IAMClientCallbackHandler' }), servers);
      expect(sec.kafkajs.sasl?.mechanism).toBe('oauthbearer');
      const { value } = await (sec.kafkajs.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
      const url = new URL(Buffer.from(value, 'base64url').toString());
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(value).not.toContain('wJalrXUtnFEMI');
    } finally { saved.restore(); }
  });

  it("AWS_MSK_IAM's awsProfileName in the JAAS line takes that profile's credentials", async () => {
    const dir = tmpDir('aws-profile'), file = join(dir, 'credentials');
    writeFileSync(file, '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n[analytics]\naws_access_key_id = AKIDANALYTICS\naws_secret_access_key = a\n');
    const saved = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: join(dir, 'none'), AWS_REGION: 'us-east-2' });
    try {
      const sec = parseKafkaSecurity(opts({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'AWS_MSK_IAM',
        'kafka.sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="analytics";' }), ['msk.internal.example:9098']);
      const { value } = await (sec.kafkajs.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
      const url = new URL(Buffer.from(value, 'base64url').toString());
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDANALYTICS\/\d{8}\/us-east-2\/kafka-cluster\/aws4_request$/);
    } finally { saved.restore(); }
  });

  it('AWS_MSK_IAM without a region names where it looks', () => {
    const saved = setEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    try {
      const e = errorOf(() => parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'AWS_MSK_IAM', 'kafka.sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required;' }));
      expect(e.message).toContain('AWS_REGION');
    } finally { saved.restore(); }
  });
});

// Spark's KafkaRedactionUtilSuite, with its expected answers (connector/kafka-0-10-token-provider).
describe('KafkaRedactionUtilSuite', () => {
  it('redactParams should give back empty parameters', () => {
    expect(redactOptions(new Map())).toEqual({});
  });

  it('redactParams should redact passwords from parameters', () => {
    const groupId = `id-${crypto.randomUUID()}`;
    const r = redactOptions({ 'kafka.group.id': groupId, 'kafka.ssl.truststore.password': 'trustStorePassword',
      'kafka.ssl.keystore.password': 'keyStorePassword', 'kafka.ssl.key.password': 'keyPassword' });
    expect(Object.keys(r)).toHaveLength(4);
    expect(r['kafka.group.id']).toBe(groupId);
    expect(r['kafka.ssl.truststore.password']).toBe(REDACTED);
    expect(r['kafka.ssl.keystore.password']).toBe(REDACTED);
    expect(r['kafka.ssl.key.password']).toBe(REDACTED);
  });

  it('redactJaasParam should give back empty string', () => {
    expect(redactJaasConfig('')).toBe('');
  });

  it('redactJaasParam should redact token password', () => {
    // Spark's getTokenJaasParams: ScramLoginModule with the token id as user name and its password.
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required tokenauth=true serviceName="kafka" username="tokenId1" password="tokenPassword1";';
    const r = redactJaasConfig(jaas);
    expect(r).toContain('tokenId1');
    expect(r).not.toContain('tokenPassword1');
    expect(r).toBe(`org.apache.kafka.common.security.scram.ScramLoginModule required tokenauth="true" serviceName="kafka" username="tokenId1" password="${REDACTED}";`);
    expect(redactJaasConfig('not a jaas line with password="x"')).toBe(REDACTED);
  });
});

describe('secrets', () => {
  it('redacts the secret options by name, as Spark does', () => {
    const r = redactOptions(opts({ 'kafka.sasl.jaas.config': PLAIN_JAAS, 'kafka.ssl.truststore.password': 'tp', 'kafka.ssl.keystore.key': '-----BEGIN PRIVATE KEY-----',
      'kafka.sasl.password': 'x', subscribe: 'orders', 'kafka.bootstrap.servers': 'b:9092' }));
    expect(r).toEqual({ 'kafka.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="api-key" password="${REDACTED}";`, 'kafka.ssl.truststore.password': REDACTED, 'kafka.ssl.keystore.key': REDACTED,
      'kafka.sasl.password': REDACTED, subscribe: 'orders', 'kafka.bootstrap.servers': 'b:9092' });
  });

  it('scrubs passwords and the JAAS text out of any message', () => {
    const sec = parse({ 'kafka.security.protocol': 'SASL_SSL', 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.jaas.config': PLAIN_JAAS });
    expect(sec.scrub(`failed with s3cr3t-p4ss in it; config ${PLAIN_JAAS}`)).not.toMatch(/s3cr3t-p4ss|PlainLoginModule required/);
    expect(sec.summary).not.toContain('s3cr3t');
  });
});
