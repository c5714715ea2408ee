// One interface over the two places a query's checkpoint and output can live, local disk and S3,
// so a suite can run the same body over both (describe.each) and read back what the query left
// the way a user would: the files as they are, and DuckDB over the Parquet files.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { downloadParquet, listKeys, readText, splitS3, type TestS3 } from './s3.ts';
import { tmpDir } from './tmp.ts';

export interface TestStorage {
  readonly name: 'local' | 's3';
  /** A fresh, empty directory (local) or s3:// prefix no other test uses. */
  path(name: string): string;
  /** The text of the file at `p`, or null when there is none. */
  readText(p: string): Promise<string | null>;
  /** Every file under `p` (hidden ones too), as sorted `/`-separated paths relative to `p`. */
  list(p: string): Promise<string[]>;
  /** A local directory holding every *.parquet file under `p`, committed or not, for DuckDB to glob. */
  parquetDir(p: string): Promise<string>;
}

export const localTestStorage: TestStorage = {
  name: 'local',
  path: (name) => tmpDir(name),
  async readText(p) {
    try { return await readFile(p, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  async list(p) {
    if (!existsSync(p)) return [];
    return (readdirSync(p, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(p, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  },
  parquetDir: async (p) => p,
};

/** The test S3 endpoint; `s3` is asked for it at each call, so this can be built before the endpoint starts. */
export function s3TestStorage(s3: () => TestS3): TestStorage {
  return {
    name: 's3',
    path: (name) => s3().prefix(name),
    readText: (p) => readText(s3(), p),
    async list(p) {
      const { key } = splitS3(p);
      return (await listKeys(s3(), p)).map((k) => k.slice(key.length + 1));
    },
    parquetDir: (p) => downloadParquet(s3(), p),
  };
}
