// Storage.stage: a batch's files made durable out of sight, so their fsyncs overlap, and published
// in the commit protocol's order. The Parquet sink stages while offsets/<N> is still being written
// (BatchInfo.ready) and shows nothing before that write is done; commits/<N> is staged while the
// sink runs. The crash tests (crash-recovery, s3-crash-recovery) kill at each phase around these.
import { describe, expect, it } from 'vitest';
import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { commitBatch, readLogEntry } from '../src/sinks/parquet/sink-log.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { CommitLog } from '../src/checkpoint/commit-log.ts';
import { CheckpointError, MemoryStream, Session, types as T } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const enc = new TextEncoder();
const file = (p: string) => ({ path: p, rows: 1, encode: () => enc.encode(p) });
const names = (dir: string): string[] => readdirSync(dir).sort();

/** Resolves once `dir` holds `n` temp files (`.<name>.<hex>.tmp`): the stagings are done. */
async function tempsIn(dir: string, n: number): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const temps = (() => { try { return names(dir).filter((x) => x.endsWith('.tmp')); } catch { return []; } })();
    if (temps.length >= n) return temps;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${dir} never held ${n} temp files: ${names(dir).join(', ')}`);
}

describe('LocalStorage.stage', () => {
  it('holds the bytes under a hidden temp name until publish (rename) or publishNew (link); discard drops them', async () => {
    const dir = tmpDir('stage-local'), s = new LocalStorage();
    const a = await s.stage(path.join(dir, 'a'), enc.encode('one'));
    expect(await s.list(dir)).toEqual([]);
    expect(names(dir)).toHaveLength(1);
    await a.publish();
    expect(names(dir)).toEqual(['a']);
    // publish overwrites, as write does; publishNew never does, as create.
    await (await s.stage(path.join(dir, 'a'), enc.encode('two'))).publish();
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('two');
    expect(await (await s.stage(path.join(dir, 'a'), enc.encode('three'))).publishNew()).toBe(false);
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('two');
    expect(await (await s.stage(path.join(dir, 'b'), enc.encode('b'))).publishNew()).toBe(true);
    await (await s.stage(path.join(dir, 'c'), enc.encode('c'))).discard();
    expect(names(dir)).toEqual(['a', 'b']);
  });
});

describe('the Parquet sink with BatchInfo.ready', () => {
  it('stages every file and the log entry while the offsets are written, and shows none before', async () => {
    const root = tmpDir('stage-sink'), s = new LocalStorage();
    let logged!: () => void;
    const ready = new Promise<void>((r) => { logged = r; });
    const done = commitBatch(s, root, 4, [file('part-4-0.parquet'), file('k=x/part-4-1.parquet')], undefined, 'q', false, undefined, ready);
    await tempsIn(root, 1);
    await tempsIn(path.join(root, 'k=x'), 1);
    await tempsIn(path.join(root, '_sluice_log'), 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(names(root).filter((n) => n.endsWith('.parquet'))).toEqual([]);
    expect(names(path.join(root, 'k=x')).filter((n) => n.endsWith('.parquet'))).toEqual([]);
    expect(await readLogEntry(s, root, 4)).toBeNull();
    logged();
    const entry = await done;
    expect(entry.files.map((f) => f.path)).toEqual(['part-4-0.parquet', 'k=x/part-4-1.parquet']);
    expect(names(root)).toEqual(['_sluice_log', 'k=x', 'part-4-0.parquet']);
    expect(names(path.join(root, 'k=x'))).toEqual(['part-4-1.parquet']);
    expect(names(path.join(root, '_sluice_log'))).toEqual(['4']);
    expect(await readLogEntry(s, root, 4)).toEqual(entry);
  });

  it("fails with the offsets log's error when it is not written, and leaves nothing behind", async () => {
    const root = tmpDir('stage-sink-fail'), s = new LocalStorage();
    const failed = new CheckpointError('offsets/4 already exists');
    let refuse!: (e: unknown) => void;
    const ready = new Promise<void>((_, r) => { refuse = r; });
    const done = commitBatch(s, root, 4, [file('part-4-0.parquet')], undefined, 'q', false, undefined, ready);
    await tempsIn(root, 1);
    await tempsIn(path.join(root, '_sluice_log'), 1);
    refuse(failed);
    await expect(done).rejects.toBe(failed);
    expect(names(root)).toEqual(['_sluice_log']);
    expect(names(path.join(root, '_sluice_log'))).toEqual([]);
  });
});

describe('CommitLog.stage', () => {
  it('adds commits/<N> on publish, and refuses one another writer added meanwhile', async () => {
    const cp = tmpDir('stage-commit'), s = new LocalStorage();
    const log = new CommitLog(new Checkpoint(s, cp));
    const staged = await log.stage(0, { nextBatchWatermarkMs: 5 });
    expect(await log.latestId()).toBeNull();
    await staged.publish();
    expect(await log.get(0)).toEqual({ nextBatchWatermarkMs: 5 });
    const late = await log.stage(1, { nextBatchWatermarkMs: 6 });
    await log.add(1, { nextBatchWatermarkMs: 7 });
    await expect(late.publish()).rejects.toThrow(/Commit log file .*commits\/1 already exists: another query is writing to this checkpoint/);
    expect(await log.get(1)).toEqual({ nextBatchWatermarkMs: 7 });
    expect(names(path.join(cp, 'commits'))).toEqual(['0', '1']);
  });
});

describe('a restart after a kill while commits/<N> was staged', () => {
  it('removes the temp files the logs were left with, and nothing else', async () => {
    const cp = tmpDir('stage-leftovers');
    const session = Session.builder().appName('staged-writes').getOrCreate();
    const input = new MemoryStream(session, T.struct({ v: T.long }));
    const start = () => input.toDF().writeStream.format('memory').queryName(`staged_${Date.now()}`).option('checkpointLocation', cp).start();
    input.addData([{ v: 1n }]);
    let q = await start();
    await q.processAllAvailable();
    await q.stop();
    // What a SIGKILL during batch 1's sink leaves: its commit staged, an offsets write cut short.
    const commitTemp = '.1.0123456789ab.tmp', offsetTemp = '.2.0123456789ab.tmp';
    await fs.writeFile(path.join(cp, 'commits', commitTemp), 'v1\n{"nextBatchWatermarkMs":0}');
    await fs.writeFile(path.join(cp, 'offsets', offsetTemp), 'v1\n');
    await fs.writeFile(path.join(cp, 'commits', '.notes'), 'not ours');
    q = await start();
    await q.processAllAvailable();
    await q.stop();
    expect(names(path.join(cp, 'commits'))).toEqual(['.notes', '0']);
    expect(names(path.join(cp, 'offsets'))).toEqual(['0']);
  });
});
