/**
 * The Parquet sink's commit of one batch, idempotent per batch id (DESIGN §7):
 *
 *  1. write every data file `[<dir>/]part-<N>-<n>.parquet` whole-or-nothing (storage.write:
 *     a temp name that does not end in `.parquet`, then rename; one PUT on S3). The names
 *     depend only on the batch's rows, so a re-run of batch N writes the same names;
 *  2. on the first batch a sink instance writes (the only one that can follow a crash: within
 *     one process a failed batch ends the query), list the output tree and remove every
 *     `part-<N>-*.parquet` this attempt did not write (what a crashed earlier attempt with more
 *     files or other partitions left behind), and the temp files of writes a kill cut short.
 *     Later batches skip the listing, whose cost grows with the output (one LIST per 1,000
 *     files on S3);
 *  3. write `<path>/_sluice_log/<N>`: the files, their row counts and sizes, the event-time range
 *     (staged while the last data files write, renamed into place after them).
 *
 * A reader that globs `<path>/**\/*.parquet` sees each row once: old files of batch N are
 * either replaced in place (rename) or removed before the batch counts as done. The log entry
 * is recomputed identically on a re-run, so it is simply overwritten.
 *
 * A scale-out task (docs/design/scale-out.md) numbers its own batches, so its names carry the task:
 * `part-<task>-<N>-<n>.parquet` and `_sluice_log/<task>/<N>`. Step 2 of a task then matches only its
 * own files and temp files, and never removes another task's (a plain query's `part-<N>-<n>` and a
 * task's `part-0_3-<N>-<n>` cannot be mistaken for each other either).
 */
import type { Storage } from '../../storage/storage.ts';
import { joinPath } from '../../storage/storage.ts';
import { isTempFileOf } from '../../storage/storage-for.ts';
import { SinkError, StorageError } from '../../errors.ts';

export const LOG_DIR = '_sluice_log';

export interface LoggedFile {
  /** Relative to the output path, '/'-separated: `country=US/part-3-0.parquet`. */
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface SinkLogEntry {
  readonly batchId: number;
  readonly files: LoggedFile[];
  readonly numRows: number;
  /** Event-time range of the batch's rows (ISO-8601 UTC), when the sink knows the column and a row had one. */
  readonly eventTime?: { readonly min: string; readonly max: string };
  /** The query (checkpoint metadata id) that wrote the batch. */
  readonly queryId?: string;
  /** The scale-out task that wrote the batch, when the query ran as tasks. */
  readonly task?: string;
}

/** A data file to write: its bytes are produced only when it is its turn. */
export interface PendingFile {
  readonly path: string;
  readonly rows: number;
  encode(): Uint8Array;
}

/** A task id as a file name's part: `<stage>_<partition>`. */
const TASK_ID = /^\d+_\d+$/;

export function dataFileName(batchId: number, n: number, task?: string): string {
  return task === undefined ? `part-${batchId}-${n}.parquet` : `part-${task}-${batchId}-${n}.parquet`;
}

/** The data files of this writer (a plain query, or one task): group 1 is the batch id. */
function dataFilePattern(task: string | undefined): RegExp {
  return task === undefined ? /^part-(\d+)-\d+\.parquet$/ : new RegExp(`^part-${task}-(\\d+)-\\d+\\.parquet$`);
}

function checkTask(task: string | undefined): void {
  if (task !== undefined && !TASK_ID.test(task)) throw new SinkError(`Parquet sink: task id '${task}' is not of the form <stage>_<partition>.`);
}

/** How many encoded files may wait for their write at once. */
const WRITES_IN_FLIGHT = 4;

/** `_sluice_log/` or, for a task, `_sluice_log/<task>/`, relative to the output. */
function logDir(task: string | undefined): string {
  return task === undefined ? LOG_DIR : `${LOG_DIR}/${task}`;
}

export function logEntryPath(root: string, batchId: number, task?: string): string {
  checkTask(task);
  return joinPath(root, logDir(task), String(batchId));
}

/** The path of `p` below `root`, '/'-separated, or null when `p` is not below it. */
function relativeTo(root: string, p: string): string | null {
  const r = root.replace(/[\\/]+$/, '');
  if (p.length <= r.length + 1 || !p.startsWith(r) || (p[r.length] !== '/' && p[r.length] !== '\\')) return null;
  return p.slice(r.length + 1).replace(/\\/g, '/');
}

async function io<T>(what: string, file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // A StorageError already says what to check (S3: endpoint, credentials, retry budget).
    const advice = e instanceof StorageError ? '' : 'Check that the output path is writable and has space; ';
    throw new SinkError(
      `Parquet sink: could not ${what} '${file}': ${(e as Error)?.message ?? String(e)}${e instanceof StorageError ? '' : '.'} ` +
      `${advice}${advice ? 't' : 'T'}he batch is retried from its start on restart.`,
      { cause: e },
    );
  }
}

