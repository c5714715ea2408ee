// An S3 endpoint for tests: the project's s3rver launcher (tools/s3rver/start.mjs) on 127.0.0.1,
// one per test file, or a real bucket when SLUICE_TEST_S3_BUCKET (and optionally
// SLUICE_TEST_S3_ENDPOINT, SLUICE_TEST_S3_REGION, SLUICE_TEST_S3_FORCE_PATH_STYLE, plus the usual
// AWS credentials) say so. Every test writes under its own prefix, so a shared bucket is fine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { tmpDir } from './tmp.ts';

const START = fileURLToPath(new URL('../../tools/s3rver/start.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;

export interface TestS3 {
  /** undefined: AWS's own endpoint (a real bucket). */
  readonly endpoint: string | undefined;
  readonly bucket: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** True for a real bucket named by SLUICE_TEST_S3_*: no fault injection, nothing to stop. */
  readonly external: boolean;
  /** A fresh `s3://bucket/<run>/<name>-<n>` no other test uses. */
  prefix(name: string): string;
  /** Session config for this endpoint (`sluice.s3.*`), with optional overrides. */
  conf(extra?: Record<string, string>): Record<string, string>;
  /** Environment for a child process that should reach this endpoint (credentials included). */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** A plain SDK client, to check what is in the bucket independently of sluice's storage code. */
  readonly client: S3Client;
  stop(): Promise<void>;
}

/** True when SLUICE_TEST_S3_BUCKET names a real bucket: tests that need s3rver (fault injection) skip. */
export const externalS3 = (process.env.SLUICE_TEST_S3_BUCKET?.trim() ?? '') !== '';

const runId = `t${Date.now().toString(36)}-${process.pid}`;
let seq = 0;

/** Credentials s3rver accepts (any); never real ones, so nothing real can leak from a test. */
const DUMMY_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'sluice-test-key', AWS_SECRET_ACCESS_KEY: 'sluice-test-secret-do-not-print' };

export async function startS3(): Promise<TestS3> {
  // The SDK warns once per process that its 2027 releases need Node 22; tests need not say so.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const bucket = process.env.SLUICE_TEST_S3_BUCKET?.trim();
  if (bucket) {
    const endpoint = process.env.SLUICE_TEST_S3_ENDPOINT?.trim() || undefined;
    return make({
      endpoint, bucket, external: true,
      region: process.env.SLUICE_TEST_S3_REGION?.trim() || process.env.AWS_REGION || 'us-east-1',
      forcePathStyle: process.env.SLUICE_TEST_S3_FORCE_PATH_STYLE === 'true',
      stop: async () => {},
    });
  }
  Object.assign(process.env, DUMMY_CREDENTIALS);
  const dir = tmpDir('s3rver');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', START, path.join(dir, 'data'), '0', 'lake', '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver printed no URL in ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).once('line', (line) => { clearTimeout(timer); resolve(line.trim()); });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`s3rver exited (${signal ?? code}) before it started: ${stderr}`)); });
  });
  return make({
    endpoint, bucket: 'lake', external: false, region: 'us-east-1', forcePathStyle: true,
    stop: async () => { await stopChild(child); rmSync(dir, { recursive: true, force: true }); },
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

function make(o: { endpoint: string | undefined; bucket: string; region: string; forcePathStyle: boolean; external: boolean; stop: () => Promise<void> }): TestS3 {
  const conf = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(o.endpoint ? { 'sluice.s3.endpoint': o.endpoint } : {}),
    'sluice.s3.region': o.region,
    'sluice.s3.forcePathStyle': String(o.forcePathStyle),
    ...extra,
  });
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: o.region, SLUICE_S3_FORCE_PATH_STYLE: String(o.forcePathStyle) };
    if (o.endpoint) e.AWS_ENDPOINT_URL_S3 = o.endpoint; else delete e.AWS_ENDPOINT_URL_S3;
    return { ...e, ...extra };
  };
  const client = new S3Client({ region: o.region, forcePathStyle: o.forcePathStyle, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
  return {
    ...o,
    client,
    conf,
    env,
    prefix: (name) => `s3://${o.bucket}/${runId}/${name}-${++seq}`,
    stop: async () => { client.destroy(); await o.stop(); },
  };
}

/** Bucket and key of an `s3://bucket/key` path. */
export function splitS3(p: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(p);
  if (!m) throw new Error(`not an s3:// path: ${p}`);
  return { bucket: m[1]!, key: m[2]!.replace(/\/+$/, '') };
}

/** Every key under `prefix` (an s3:// path), sorted, through the plain SDK. */
export async function listKeys(s3: TestS3, prefix: string): Promise<string[]> {
  const { bucket, key } = splitS3(prefix);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key ? key + '/' : '', ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** The text of one object, or null when it is absent. */
export async function readText(s3: TestS3, p: string): Promise<string | null> {
  const { bucket, key } = splitS3(p);
  try {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToString();
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return null;
    throw e;
  }
}

/**
 * Copies every `*.parquet` object under `prefix` (all of them, committed or not: what a reader
 * globbing the bucket would see) into a fresh local directory, keeping the relative paths.
 */
export async function downloadParquet(s3: TestS3, prefix: string): Promise<string> {
  const { bucket, key } = splitS3(prefix);
  const dir = tmpDir('s3-copy');
  for (const k of await listKeys(s3, prefix)) {
    if (!k.endsWith('.parquet')) continue;
    const r = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
    const target = path.join(dir, k.slice(key.length + 1));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, await r.Body!.transformToByteArray());
  }
  return dir;
}
