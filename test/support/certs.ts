// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with `openssl` (Debian
// package `openssl`; scripts/setup.mjs --test installs it) for tests that speak TLS.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './tmp.ts';

export interface TestCerts {
  dir: string;
  /** PEM files: the CA clients trust, and the server's certificate and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`running openssl: ${r.error.message} (install the Debian package openssl, or run node scripts/setup.mjs --test)`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
}

/** Makes the CA and a server certificate (EC P-256, valid 2 days) in a new temp dir. */
export function makeTestCerts(): TestCerts {
  const dir = tmpDir('certs');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sluice test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  // Clients check the address they dial against subjectAltName, not the CN.
  writeFileSync(join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem',
    '-days', '2', '-extfile', 'server.ext']);
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  return { dir, caFile: join(dir, 'ca.pem'), certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
