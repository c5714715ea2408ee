/**
 * A local copy of an S3 output's committed files, for DuckDB builds without httpfs (it cannot be
 * downloaded everywhere). Files are named by batch and never change once committed, so a file
 * already cached with the logged size is reused; only new files are fetched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { joinPath, type Storage } from '../storage/storage-for.ts';
import { CliError } from './cli-error.ts';
import type { CommittedFile } from './committed-files.ts';

const FETCHES_IN_FLIGHT = 8;

/** `$XDG_CACHE_HOME/sluice/<hash of the output's URL and endpoint>` (or ~/.cache/...). */
export function defaultCacheDir(root: string, endpoint: string | undefined): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  const id = createHash('sha256').update(`${endpoint ?? 'aws'}\n${root}`).digest('hex').slice(0, 16);
  return path.join(base, 'sluice', id);
}

async function sizeOf(p: string): Promise<number | null> {
  try { return (await fs.stat(p)).size; } catch { return null; }
}

/** Brings `dir` up to date with `files`; returns the local paths (in `files` order) and how many were fetched. */
export async function syncCache(storage: Storage, root: string, files: readonly CommittedFile[], dir: string): Promise<{ paths: string[]; fetched: number }> {
  const filesDir = path.join(dir, 'files');
  await fs.mkdir(filesDir, { recursive: true });
  // For whoever finds the directory: what it is a copy of.
  await fs.writeFile(path.join(dir, 'SOURCE'), `${root}\n`);
  const paths = files.map((f) => path.join(filesDir, ...f.rel.split('/')));
  let fetched = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const f = files[i]!;
      const local = paths[i]!;
      if ((await sizeOf(local)) === f.bytes) continue;
      const remote = joinPath(root, f.rel);
      const bytes = await storage.read(remote);
      if (bytes === null) {
        throw new CliError(`${remote} is listed in ${f.log} but is not there: a query may be re-running batch ${f.batchId} right now. Run the command again.`);
      }
      await fs.mkdir(path.dirname(local), { recursive: true });
      // Temp name + rename: an interrupted fetch never leaves a partial file that looks cached.
      const tmp = `${local}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, local);
      fetched++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCHES_IN_FLIGHT, files.length) }, worker));
  await removeOthers(filesDir, new Set(paths));
  return { paths, fetched };
}

/** Files no longer committed (a re-run batch wrote other names) would only confuse someone browsing the cache. */
async function removeOthers(dir: string, keep: ReadonlySet<string>): Promise<void> {
  let entries;
  try { entries = await fs.readdir(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await removeOthers(p, keep);
    else if (!keep.has(p)) await fs.rm(p, { force: true });
  }
}
