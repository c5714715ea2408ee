#!/usr/bin/env node
// Idempotent project set-up, run before tests, the demo and the benchmark:
//   1. npm dependencies (npm ci when node_modules is missing or older than the lock)
//   2. Debian librdkafka-dev (headers + library for the mock Kafka broker)
//   3. .build/mock_kafka, compiled from tools/mock-kafka/mock_kafka.c
//   4. with --test: Debian chromium (headless, for the web UI test; the demo does not need it)
//      Debian kcat (librdkafka's client: the Kafka interop tests produce with its codecs)
//      and Debian openssl (test certificates for the TLS tests)
// Silent and stat-only when everything is in place, so it can run before every command.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';
const MOCK_SRC = join(ROOT, 'tools/mock-kafka/mock_kafka.c');
export const MOCK_BIN = join(ROOT, '.build/mock_kafka');

const log = (msg) => process.stderr.write(`setup: ${msg}\n`);
const mtime = (p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs;

// Child output goes to stderr: callers may capture our stdout.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['inherit', 2, 2], ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureNodeModules() {
  const lock = join(ROOT, 'package-lock.json');
  const installed = mtime(join(ROOT, 'node_modules/.package-lock.json'));
  if (!existsSync(lock)) {
    if (installed !== undefined || existsSync(join(ROOT, 'node_modules'))) return;
    log('node_modules missing: npm install');
    run('npm', ['install', '--no-audit', '--no-fund']);
    return;
  }
  // npm rewrites node_modules/.package-lock.json on every install, so it is
  // newer than the lock unless the lock changed since (pull, branch switch).
  if (installed !== undefined && installed >= mtime(lock)) return;
  // A linked node_modules (another checkout's, shared by a worktree) would be emptied and reinstalled
  // under that checkout by npm ci; its owner installs.
  const nm = join(ROOT, 'node_modules');
  if (lstatSync(nm, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new Error(`${nm} is a link to ${realpathSync(nm)} and ${installed === undefined ? 'has no .package-lock.json' : 'is older than package-lock.json'}: `
      + 'run `npm ci` in the checkout that owns it, or replace the link with a directory of its own.');
  }
  log(installed === undefined ? 'node_modules missing: npm ci' : 'package-lock.json changed: npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// gcc is checked only when about to compile: spawning `command -v` costs time.
function ensureLibrdkafka(needGcc = false) {
  if (existsSync(MOCK_HEADER) && !needGcc) return;
  const pkgs = ['librdkafka-dev', ...(needGcc ? ['gcc', 'libc6-dev'] : [])];
  const what = `Debian/Ubuntu packages ${pkgs.join(' ')} (librdkafka's mock Kafka cluster for tests)`;
  if (!onPath('apt-get')) {
    throw new Error(`missing ${needGcc ? 'gcc / ' : ''}${MOCK_HEADER}: install ${what}`);
  }
  let prefix = [];
  if (process.getuid?.() !== 0) {
    if (!onPath('sudo')) {
      throw new Error(`missing ${MOCK_HEADER}; not root and no sudo: run as root \`apt-get install -y ${pkgs.join(' ')}\``);
    }
    prefix = ['sudo'];
  }
  log(`installing ${pkgs.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => (prefix.length ? run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]) : run('apt-get', args, { env }));
  apt('update');
  apt('install', '-y', '--no-install-recommends', ...pkgs);
  if (!existsSync(MOCK_HEADER)) throw new Error(`apt-get installed ${pkgs.join(' ')} but ${MOCK_HEADER} is still missing`);
}

// Only the web UI test (test/ui.test.ts) needs it: headless Chromium through playwright-core.
// Off CI a machine without root or sudo may go without; the test then skips and says why.
const CHROMIUM = '/usr/bin/chromium';
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const asRoot = process.getuid?.() === 0;
  if (!onPath('apt-get') || (!asRoot && !onPath('sudo'))) {
    const msg = `missing ${CHROMIUM}: install the Debian package chromium (as root: apt-get install -y chromium)`;
    if (process.env.CI === 'true') throw new Error(msg);
    log(`${msg}; the web UI test will be skipped`);
    return;
  }
  log('installing chromium with apt-get (about 120 MB; for the web UI test)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => (asRoot ? run('apt-get', args, { env }) : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
  apt('update');
  apt('install', '-y', '--no-install-recommends', 'chromium');
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

// Debian command-line tools the tests run, each from the package of the same name:
// - kcat: the Kafka interop tests (test/kafka-codecs.test.ts, test/kafka-front.test.ts) produce with
//   it, a client no one here wrote, with librdkafka's own codecs, TLS and SASL;
// - openssl: test/support/certs.ts makes the CA and server certificate for the TLS tests with it
//   (in Debian's base image it is often missing);
// - keytool (Debian package openjdk-17-jre-headless): test/support/key-store-files.ts makes the JKS
//   stores of the Kafka TLS option tests with it; machines of this project's kind have Java already.
// Off CI a machine without root or sudo may go without; those tests then fail or skip and say why.
function ensureAptTool(cmd, purpose, pkg = cmd) {
  if (onPath(cmd)) return;
  const asRoot = process.getuid?.() === 0;
  if (!onPath('apt-get') || (!asRoot && !onPath('sudo'))) {
    const msg = `missing ${cmd}: install the Debian package ${pkg} (as root: apt-get install -y ${pkg})`;
    if (process.env.CI === 'true') throw new Error(msg);
    log(`${msg}; ${purpose} will not run`);
    return;
  }
  log(`installing ${cmd} (Debian package ${pkg}) with apt-get (for ${purpose})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => (asRoot ? run('apt-get', args, { env }) : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
  apt('update');
  apt('install', '-y', '--no-install-recommends', pkg);
  if (!onPath(cmd)) throw new Error(`apt-get installed ${cmd} but it is still not on PATH`);
}

function ensureMockBroker() {
  const built = mtime(MOCK_BIN);
  if (built !== undefined && built >= mtime(MOCK_SRC)) return;
  ensureLibrdkafka(!onPath('gcc'));
  log(`compiling ${MOCK_BIN}`);
  mkdirSync(dirname(MOCK_BIN), { recursive: true });
  // Build to a private name and rename: concurrent set-ups (or a test already
  // running the old binary) never see a half-written file.
  const tmp = `${MOCK_BIN}.${process.pid}.tmp`;
  try {
    run('gcc', ['-O2', '-Wall', '-o', tmp, MOCK_SRC, '-lrdkafka', '-ldl', '-lpthread']);
    renameSync(tmp, MOCK_BIN);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Runs every step; throws with a message saying what to install on failure. */
export function setup({ forTests = false } = {}) {
  ensureNodeModules();
  ensureLibrdkafka();
  ensureMockBroker();
  if (forTests) {
    ensureChromium();
    ensureAptTool('kcat', 'the Kafka interop tests');
    ensureAptTool('openssl', 'the TLS tests');
    ensureAptTool('keytool', 'the JKS trust store tests', 'openjdk-17-jre-headless');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    setup({ forTests: process.argv.includes('--test') });
  } catch (e) {
    log(`error: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