/**
 * A data file made durable under its temp name, then renamed into place once `ready` (the batch's
 * offsets logged) resolves; a rejected `ready` drops it and fails with that rejection.
 */
async function stageThenPublish(storage: Storage, target: string, bytes: Uint8Array, ready: Promise<void>): Promise<void> {
  const staged = await io('write', target, () => storage.stage(target, bytes));
  try { await ready; } catch (e) { await staged.discard(); throw e; }
  await io('write', target, () => staged.publish());
}

/**
 * Steps 1-3 for batch `batchId` under `root`; returns the log entry written. With `ready`
 * (BatchInfo.ready), the files are written out of sight at once and appear only once it resolves.
 */
export async function commitBatch(
  storage: Storage, root: string, batchId: number, files: Iterable<PendingFile>,
  eventTime?: { min: string; max: string }, queryId?: string, removeLeftovers = true, task?: string,
  ready: Promise<void> = Promise.resolve(),
): Promise<SinkLogEntry> {
  checkTask(task);
  ready.catch(() => undefined); // its rejection is thrown below, however long the files take to stage
  // 1. Data files, encoded one at a time, a few writes in flight.
  const logged: LoggedFile[] = [];
  const written = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (const f of files) {
    if (failure !== undefined) break;
    const bytes = f.encode();
    const target = joinPath(root, f.path);
    logged.push({ path: f.path, rows: f.rows, bytes: bytes.length });
    written.add(f.path);
    const w: Promise<void> = stageThenPublish(storage, target, bytes, ready)
      .catch((e: unknown) => { failure ??= e; })
      .finally(() => inFlight.delete(w));
    inFlight.add(w);
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
  }
  const numRows = logged.reduce((s, f) => s + f.rows, 0);
  const entry: SinkLogEntry = { batchId, files: logged, numRows, ...(eventTime ? { eventTime } : {}), ...(queryId ? { queryId } : {}), ...(task === undefined ? {} : { task }) };
  const logPath = logEntryPath(root, batchId, task), logBytes = new TextEncoder().encode(JSON.stringify(entry) + '\n');
  // The log entry is made durable out of sight while the last data files still write (their fsyncs
  // overlap), and appears after them. Not on a first batch: step 2 removes this writer's temp files.
  const logStaged = removeLeftovers || failure !== undefined ? null : io('write the sink log entry', logPath, () => storage.stage(logPath, logBytes));
  logStaged?.catch(() => undefined); // thrown below, or dropped with a data file's failure
  await Promise.all(inFlight);
  // Nothing of the batch becomes visible (or is removed) before its offsets are logged.
  if (failure === undefined) await ready.catch((e: unknown) => { failure = e; });
  if (failure !== undefined) {
    await logStaged?.then((staged) => staged.discard(), () => undefined);
    throw failure;
  }

  // 2. Leftovers of an earlier attempt of this batch, and temp files of killed writes.
  if (removeLeftovers) {
    const dataFile = dataFilePattern(task), ownLogDir = logDir(task);
    const all = await io('list', root, () => storage.listRecursive(root));
    for (const p of all) {
      const rel = relativeTo(root, p);
      if (rel === null) continue;
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      const inLog = rel.startsWith(LOG_DIR + '/');
      // Local storage's temp files (isTempFileOf) of this writer's data files, and of its log
      // entries (`.<N>.<hex>.tmp`), which are its own only in its own log directory.
      const logTemp = isTempFileOf(name, /^\d+$/);
      if (logTemp ? rel.slice(0, Math.max(0, rel.lastIndexOf('/'))) === ownLogDir : !inLog && isTempFileOf(name, dataFile)) {
        await io('remove the temp file', p, () => storage.remove(p));
        continue;
      }
      if (inLog) continue;
      const m = dataFile.exec(name);
      if (!m || Number(m[1]) !== batchId || written.has(rel)) continue;
      await io('remove the stale file', p, () => storage.remove(p));
    }
  }

  // 3. The log entry.
  if (logStaged) {
    const staged = await logStaged;
    await io('write the sink log entry', logPath, () => staged.publish());
  } else await io('write the sink log entry', logPath, () => storage.write(logPath, logBytes));
  return entry;
}

/** The log entry of a committed batch, or null when there is none. */
export async function readLogEntry(storage: Storage, root: string, batchId: number, task?: string): Promise<SinkLogEntry | null> {
  const p = logEntryPath(root, batchId, task);
  const bytes = await storage.read(p);
  if (bytes === null) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as SinkLogEntry;
  } catch (e) {
    throw new SinkError(`Parquet sink log entry '${p}' is not valid JSON; it was not written by sluice or is damaged.`, { cause: e });
  }
}
