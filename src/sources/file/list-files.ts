import { AnalysisError } from '../../errors.ts';
import { storageFor, type Storage } from '../../storage/storage-for.ts';

export interface InputFile {
  /** As the storage names it. */
  readonly path: string;
  /** Below the path the user gave, '/'-separated ('' when the user named the file itself). */
  readonly relative: string;
}

export interface InputFiles {
  readonly storage: Storage;
  readonly root: string;
  readonly files: readonly InputFile[];
}

/**
 * Spark's hidden files: a name starting with '.' or '_' (`_SUCCESS`, `_spark_metadata`, the
 * Parquet sink's `_sluice_log`, temp files) is not data, except `_x=1`-style partition folders.
 */
export function isHidden(name: string): boolean {
  return name.startsWith('.') || (name.startsWith('_') && !name.includes('='));
}

/**
 * The data files a reader takes from `path`: the file itself, or every non-hidden file with
 * one of `extensions` below the directory, sorted by path so that row order is repeatable.
 */
export async function listInputFiles(path: string, extensions: readonly string[], what: string, conf?: ReadonlyMap<string, string>): Promise<InputFiles> {
  const { storage, path: root } = storageFor(path, 'path', conf);
  let listed: string[];
  try {
    listed = await storage.listRecursive(root);
  } catch (e) {
    // A plain file: local readdir says ENOTDIR.
    if ((e as NodeJS.ErrnoException)?.code !== 'ENOTDIR') throw e;
    listed = [];
  }
  if (listed.length === 0) {
    let bytes: Uint8Array | null = null;
    try {
      bytes = await storage.read(root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== 'EISDIR') throw e;
      throw new AnalysisError(`${what}: the directory '${path}' holds no files. Point it at a file or a directory with ${extensions.join(' / ')} files.`);
    }
    if (bytes === null) throw new AnalysisError(`${what}: path '${path}' does not exist.`);
    return { storage, root, files: [{ path: root, relative: '' }] };
  }
  const files: InputFile[] = [];
  for (const p of listed) {
    const relative = relativePath(root, p);
    // A store that lists a file's own key under its name: the user named that file.
    if (relative === '') return { storage, root, files: [{ path: p, relative: '' }] };
    const segments = relative.split('/');
    if (segments.some(isHidden)) continue;
    if (!extensions.some((ext) => relative.endsWith(ext))) continue;
    files.push({ path: p, relative });
  }
  if (files.length === 0) {
    throw new AnalysisError(`${what}: no ${extensions.join(' / ')} files below '${path}' (names starting with '_' or '.' are skipped, as in Spark).`);
  }
  files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { storage, root, files };
}

function relativePath(root: string, p: string): string {
  const r = root.replace(/[\\/]+$/, '');
  const rel = p.startsWith(r) ? p.slice(r.length) : p;
  return rel.replace(/\\/g, '/').replace(/^\/+/, '');
}

/** The bytes of one input file; a file that vanished since the listing is an error, not an empty table. */
export async function readInputFile(files: InputFiles, f: InputFile, what: string): Promise<Uint8Array> {
  const bytes = await files.storage.read(f.path);
  if (bytes === null) throw new AnalysisError(`${what}: file '${f.path}' disappeared while reading; read it again.`);
  return bytes;
}
