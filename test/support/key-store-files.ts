// Trust and key stores in the formats Kafka users have (PEM, PKCS12, JKS), made at test time:
// certificates and PKCS12 files with `openssl` (Debian package openssl), JKS with Java's keytool.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './tmp.ts';

export interface StoreFiles {
  dir: string;
  /** The CA's certificate, PEM. */
  caPem: string;
  /** A client certificate and its key (signed by the CA), PEM, unencrypted. */
  clientCertPem: string;
  clientKeyPem: string;
  /** PKCS12 with the CA certificate only (a truststore), password `trustpass`. */
  trustP12: string;
  /** PKCS12 with the client key and certificate (a keystore), password `storepass`. */
  keyP12: string;
  /** JKS with the CA certificate as a trusted entry, password `trustpass`. */
  trustJks: string;
  /** JKS with the client key and certificate, store and key password `storepass`. */
  keyJks: string;
  /** A server certificate and key signed by the CA, PEM: for 127.0.0.1 and localhost, and one for kafka.internal only. */
  serverCertPem: string;
  serverKeyPem: string;
  otherHostCertPem: string;
  otherHostKeyPem: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

function keytool(dir: string, args: string[]): void {
  const r = spawnSync('keytool', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`keytool ${args.join(' ')} failed: ${r.error?.message ?? r.stdout + r.stderr} (keytool comes with the JDK of this machine image)`);
}

/** A JKS truststore holding `caFile`'s certificate, made by Java's own keytool. */
export function jksTrustStore(dir: string, caFile: string, password: string, name = 'trust.jks'): string {
  keytool(dir, ['-importcert', '-noprompt', '-alias', 'ca', '-file', caFile, '-keystore', name, '-storetype', 'JKS', '-storepass', password]);
  return join(dir, name);
}

/** A CA, a client certificate it signed, and stores holding them, in a new temp dir. */
export function makeStoreFiles(): StoreFiles {
  const dir = tmpDir('stores');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sluice store test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(dir, ['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=sluice client']);
  openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2']);
  openssl(dir, ['pkcs12', '-export', '-nokeys', '-in', 'ca.pem', '-out', 'trust.p12', '-passout', 'pass:trustpass']);
  openssl(dir, ['pkcs12', '-export', '-inkey', 'client.key', '-in', 'client.pem', '-out', 'key.p12', '-passout', 'pass:storepass']);
  for (const [name, san] of [['server', 'DNS:localhost,IP:127.0.0.1'], ['other', 'DNS:kafka.internal']]) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  jksTrustStore(dir, join(dir, 'ca.pem'), 'trustpass');
  keytool(dir, ['-importkeystore', '-noprompt', '-srckeystore', 'key.p12', '-srcstoretype', 'PKCS12', '-srcstorepass', 'storepass',
    '-destkeystore', 'key.jks', '-deststoretype', 'JKS', '-deststorepass', 'storepass', '-destkeypass', 'storepass']);
  return {
    dir, caPem,
    clientCertPem: readFileSync(join(dir, 'client.pem'), 'utf8'),
    clientKeyPem: readFileSync(join(dir, 'client.key'), 'utf8'),
    trustP12: join(dir, 'trust.p12'), keyP12: join(dir, 'key.p12'), trustJks: join(dir, 'trust.jks'), keyJks: join(dir, 'key.jks'),
    serverCertPem: readFileSync(join(dir, 'server.pem'), 'utf8'), serverKeyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    otherHostCertPem: readFileSync(join(dir, 'other.pem'), 'utf8'), otherHostKeyPem: readFileSync(join(dir, 'other.key'), 'utf8'),
  };
}
