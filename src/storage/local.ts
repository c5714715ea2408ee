import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type FileBytes, type StagedWrite, type Storage, type WriteHooks, joined } from './storage.ts';

/** fh.write may write less than asked (a file's write rarely does, but nothing promises it). */
async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += (await fh.write(bytes, at, bytes.length - at)).bytesWritten;
}

/** The parts in order, a writev of up to 256 at a time; a short writev goes on from where it stopped. */
async function writeParts(fh: fs.FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < parts.length;) {
    const group = parts.slice(i, i + 256);
    const want = group.reduce((s, p) => s + p.byteLength, 0);
    let done = (await fh.writev(group)).bytesWritten;
    i += group.length;
    if (done === want) continue;
    for (const p of group) {
      if (done >= p.byteLength) { done -= p.byteLength; continue; }
      await writeAll(fh, p.subarray(done));
      done = 0;
    }
  }
}

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ENOENT';
/** Beyond this many known directories (a partitioned output's), the set starts over. */
const MAX_DIRS = 10_000;

/**
 * Whether `entry` is the temp file (LocalStorage's `.<name>.<12 hex>.tmp`) of a file named as
 * `name` matches, left by a write a kill cut short or staged and never published.
 */
export function isTempFileOf(entry: string, name: RegExp): boolean {
  const m = /^\.(.+)\.[0-9a-f]{12}\.tmp$/.exec(entry);
  return m !== null && name.test(m[1]!);
}

/** Local disk: whole-or-nothing through a temp name (never `*.parquet`) plus rename. */
export class LocalStorage implements Storage {
  async read(p: string): Promise<Uint8Array | null> {
    try { return await fs.readFile(p); } catch (e) { if (isMissing(e)) return null; throw e; }
  }

  private tempName(p: string): string {
    return path.join(path.dirname(p), `.${path.basename(p)}.${randomBytes(6).toString('hex')}.tmp`);
  }

  /**
   * Directories this process made or found: a batch writes four files into the same few (offsets/,
   * commits/, the output, _sluice_log/), and a mkdir each was one more trip through libuv's thread
   * pool on the batch's path. A directory removed since (a test's temp dir) fails the open with
   * ENOENT, and is made again then.
   */
  private readonly dirs = new Set<string>();

  private async openTemp(p: string): Promise<{ tmp: string; fh: fs.FileHandle }> {
    const dir = path.dirname(p), tmp = this.tempName(p);
    if (!this.dirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      if (this.dirs.size >= MAX_DIRS) this.dirs.clear();
      this.dirs.add(dir);
    }
    try {
      return { tmp, fh: await fs.open(tmp, 'wx') };
    } catch (e) {
      if (!isMissing(e)) throw e;
      await fs.mkdir(dir, { recursive: true });
      return { tmp, fh: await fs.open(tmp, 'wx') };
    }
  }

  private async writeTemp(p: string, bytes: FileBytes, hooks?: WriteHooks): Promise<string> {
    const { tmp, fh } = await this.openTemp(p);
    try {
      if (hooks?.halfWritten) {
        const one = joined(bytes), half = one.length >> 1;
        await writeAll(fh, one.subarray(0, half));
        await fh.sync();
        await hooks.halfWritten();
        await writeAll(fh, one.subarray(half));
      } else if (bytes instanceof Uint8Array) await fh.writeFile(bytes);
      else await writeParts(fh, bytes);
      await fh.sync();
    } finally { await fh.close(); }
    return tmp;
  }

  async write(p: string, bytes: FileBytes, hooks?: WriteHooks): Promise<void> {
    const tmp = await this.writeTemp(p, bytes, hooks);
    await fs.rename(tmp, p);
  }

  async create(p: string, bytes: Uint8Array): Promise<boolean> {
    return this.linkNew(await this.writeTemp(p, bytes), p);
  }

  /** The temp file written and fsynced now; the rename or link, which is all a publish costs, later. */
  async stage(p: string, bytes: Uint8Array): Promise<StagedWrite> {
    const tmp = await this.writeTemp(p, bytes);
    return {
      publish: () => fs.rename(tmp, p),
      publishNew: () => this.linkNew(tmp, p),
      discard: () => fs.rm(tmp, { force: true }),
    };
  }

  private async linkNew(tmp: string, p: string): Promise<boolean> {
    try {
      // link() fails with EEXIST instead of replacing: the never-overwrite rule of the logs.
      await fs.link(tmp, p);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async list(dir: string): Promise<string[]> {
    try { return (await fs.readdir(dir)).filter((n) => !n.startsWith('.')); } catch (e) { if (isMissing(e)) return []; throw e; }
  }

  async listRecursive(dir: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try { entries = await fs.readdir(d, { withFileTypes: true }); } catch (e) { if (isMissing(e)) return; throw e; }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p); else out.push(p);
      }
    };
    await walk(dir);
    return out;
  }

  async exists(p: string): Promise<boolean> {
    try { await fs.access(p); return true; } catch { return false; }
  }

  async remove(p: string): Promise<void> {
    await fs.rm(p, { force: true });
  }
}
