// Reads a query's (or a scale-out task's) checkpoint as it goes, for the chaos checker: every
// offsets/<N> seen (they are purged after minBatchesToRetain), the starting offsets, the last commit.
import * as path from 'node:path';
import { listKeys, readText, splitS3, type TestS3 } from '../support/s3.ts';
import type { Batch, KafkaOffsets } from './check.ts';

/** Reads a query's checkpoint as it goes: every offsets/<N> seen (they are purged after minBatchesToRetain). */
export class CheckpointWatcher {
  readonly batches = new Map<number, Batch>();
  start: KafkaOffsets | undefined;
  lastCommit = -1;
  constructor(private readonly cp: string, private readonly s3?: TestS3) {}
  private async list(dir: string): Promise<number[]> {
    if (this.cp.startsWith('s3://')) {
      const prefix = `${this.cp}/${dir}`, { key } = splitS3(prefix);
      return (await listKeys(this.s3!, prefix)).map((k) => k.slice(key.length + 1)).filter((n) => /^\d+$/.test(n)).map(Number);
    }
    const names = await import('node:fs/promises').then((fs) => fs.readdir(path.join(this.cp, dir)).catch(() => [] as string[]));
    return names.filter((n) => /^\d+$/.test(n)).map(Number);
  }
  private async read(rel: string): Promise<string | null> {
    if (this.cp.startsWith('s3://')) return readText(this.s3!, `${this.cp}/${rel}`);
    return import('node:fs/promises').then((fs) => fs.readFile(path.join(this.cp, rel), 'utf8').catch(() => null));
  }
  async poll(): Promise<void> {
    if (!this.start) {
      const s = await this.read('sources/0/0');
      if (s) this.start = JSON.parse(s.split('\n').filter((l) => l.trim().startsWith('{')).at(-1)!) as KafkaOffsets;
    }
    for (const id of (await this.list('offsets')).sort((a, b) => a - b)) {
      if (this.batches.has(id)) continue;
      const text = await this.read(`offsets/${id}`);
      if (!text) continue;
      const lines = text.split('\n');
      const meta = JSON.parse(lines[1]!) as { batchWatermarkMs: number };
      this.batches.set(id, { id, watermarkMs: meta.batchWatermarkMs, offsets: JSON.parse(lines[2]!) as KafkaOffsets });
    }
    const commits = await this.list('commits');
    if (commits.length) this.lastCommit = Math.max(this.lastCommit, ...commits);
  }
}
