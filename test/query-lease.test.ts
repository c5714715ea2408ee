// The checkpoint's lease (src/checkpoint/query-lease.ts), on real local storage: who may take it
// over and when, the error that names the holder, and a run that lost it stopping before its next batch.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LocalStorage } from '../src/storage/local.ts';
import { LEASE_EXPIRE_MS, QueryLease } from '../src/checkpoint/query-lease.ts';
import { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { CheckpointError } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const storage = new LocalStorage();
const plant = (cp: string, g: number, lease: Record<string, unknown>): void => {
  mkdirSync(path.join(cp, 'lease'), { recursive: true });
  writeFileSync(path.join(cp, 'lease', String(g)), JSON.stringify(lease) + '\n');
};
/** A pid that is certainly not running: a child that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('the checkpoint lease', () => {
  it('another host\'s lease holds while it is renewed, and is taken over once it expires', async () => {
    const cp = tmpDir('lease'), now = Date.now();
    plant(cp, 4, { runId: 'r-other', host: 'etl-7', pid: 4242, startedMs: now - 3_600_000, renewedMs: now - 5_000 });
    const err = await QueryLease.acquire(new Checkpoint(storage, cp), 'r-me', now).then(() => new Error('not refused'), (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/is in use by another run of this query \(runId r-other, process 4242 on host etl-7, lease renewed 5 s ago, started /);
    expect(err.message).toContain(`start again after its lease expires (${LEASE_EXPIRE_MS / 1000} s after its last renewal)`);
    const later = now + LEASE_EXPIRE_MS;
    const lease = await QueryLease.acquire(new Checkpoint(storage, cp), 'r-me', later);
    expect(readdirSync(path.join(cp, 'lease'))).toEqual(['5']);
    await lease.release();
    expect(readdirSync(path.join(cp, 'lease'))).toEqual([]);
  });

  it('on this host a lease holds while its process lives: a killed run\'s lease is taken over at once', async () => {
    const cp = tmpDir('lease'), now = Date.now();
    plant(cp, 0, { runId: 'r-dead', host: hostname(), pid: deadPid(), startedMs: now, renewedMs: now });
    const lease = await QueryLease.acquire(new Checkpoint(storage, cp), 'r-me', now);
    await lease.release();
    plant(cp, 0, { runId: 'r-live', host: hostname(), pid: process.ppid, startedMs: now, renewedMs: now - 3_600_000 });
    await expect(QueryLease.acquire(new Checkpoint(storage, cp), 'r-me', now)).rejects.toThrow(new RegExp(`runId r-live, process ${process.ppid} on this host`));
  });

  it('two starts that find the same dead lease: only one takes it over', async () => {
    const cp = tmpDir('lease'), now = Date.now();
    plant(cp, 2, { runId: 'r-dead', host: hostname(), pid: deadPid(), startedMs: now, renewedMs: now });
    const results = await Promise.allSettled([QueryLease.acquire(new Checkpoint(storage, cp), 'a', now), QueryLease.acquire(new Checkpoint(storage, cp), 'b', now)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointError);
  });

  it('a holder finds out at its next renewal that another run took over, and keeps its hands off', async () => {
    const cp = tmpDir('lease'), now = Date.now();
    const mine = await QueryLease.acquire(new Checkpoint(storage, cp), 'r-me', now);
    await mine.renew();
    expect(mine.lostReason).toBeNull();
    // As a run on another host would after deciding this one was dead (say, paused past the expiry).
    plant(cp, 1, { runId: 'r-new', host: 'etl-8', pid: 1, startedMs: now, renewedMs: now });
    await mine.renew();
    expect(mine.lostReason).toMatch(/another run took over the checkpoint's lease \(.*lease\/1\)/);
    await mine.release();
    expect(readdirSync(path.join(cp, 'lease')).sort()).toEqual(['0', '1']);
  });
});
