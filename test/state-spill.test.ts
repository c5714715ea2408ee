// State past memory (issue #15): sluice.state.memoryBudget spills the least recently touched
// groups of a streaming aggregation to a local LMDB store in pages (src/state/spill/) and reads
// them back when a batch touches them or the watermark closes them. The answers must be the
// in-memory path's: the same query runs with a tiny budget and with none, over the same batches,
// with a restart in the middle (on "another machine": the first run's cache gone), and the
// outputs must be equal row for row.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Session, MemoryStream, col, count, types as T } from '../src/index.ts';
import { OptionError } from '../src/errors.ts';
import { memoryBudget } from '../src/state/spill/memory-budget.ts';
import { decodePage, encodePage } from '../src/state/spill/spill-page.ts';
import { NumberColumn } from '../src/state/number-column.ts';
import { array, binary, double, long, string, struct, timestamp } from '../src/data/types.ts';
import { runSpill } from './fixtures/spill-query.ts';
import { tmpDir } from './support/tmp.ts';

const caches = (dir: string): string[] => readdirSync(dir).filter((d) => d.startsWith('sluice-spill-'));
const withData = (dir: string): string[] => caches(dir).filter((d) => existsSync(path.join(dir, d, 'data.mdb')));

describe('sluice.state.memoryBudget', () => {
  it('reads sizes as Spark does and names a bad value', () => {
    const at = (v: string) => memoryBudget(new Map([['sluice.state.memoryBudget', v]]));
    expect(memoryBudget(new Map())).toBeNull();
    expect(at('512m')).toBe(512 * 2 ** 20);
    expect(at('2G')).toBe(2 * 2 ** 30);
    expect(at('64kb')).toBe(64 * 1024);
    expect(at('4096')).toBe(4096);
    for (const bad of ['lots', '0', '-1m', '12q', '', '1.5.2g']) {
      expect(() => at(bad)).toThrow(OptionError);
      expect(() => at(bad)).toThrow(`'sluice.state.memoryBudget' must be a size such as '512m'`);
      expect(() => at(bad)).toThrow(`got '${bad}'`);
    }
  });

  it('refuses to start a query with a bad budget', async () => {
    const session = Session.builder().appName('state-spill-bad').config('sluice.state.memoryBudget', '12 parsecs').getOrCreate();
    const input = new MemoryStream(session, T.struct({ user_id: T.string }));
    await expect(input.toDF().groupBy(col('user_id')).agg(count('*')).writeStream.outputMode('update')
      .option('checkpointLocation', tmpDir('spill-bad')).foreachBatch(() => undefined).start()).rejects.toThrow(/memoryBudget.*got '12 parsecs'/);
    await session.stop();
  });
});

describe('a spill page', () => {
  it('gives back the rows it was written from, raw buffers or (nested columns) Arrow IPC', () => {
    const keys = ['a', null, 'ünï', ''], starts = [1704103200000, 1704103260000, null, 0];
    const sums = new NumberColumn('i64', long), maxes = new NumberColumn('f64', double);
    [5n, null, -(2n ** 63n), 7n].forEach((v, s) => sums.setCell(s, v));
    [1.5, -0, null, NaN].forEach((v, s) => maxes.setCell(s, v));
    const bytes = [new Uint8Array([1, 2]), null, new Uint8Array(0), new Uint8Array([255])];
    const slots = [3, 0, 2], hashes = Int32Array.from([-9, 4, 4]);
    const flat = struct({ k: string, start: timestamp, total: long, top: double, raw: binary });
    const nested = struct({ k: string, start: timestamp, total: long, top: double, raw: binary, list: array(long) });
    const lists = [[1n], null, [], [2n, null]];
    for (const [schema, extra] of [[flat, []], [nested, [lists]]] as const) {
      const page = encodePage(schema, [keys, starts, sums, maxes, bytes, ...extra], 2, slots, hashes);
      expect(page[0]).toBe(extra.length ? 1 : 0);
      const got = decodePage(7, schema, page, new Uint8Array(3).fill(1));
      expect([...got.hashes]).toEqual([-9, 4, 4]);
      const want = slots.map((s) => [keys[s], starts[s], sums.cell(s), maxes.cell(s), bytes[s], ...(extra.length ? [lists[s]] : [])]);
      expect(slots.map((_, r) => got.cell.map((c) => c(r)))).toEqual(want);
    }
  });
});

