import * as A from 'apache-arrow';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { CheckpointError } from '../errors.ts';
import { rangeText, StateFiles } from './state-files.ts';
import { openStateFile } from './state-file-seal.ts';

/**
 * One state file of `dir` as an Arrow table, checked: a file that is missing, cut short, fails
 * its checksum, is not Arrow, or lacks the columns `expect` names fails with a CheckpointError
 * naming the file and the versions that can still be rebuilt without it. Never a partial table.
 */
export async function readStateFile(storage: Storage, dir: string, name: string, expect?: readonly string[]): Promise<{ table: A.Table; bytes: number }> {
  const path = joinPath(dir, name);
  const bytes = await storage.read(path);
  if (!bytes) throw await damaged(storage, dir, name, 'it disappeared while it was being read');
  const opened = openStateFile(bytes);
  if ('damage' in opened) throw await damaged(storage, dir, name, opened.damage);
  let t: A.Table;
  try {
    t = A.tableFromIPC(opened.ipc);
  } catch (e) {
    throw await damaged(storage, dir, name, `it is not a readable Arrow IPC stream (${(e as Error).message})`, e);
  }
  if (expect) {
    const got = t.schema.fields.map((f) => f.name);
    if (got.length !== expect.length || got.some((g, i) => g !== expect[i])) {
      throw await damaged(storage, dir, name, `its columns are (${got.join(', ')}) but the operator's state has (${expect.join(', ')})`);
    }
  }
  return { table: t, bytes: bytes.length };
}

async function damaged(storage: Storage, dir: string, name: string, what: string, cause?: unknown): Promise<CheckpointError> {
  let versions = 'unknown (the directory could not be listed)';
  try { versions = rangeText(new StateFiles(await storage.list(dir)).readableWithout(name)); } catch { /* the message still names the file */ }
  return new CheckpointError(`State file ${joinPath(dir, name)} is damaged: ${what}. The state it holds cannot be loaded, and no state is loaded in its place. `
    + `Versions that can be rebuilt without it: ${versions}. Restore the file from a backup, or start the query with a new checkpointLocation.`, { cause });
}
