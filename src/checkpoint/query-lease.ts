import { hostname } from 'node:os';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { CheckpointError, LeaseHeldError } from '../errors.ts';
import { type Checkpoint, numberedEntries } from './checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** How often the holder rewrites its lease, and how old a lease from another host may be and still count as held. */
export const LEASE_RENEW_MS = 10_000;
export const LEASE_EXPIRE_MS = 30_000;

/** `lease/<generation>`: which run holds the checkpoint, and when it last said so. */
export interface LeaseRecord {
  readonly runId: string;
  readonly host: string;
  readonly pid: number;
  readonly startedMs: number;
  readonly renewedMs: number;
}

/** lease/<g>: generation g's file. */
const generationPath = (dir: string, g: number): string => joinPath(dir, String(g));

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * The checkpoint's lease: one run at a time. Spark only finds a second run when both write the
 * same offsets/<N> file, and then either may be the one that fails; a query started again by a
 * scheduler while the last run still works would kill that run mid-batch. Here the running
 * query keeps `lease/<g>` and a new start is refused while it is held, so the run in progress
 * goes on. A lease is held while its process lives (same host: by pid, so a restart after a
 * kill goes on at once) or, from another host, while it was renewed in the last 30 s.
 * Generations are created exclusively, so two starts that both find a lease dead cannot both
 * take it over. The offset log's exclusive create stays the last guard.
 */
export class QueryLease {
  private timer: NodeJS.Timeout | null = null;
  private record: LeaseRecord;
  private lost: string | null = null;

  private constructor(private readonly storage: Storage, private readonly dir: string, private readonly generation: number, record: LeaseRecord) {
    this.record = record;
  }

  /** Take the lease of `checkpoint` for run `runId`, or throw a CheckpointError naming who holds it. */
  static async acquire(checkpoint: Checkpoint, runId: string, now = Date.now()): Promise<QueryLease> {
    const { storage, leaseDir: dir, root } = checkpoint;
    const generations = numberedEntries(await storage.list(dir));
    const latest = generations.at(-1);
    if (latest !== undefined) {
      const held = await readLease(storage, generationPath(dir, latest));
      if (held && isHeld(held, now)) throw heldError(root, held, now);
    }
    const g = latest === undefined ? 0 : latest + 1;
    const record: LeaseRecord = { runId, host: hostname(), pid: process.pid, startedMs: now, renewedMs: now };
    if (!(await storage.create(generationPath(dir, g), enc.encode(JSON.stringify(record) + '\n')))) {
      const held = await readLease(storage, generationPath(dir, g));
      throw held ? heldError(root, held, now) : new LeaseHeldError(`Another run took the lease of checkpoint ${root} at the same moment; stop it first, or use another checkpointLocation.`);
    }
    // Generations before this one belong to runs that ended or died.
    for (const old of generations) await storage.remove(generationPath(dir, old)).catch(() => undefined);
    return new QueryLease(storage, dir, g, record);
  }

  /** Renew every LEASE_RENEW_MS until release(); never keeps the process alive. */
  startRenewing(): void {
    this.timer = setInterval(() => { void this.renew(); }, LEASE_RENEW_MS);
    this.timer.unref();
  }

  /** Rewrite the lease, or find that it was lost (the timer calls this; public for tests). */
  async renew(): Promise<void> {
    try {
      // A newer generation means another run found this one dead (e.g. paused past the expiry) and took over.
      const newer = numberedEntries(await this.storage.list(this.dir)).filter((g) => g > this.generation);
      if (newer.length) { this.lost = `another run took over the checkpoint's lease (${generationPath(this.dir, Math.max(...newer))})`; return; }
      this.record = { ...this.record, renewedMs: Date.now() };
      await this.storage.write(generationPath(this.dir, this.generation), enc.encode(JSON.stringify(this.record) + '\n'));
    } catch {
      // A storage fault: the next renewal tries again; other hosts allow LEASE_EXPIRE_MS.
    }
  }

  /** Why this run no longer holds the lease, or null. */
  get lostReason(): string | null { return this.lost; }

  /** Stop renewing and give the lease up (a clean stop: the next start need not wait). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A lost lease's file is left: the newer run removes older generations when it takes over.
    if (!this.lost) await this.storage.remove(generationPath(this.dir, this.generation)).catch(() => undefined);
  }
}

/** Who holds `checkpoint`'s lease now (its newest generation), or null when no run does (reads only, for `sluice checkpoint show`). */
export async function readLeaseHolder(checkpoint: Checkpoint): Promise<(LeaseRecord & { readonly held: boolean }) | null> {
  const latest = numberedEntries(await checkpoint.storage.list(checkpoint.leaseDir)).at(-1);
  const l = latest === undefined ? null : await readLease(checkpoint.storage, generationPath(checkpoint.leaseDir, latest));
  return l && { ...l, held: isHeld(l, Date.now()) };
}

async function readLease(storage: Storage, path: string): Promise<LeaseRecord | null> {
  const bytes = await storage.read(path);
  if (!bytes) return null;
  try { return JSON.parse(dec.decode(bytes)) as LeaseRecord; } catch { return null; }
}

function isHeld(l: LeaseRecord, now: number): boolean {
  // This process's own lease is left only by a query that ended without releasing it (an
  // active query on the same checkpoint in this process is refused before the lease).
  if (l.host === hostname()) return l.pid !== process.pid && pidAlive(l.pid);
  return now - l.renewedMs < LEASE_EXPIRE_MS;
}

function heldError(checkpoint: string, l: LeaseRecord, now: number): LeaseHeldError {
  const where = l.host === hostname() ? `process ${l.pid} on this host` : `process ${l.pid} on host ${l.host}, lease renewed ${Math.max(0, Math.round((now - l.renewedMs) / 1000))} s ago`;
  return new LeaseHeldError(`Checkpoint ${checkpoint} is in use by another run of this query (runId ${l.runId}, ${where}, started ${new Date(l.startedMs).toISOString()}). `
    + `Stop that run first${l.host === hostname() ? '' : `, or, if it died, start again after its lease expires (${LEASE_EXPIRE_MS / 1000} s after its last renewal)`}; `
    + `to run a second copy of the query, give it its own checkpointLocation and output path.`);
}
