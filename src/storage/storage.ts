/**
 * The one interface for files. Paths are absolute local paths or `s3://bucket/key`;
 * only `storage/` knows which. Keys use '/' on every backend.
 */
export interface Storage {
  /** The file's bytes, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** Write whole-or-nothing (temp + rename locally, one PUT on S3); overwrites. */
  write(path: string, bytes: FileBytes, hooks?: WriteHooks): Promise<void>;
  /** Write whole-or-nothing only if absent; false when the file already exists (never overwrites). */
  create(path: string, bytes: Uint8Array): Promise<boolean>;
  /** Names (not paths) of the entries directly under `dir`; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Every file path below `dir`, recursively. */
  listRecursive(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Delete a file; no error when it is absent. */
  remove(path: string): Promise<void>;
  /**
   * The first half of write/create: the bytes made durable where no reader looks (a temp file
   * locally; held in memory for S3, whose one PUT is both halves). Several files of one batch stage
   * at once, so their fsyncs overlap; publishing them one after another keeps the order in which
   * they appear, which is what the commit protocol rests on (the part files, then the sink's log
   * entry, then commits/<N>).
   */
  stage(path: string, bytes: Uint8Array): Promise<StagedWrite>;
}

/**
 * A file's bytes: one buffer, or its parts in order. Parts are written locally with writev, with no
 * join: a state file's parts are its columns' own buffers (state/state-file-seal.ts), and joining
 * them was a fresh 39 MB copy per 1M keys. S3's one PUT joins them.
 */
export type FileBytes = Uint8Array | readonly Uint8Array[];

/** One buffer of `bytes` (parts joined). */
export function joined(bytes: FileBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
}

/** Bytes staged for one path (Storage.stage): exactly one of its methods is called, once. */
export interface StagedWrite {
  /** Makes the file visible under its path, overwriting, as `write`. */
  publish(): Promise<void>;
  /** Makes the file visible only if the path is absent, as `create`; false when it exists. */
  publishNew(): Promise<boolean>;
  /** Drops the staged bytes (the batch failed before publishing them). */
  discard(): Promise<void>;
}

/** Test hooks of a write (crash tests kill the process there); backends without the point skip it. */
export interface WriteHooks {
  /** Local disk: half the bytes are in the temp file, none under the file's name yet. */
  halfWritten?(): void | Promise<void>;
}

export function joinPath(base: string, ...parts: string[]): string {
  let p = base.endsWith('/') ? base.slice(0, -1) : base;
  for (const part of parts) p += '/' + part;
  return p;
}
