/**
 * The committed data files of a Parquet output: those listed in `<path>/_sluice_log/<N>` (DESIGN
 * §7). A file on storage but in no log entry (from an attempt that crashed before its entry was
 * written) is not part of the output, so readers of this list never see a row twice.
 */
import { joinPath, type Storage } from '../storage/storage-for.ts';
import { LOG_DIR, readLogEntry, type SinkLogEntry } from '../sinks/parquet/parquet-sink.ts';
import { CliError } from './cli-error.ts';

export interface CommittedFile {
  /** Relative to the output path, '/'-separated. */
  readonly rel: string;
  readonly bytes: number;
  readonly batchId: number;
}

const READS_IN_FLIGHT = 16;

/** The files of every batch's log entry, in batch order (entries are read a few at a time). */
export async function committedFiles(storage: Storage, root: string): Promise<{ files: CommittedFile[]; batches: number }> {
  const ids = (await storage.list(joinPath(root, LOG_DIR))).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  if (ids.length === 0) {
    throw new CliError(`${root} has no ${LOG_DIR}/ entries: it is not the output path of a sluice Parquet query, or no batch has committed yet. `
      + `Give the path passed to writeStream...start(path) (not the checkpointLocation).`);
  }
  const entries: SinkLogEntry[] = new Array<SinkLogEntry>(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i]!;
      const e = await readLogEntry(storage, root, id);
      if (e === null) throw new CliError(`${joinPath(root, LOG_DIR, String(id))} disappeared while it was being read; run the command again.`);
      entries[i] = e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, ids.length) }, worker));
  const files: CommittedFile[] = [];
  for (const e of entries) {
    for (const f of e.files) {
      // The log is data read from storage: a path that leaves the output (or the local cache) is refused.
      const segments = f.path.split('/');
      if (f.path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || f.path.includes('\\')) {
        throw new CliError(`${joinPath(root, LOG_DIR, String(e.batchId))} lists the file '${f.path}', which is not a plain path below the output; the log is damaged or was not written by sluice.`);
      }
      files.push({ rel: f.path, bytes: f.bytes, batchId: e.batchId });
    }
  }
  return { files, batches: ids.length };
}
