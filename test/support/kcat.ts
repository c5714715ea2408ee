// kcat (Debian package `kcat`, librdkafka) as an independent Kafka client in tests: a producer no
// one here wrote, with librdkafka's own codecs. scripts/setup.mjs --test installs it.
import { spawn, spawnSync } from 'node:child_process';

export type KcatCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** True when kcat is on PATH (setup.mjs --test installs it; a test may skip and say so without it). */
export function haveKcat(): boolean {
  return spawnSync('sh', ['-c', 'command -v kcat'], { stdio: 'ignore' }).status === 0;
}

/**
 * Produces `records` to `topic` with `kcat -P -z codec`, key and value split at the first tab.
 * librdkafka batches what it reads from stdin, so the topic gets real multi-record compressed
 * batches; keys spread the records over the partitions (librdkafka's consistent_random partitioner;
 * records without keys go to random partitions). Either every record has a key or none has.
 */
export async function kcatProduce(bootstrap: string, topic: string, codec: KcatCodec, records: readonly { key?: string; value: string }[],
  extra: readonly string[] = []): Promise<void> {
  const keyed = records.length > 0 && records[0]!.key !== undefined;
  for (const r of records) {
    if ((r.key !== undefined) !== keyed) throw new Error('kcatProduce: either every record has a key or none has');
    if (/[\t\n]/.test(r.key ?? '') || r.value.includes('\n')) throw new Error('kcatProduce: keys may hold no tab or newline, values no newline');
  }
  const args = ['-P', '-b', bootstrap, '-t', topic, '-z', codec, ...(keyed ? ['-K', '\t'] : []), '-X', 'linger.ms=20', ...extra];
  const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.on('error', () => {}); // EPIPE when kcat dies: reported through the write callback and the exit code
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // In slices: one string of a million records would be hundreds of MB.
  const write = (chunk: string): Promise<void> => new Promise((resolve, reject) => child.stdin.write(chunk, (e) => (e ? reject(e) : resolve())));
  let writeError: Error | null = null;
  try {
    for (let i = 0; i < records.length; i += 10_000) {
      await write(records.slice(i, i + 10_000).map((r) => (keyed ? `${r.key}\t${r.value}\n` : `${r.value}\n`)).join(''));
    }
  } catch (e) {
    writeError = e as Error; // kcat died early (EPIPE): its exit code and stderr say why
  }
  child.stdin.end();
  const code = await exit;
  if (writeError && code === 0) throw writeError;
  // kcat reports delivery failures on stderr and exits non-zero.
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
}

/**
 * Reads `topic` from the beginning to the end of every partition with `kcat -C -e`, one value per
 * line, in the order kcat prints them. `extra` adds options, e.g. `['-X', 'isolation.level=read_committed']`
 * (where a partition ends is then its last stable offset). Values may hold no newline.
 */
export async function kcatConsume(bootstrap: string, topic: string, extra: readonly string[] = [], timeoutMs = 60_000): Promise<string[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n', ...extra];
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${code ?? 'on SIGKILL after ' + timeoutMs + ' ms'}: ${stderr.trim()}`);
  return stdout.split('\n').filter((l) => l !== '');
}

/** One record as `kcatRecords` reads it; key and value are null for Kafka nulls (kcat -Z). */
export interface KcatRecord {
  topic: string; partition: number; offset: number; key: string | null; value: string | null;
  /** [key, value] pairs in order; absent when the record has none. */
  headers?: [string, string | null][];
}

/**
 * Reads every record of `topic` from the beginning with `kcat -C -e` (a real librdkafka consumer),
 * as JSON lines (`-J`), so keys and values may hold any text, with their partitions and offsets. `extra` adds options, e.g.
 * ['-X', 'isolation.level=read_committed'].
 */
export async function kcatRecords(bootstrap: string, topic: string, extra: readonly string[] = []): Promise<KcatRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-J', ...extra];
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('close', resolve); });
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${code}: ${err.trim()}`);
  return out.split('\n').filter(Boolean).map((l) => {
    const j = JSON.parse(l) as { topic: string; partition: number; offset: number; key: string | null; payload: string | null; headers?: (string | null)[] };
    const r: KcatRecord = { topic: j.topic, partition: j.partition, offset: j.offset, key: j.key, value: j.payload };
    if (j.headers) r.headers = Array.from({ length: j.headers.length / 2 }, (_, k) => [j.headers![2 * k]!, j.headers![2 * k + 1] ?? null]);
    return r;
  });
}
