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
  /** The log entry that lists the file, relative to the output: `_sluice_log/<N>` or, for a scale-out task, `_sluice_log/<task>/<N>`. */
  readonly log: string;
}

const READS_IN_FLIGHT = 16;

const batchIds = (names: readonly string[]): number[] => names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);

/**
 * The files of every batch's log entry: a plain query's `_sluice_log/<N>` in batch order, then each
 * scale-out task's `_sluice_log/<task>/<N>` (docs/design/scale-out.md), task by task (entries are
 * read a few at a time).
 */
export async function committedFiles(storage: Storage, root: string): Promise<{ files: CommittedFile[]; batches: number }> {
  const top = await storage.list(joinPath(root, LOG_DIR));
  const tasks = top.filter((n) => /^\d+_\d+$/.test(n)).sort();
  const wanted: { id: number; task: string | undefined }[] = batchIds(top).map((id) => ({ id, task: undefined }));
  for (const task of tasks) for (const id of batchIds(await storage.list(joinPath(root, LOG_DIR, task)))) wanted.push({ id, task });
  if (wanted.length === 0) {
    throw new CliError(`${root} has no ${LOG_DIR}/ entries: it is not the output path of a sluice Parquet query, or no batch has committed yet. `
      + `Give the path passed to writeStream...start(path) (not the checkpointLocation).`);
  }
  const logOf = (w: { id: number; task: string | undefined }): string => w.task === undefined ? `${LOG_DIR}/${w.id}` : `${LOG_DIR}/${w.task}/${w.id}`;
  const entries: SinkLogEntry[] = new Array<SinkLogEntry>(wanted.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wanted.length) {
      const i = next++;
      const w = wanted[i]!;
      const e = await readLogEntry(storage, root, w.id, w.task);
      if (e === null) throw new CliError(`${joinPath(root, logOf(w))} disappeared while it was being read; run the command again.`);
      entries[i] = e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, wanted.length) }, worker));
  const files: CommittedFile[] = [];
  entries.forEach((e, i) => {
    const log = logOf(wanted[i]!);
    for (const f of e.files) {
      // The log is data read from storage: a path that leaves the output (or the local cache) is refused.
      const segments = f.path.split('/');
      if (f.path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || f.path.includes('\\')) {
        throw new CliError(`${joinPath(root, log)} lists the file '${f.path}', which is not a plain path below the output; the log is damaged or was not written by sluice.`);
      }
      files.push({ rel: f.path, bytes: f.bytes, batchId: e.batchId, log });
    }
  });
  return { files, batches: wanted.length };
}
