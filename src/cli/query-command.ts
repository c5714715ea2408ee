/**
 * `sluice query <path> "<SQL>"`: DuckDB over the committed Parquet files of an output path, as a
 * view named `output`. Local outputs are read in place; s3:// outputs are copied into a local
 * cache first (DuckDB's httpfs extension cannot be downloaded here), fetching only new files.
 */
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { storageFor } from '../storage/storage-for.ts';
import { resolveS3Config } from '../storage/s3/config.ts';
import { isS3Path } from '../storage/s3/s3-path.ts';
import { CliError } from './cli-error.ts';
import { committedFiles } from './committed-files.ts';
import { formatTable } from './format-table.ts';
import { defaultCacheDir, syncCache } from './s3-cache.ts';

export interface QueryCommand {
  readonly path: string;
  readonly sql: string;
  readonly json: boolean;
  /** Local copy of an s3:// output; default under ~/.cache/sluice. */
  readonly cacheDir?: string;
  /** `sluice.s3.*` settings (from flags); the environment fills in the rest. */
  readonly conf: ReadonlyMap<string, string>;
  /** Progress notes (what was fetched), for stderr. */
  readonly note: (line: string) => void;
}

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL,
]);

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The local Parquet files that make up the output at `p` right now. */
async function localFiles(cmd: QueryCommand): Promise<string[]> {
  const { storage, path: root } = storageFor(cmd.path, 'path', cmd.conf);
  const { files, batches } = await committedFiles(storage, root);
  if (files.length === 0) {
    throw new CliError(`${root} has ${batches} committed batch${batches === 1 ? '' : 'es'} but no data files yet (every batch was empty); there is nothing to query.`);
  }
  if (!isS3Path(cmd.path)) return files.map((f) => path.join(root, ...f.rel.split('/')));
  const dir = cmd.cacheDir ? path.resolve(cmd.cacheDir) : defaultCacheDir(root, resolveS3Config(cmd.conf).endpoint);
  const { paths, fetched } = await syncCache(storage, root, files, dir);
  if (fetched > 0) cmd.note(`sluice query: fetched ${fetched} of ${files.length} committed files from ${root} into ${dir}`);
  return paths;
}

/** Runs the command and returns what it prints on stdout. */
export async function runQueryCommand(cmd: QueryCommand): Promise<string> {
  const files = await localFiles(cmd);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`CREATE VIEW output AS SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true)`);
    let result;
    try {
      result = await conn.runAndReadAll(cmd.sql);
    } catch (e) {
      throw new CliError(`DuckDB could not run the query: ${(e as Error).message}\nThe output's rows are in the view \`output\` (e.g. SELECT * FROM output LIMIT 10).`, { cause: e });
    }
    if (cmd.json) return JSON.stringify(result.getRowObjectsJson()) + '\n';
    const types: DuckDBType[] = result.columnTypes();
    const rows = result.getRows().map((r) => r.map((v) => (v === null ? 'NULL' : String(v).replace(/\n/g, '\\n'))));
    return formatTable(result.columnNames(), types.map((t) => NUMERIC.has(t.typeId)), rows);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
