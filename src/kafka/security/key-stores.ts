import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ConnectionOptions } from 'node:tls';
import forge from 'node-forge';
import { OptionError } from '../../errors.ts';

/**
 * Kafka's `ssl.truststore.*` and `ssl.keystore.*` as node TLS options. PEM is read as is;
 * PKCS12 keystores go to node's own `pfx`; a PKCS12 truststore holds certificates without a
 * key, which node's `pfx` refuses ("Unable to load private key from PFX data", measured on
 * Node 20), so node-forge reads it; JKS (Java's own format) is read by jks-js.
 */

export type StoreType = 'PEM' | 'PKCS12' | 'JKS';
const TYPES: readonly StoreType[] = ['PEM', 'PKCS12', 'JKS'];

const require = createRequire(import.meta.url);
interface JksEntry { ca?: string; cert?: string; key?: string }
const jks = (): { toPem(store: Buffer, storePassword: string, keyPassword?: string): Record<string, JksEntry> } => require('jks-js');

function readStore(option: string, path: string): Buffer {
  try { return readFileSync(path); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OptionError(`Option '${option}' names '${path}', which cannot be read (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}). `
      + `Give the path of the store file on this machine.`, { cause: e });
  }
}

/** The store's format: the type option when given (checked against the bytes), else sniffed, as Kafka's default type JKS would refuse a PEM file. */
function storeType(typeOption: string, given: string | undefined, bytes: Buffer, option: string): StoreType {
  const sniffed: StoreType | null = bytes.subarray(0, 4).toString('hex') === 'feedfeed' ? 'JKS'
    : bytes.includes('-----BEGIN') ? 'PEM' : bytes[0] === 0x30 ? 'PKCS12' : null;
  if (given === undefined) {
    if (sniffed) return sniffed;
    throw new OptionError(`The file of option '${option}' is not a PEM, PKCS12 or JKS store; set '${typeOption}' or check the file.`);
  }
  const t = given.toUpperCase() as StoreType;
  if (!TYPES.includes(t)) throw new OptionError(`Option '${typeOption}' is '${given}'; sluice reads ${TYPES.join(', ')}.`);
  if (sniffed && sniffed !== t) throw new OptionError(`Option '${typeOption}' says ${t}, but the file of option '${option}' is ${sniffed}. Fix the type or the path.`);
  return t;
}

const wrongPassword = (option: string, passwordOption: string, e: unknown): OptionError =>
  new OptionError(`The store of option '${option}' cannot be opened: ${(e as Error).message}. Check option '${passwordOption}'.`, { cause: e });

function pkcs12Certs(bytes: Buffer, password: string, option: string, passwordOption: string): string[] {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try { p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), password); } catch (e) { throw wrongPassword(option, passwordOption, e); }
  const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  // forge parses RSA certificates only; others (EC) keep their ASN.1, which is all a PEM needs.
  const pem = (der: string): string => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der, 'binary').toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  return bags.flatMap((b) => (b.cert ? [forge.pki.certificateToPem(b.cert)] : b.asn1 ? [pem(forge.asn1.toDer(b.asn1).getBytes())] : []));
}

function jksEntries(bytes: Buffer, password: string | undefined, keyPassword: string | undefined, option: string, passwordOption: string): JksEntry[] {
  try { return Object.values(jks().toPem(bytes, password ?? '', keyPassword ?? password)); } catch (e) { throw wrongPassword(option, passwordOption, e); }
}

const noCerts = (option: string): OptionError => new OptionError(`The store of option '${option}' holds no certificate.`);