describe('spilling state past the budget', () => {
  for (const mode of ['append', 'update'] as const) {
    it(`${mode} mode: a tiny budget gives the in-memory answers, across a restart on another machine`, async () => {
      const here = tmpDir('spill-cache'), there = tmpDir('spill-cache-2');
      try {
        const mem = await runSpill(tmpDir('spill-mem'), null, mode, 0, 8);
        const cp = tmpDir('spill-tiny'), seen: string[] = [];
        process.env.SLUICE_SPILL_DIR = here;
        const first = await runSpill(cp, '16k', mode, 0, 4, 0, () => seen.push(...withData(here)));
        // The cache is gone after the query (it is not the checkpoint); the restart runs with another cache directory.
        expect(seen.length).toBeGreaterThan(0);
        expect(withData(here)).toEqual([]);
        rmSync(here, { recursive: true, force: true });
        process.env.SLUICE_SPILL_DIR = there;
        const second = await runSpill(cp, '16k', mode, 4, 8);
        expect([first.error, second.error]).toEqual([null, null]);
        // Most groups were spilled after each batch, and both runs (the second rebuilding from the checkpoint) spilled.
        expect(Math.max(...first.spilled)).toBeGreaterThan(100);
        expect(Math.max(...second.spilled)).toBeGreaterThan(100);
        expect(mem.out.length).toBeGreaterThan(100);
        expect([...first.out, ...second.out].sort()).toEqual(mem.out);
        // Spilled groups still count in the state's size (progress numRowsTotal).
        expect(second.rows.at(-1)).toBe(mem.rows.at(-1));
      } finally {
        delete process.env.SLUICE_SPILL_DIR;
      }
    }, 240_000);
  }
});

describe('a full disk while spilling', () => {
  it('fails the batch with a StorageError naming the spill directory, and the restart re-runs it', async () => {
    const cp = tmpDir('spill-full'), cache = tmpDir('spill-full-cache'), pad = 300, batches = 6;
    // `ulimit -f` caps the size of any file the child writes: LMDB's file cannot grow, as on a full disk
    // (the checkpoint's own files stay far below the cap).
    const r = spawnSync('bash', ['-c', 'ulimit -f 256; exec "$0" --import tsx test/fixtures/spill-query.ts "$1" 4k "$2" "$3"', process.execPath, cp, String(batches), String(pad)],
      { encoding: 'utf8', timeout: 180_000, env: { ...process.env, SLUICE_SPILL_DIR: cache } });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { committed: number[]; lastBatchId: number; error: string | null };
    expect(got.error).toMatch(/^StorageError: Spilling \d+ state rows \(\d+ pages\) to the local store .*sluice-spill-\w+ failed \(.*\): the disk is full or not writable\. The batch fails and is re-run on restart/);
    const failed = got.committed.length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(batches);
    // The restart (disk free again) re-runs the failed batch and the rest: each batch's output is the in-memory run's.
    const again = await runSpill(cp, '4k', 'update', failed, batches, pad);
    const mem = await runSpill(tmpDir('spill-full-mem'), null, 'update', 0, batches, pad);
    expect(again.error).toBeNull();
    // The first batch of the restart is the one that failed (the next id after the last committed).
    expect(again.committed[0]).toBe(got.lastBatchId + 1);
    expect(again.out).toEqual(mem.out.filter((l) => Number(l.split(' ')[0]) >= failed));
    expect(Math.max(...again.spilled)).toBeGreaterThan(0);
  }, 240_000);
});
