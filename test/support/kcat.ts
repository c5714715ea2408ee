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
 * batches; keys spread the records over the partitions (librdkafka's consistent_random partitioner).
 */
export async function kcatProduce(bootstrap: string, topic: string, codec: KcatCodec, records: readonly { key: string; value: string }[],
  extra: readonly string[] = []): Promise<void> {
  for (const r of records) {
    if (/[\t\n]/.test(r.key) || r.value.includes('\n')) throw new Error('kcatProduce: keys may hold no tab or newline, values no newline');
  }
  const args = ['-P', '-b', bootstrap, '-t', topic, '-z', codec, '-K', '\t', '-X', 'linger.ms=20', ...extra];
  const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin.end(records.map((r) => `${r.key}\t${r.value}\n`).join(''));
  const code = await exit;
  // kcat reports delivery failures on stderr and exits non-zero.
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
}