/** `ca` for the truststore options, or nothing (node's default roots, as Kafka's JVM default truststore). */
export function trustStore(o: ReadonlyMap<string, string>): Pick<ConnectionOptions, 'ca'> {
  const loc = 'kafka.ssl.truststore.location', inline = 'kafka.ssl.truststore.certificates', typeOpt = 'kafka.ssl.truststore.type', pw = 'kafka.ssl.truststore.password';
  if (o.has(loc) && o.has(inline)) throw new OptionError(`Options '${loc}' and '${inline}' are both set; give the truststore one way.`);
  if (o.has(inline)) {
    const t = o.get(typeOpt)?.toUpperCase();
    if (t !== undefined && t !== 'PEM') throw new OptionError(`Option '${inline}' holds PEM certificates, so '${typeOpt}' must be PEM (or unset), not '${o.get(typeOpt)}'.`);
    if (!o.get(inline)!.includes('-----BEGIN CERTIFICATE-----')) throw new OptionError(`Option '${inline}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
    return { ca: o.get(inline)! };
  }
  if (!o.has(loc)) {
    if (o.has(typeOpt) || o.has(pw)) throw new OptionError(`Option '${o.has(typeOpt) ? typeOpt : pw}' is set without '${loc}'; give the truststore's path.`);
    return {};
  }
  const path = o.get(loc)!, bytes = readStore(loc, path);
  switch (storeType(typeOpt, o.get(typeOpt), bytes, loc)) {
    case 'PEM': return { ca: bytes.toString('utf8') };
    case 'PKCS12': {
      const certs = pkcs12Certs(bytes, o.get(pw) ?? '', loc, pw);
      if (!certs.length) throw noCerts(loc);
      return { ca: certs };
    }
    case 'JKS': {
      const certs = jksEntries(bytes, o.get(pw), undefined, loc, pw).flatMap((e) => (e.ca ? [e.ca] : e.cert ? [e.cert] : []));
      if (!certs.length) throw noCerts(loc);
      return { ca: certs };
    }
  }
}

/** The client certificate and key for mutual TLS (`ssl.keystore.*`, `ssl.key.password`), or nothing. */
export function keyStore(o: ReadonlyMap<string, string>): Pick<ConnectionOptions, 'pfx' | 'cert' | 'key' | 'passphrase'> {
  const loc = 'kafka.ssl.keystore.location', typeOpt = 'kafka.ssl.keystore.type', pw = 'kafka.ssl.keystore.password', keyPw = 'kafka.ssl.key.password';
  const chain = 'kafka.ssl.keystore.certificate.chain', inlineKey = 'kafka.ssl.keystore.key';
  if (o.has(chain) || o.has(inlineKey)) {
    if (o.has(loc)) throw new OptionError(`Options '${loc}' and '${o.has(chain) ? chain : inlineKey}' are both set; give the keystore one way.`);
    if (!o.has(chain) || !o.has(inlineKey)) throw new OptionError(`Option '${o.has(chain) ? chain : inlineKey}' needs '${o.has(chain) ? inlineKey : chain}' too (the PEM key and its certificate chain).`);
    return { cert: o.get(chain)!, key: o.get(inlineKey)!, passphrase: o.get(keyPw) };
  }
  if (!o.has(loc)) {
    const stray = [typeOpt, pw, keyPw].find((k) => o.has(k));
    if (stray) throw new OptionError(`Option '${stray}' is set without '${loc}'; give the keystore's path (for mutual TLS).`);
    return {};
  }
  const path = o.get(loc)!, bytes = readStore(loc, path);
  switch (storeType(typeOpt, o.get(typeOpt), bytes, loc)) {
    // One PEM file with the private key and the certificate chain, as Kafka's PEM keystore; node picks each out.
    case 'PEM': return { cert: bytes, key: bytes, passphrase: o.get(keyPw) };
    case 'PKCS12': return { pfx: bytes, passphrase: o.get(pw) ?? '' };
    case 'JKS': {
      const entry = jksEntries(bytes, o.get(pw), o.get(keyPw), loc, pw).find((e) => e.key && e.cert);
      if (!entry) throw new OptionError(`The JKS store of option '${loc}' holds no private key entry (a keystore for mutual TLS needs one).`);
      return { cert: entry.cert!, key: entry.key! };
    }
  }
}
