// `sluice query <path> "<SQL>"` (bin/sluice.mjs) on a local and on an s3:// output: the same rows
// as DuckDB reading the files directly; only committed files count; s3:// outputs are cached
// locally and only new files are fetched.
import { copyFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, downloadParquet, type TestS3 } from './support/s3.ts';
import { runSluice, type Ran } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';
import { Session, MemoryStream, types as T, type StreamingQuery } from '../src/index.ts';
import { runQueryCommand } from '../src/cli/query-command.ts';
import { CliError } from '../src/cli/cli-error.ts';

let s3: TestS3;
let session: Session;
const schema = T.struct({ id: T.long, user: T.string, amount: T.double, at: T.timestamp, p: T.string });
const P = ['a', 'b/c', '100%', '..'];
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => {
  const i = from + k;
  return { id: BigInt(i), user: i % 5 === 0 ? null : `u${i % 7}`, amount: i * 0.5, at: new Date(Date.UTC(2024, 0, 1) + i * 60_000), p: P[i % P.length]! };
});

let local: { out: string; stream: MemoryStream; q: StreamingQuery };
let remote: { out: string; stream: MemoryStream; q: StreamingQuery };
const cache = tmpDir('cli-query-cache');

async function startQuery(out: string, cp: string): Promise<{ out: string; stream: MemoryStream; q: StreamingQuery }> {
  const stream = new MemoryStream(session, schema);
  stream.addData(rows(0, 300));
  const q = await stream.toDF().writeStream.format('parquet').option('checkpointLocation', cp).option('maxRecordsPerFile', 50).partitionBy('p').start(out);
  await q.processAllAvailable();
  return { out, stream, q };
}

beforeAll(async () => {
  s3 = await startS3();
  const b = Session.builder().appName('cli-query-test');
  for (const [k, v] of Object.entries(s3.conf())) b.config(k, v);
  session = b.getOrCreate();
  [local, remote] = await Promise.all([startQuery(tmpDir('cli-query-out'), tmpDir('cli-query-cp')), startQuery(s3.prefix('cli-out'), s3.prefix('cli-cp'))]);
});
afterAll(async () => { await local?.q.stop(); await remote?.q.stop(); await s3?.stop(); });

/** `sluice <args>`, able to reach the test S3. */
const sluice = (...args: string[]): Promise<Ran> => runSluice(args, s3.env());

/** DuckDB over every *.parquet file under `dir`, the way a user would read the files directly. */
async function direct(dir: string, sql: string): Promise<unknown[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`CREATE VIEW output AS SELECT * FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`);
    return (await conn.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    conn.closeSync();
  }
}

const SQL = 'SELECT * FROM output ORDER BY id';

describe('sluice query', () => {
  it('on a local output: the rows DuckDB reads from the files, as JSON and as a table', async () => {
    const r = await sluice('query', local.out, SQL, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(got.length).toBe(300);
    expect(got).toEqual(await direct(local.out, SQL));
    expect(got[1]).toEqual({ id: '1', user: 'u1', amount: 0.5, at: '2024-01-01 00:01:00+00', p: 'b/c' });

    const t = await sluice('query', local.out, 'SELECT p, count(*) AS n, sum(amount) AS total FROM output GROUP BY p ORDER BY p');
    expect(t.code).toBe(0);
    expect(t.stdout).toBe([
      'p    |  n |  total',
      '-----+----+-------',
      '..   | 75 | 5662.5',
      '100% | 75 |   5625',
      'a    | 75 |   5550',
      'b/c  | 75 | 5587.5',
      '(4 rows)', '',
    ].join('\n'));
  });

  it('on an s3:// output: the same rows, from a local cache that fetches only new files', async () => {
    const first = await sluice('query', remote.out, SQL, '--json', '--cache', cache);
    expect(first.code, first.stderr).toBe(0);
    const files = (await readdirRecursive(path.join(cache, 'files'))).length;
    expect(files).toBe(8); // 4 partitions x 75 rows, at most 50 per file
    expect(first.stderr).toBe(`sluice query: fetched ${files} of ${files} committed files from ${remote.out} into ${cache}\n`);
    const got = JSON.parse(first.stdout) as unknown[];
    expect(got).toEqual(await direct(await downloadParquet(s3, remote.out), SQL));
    expect(got).toEqual(JSON.parse((await sluice('query', local.out, SQL, '--json')).stdout));

    const again = await sluice('query', remote.out, 'SELECT count(*) AS n FROM output', '--json', '--cache', cache);
    expect(again).toEqual({ code: 0, stdout: '[{"n":"300"}]\n', stderr: '' });

    // A new batch: only its files are fetched.
    remote.stream.addData(rows(300, 340));
    await remote.q.processAllAvailable();
    const notes: string[] = [];
    const out = await runQueryCommand({ path: remote.out, sql: 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM output', json: true, cacheDir: cache, conf: new Map(Object.entries(s3.conf())), note: (l) => notes.push(l) });
    expect(JSON.parse(out)).toEqual([{ n: '340', d: '340' }]);
    expect(notes).toEqual([`sluice query: fetched 4 of ${files + 4} committed files from ${remote.out} into ${cache}`]);
  });

  it('reads committed files only, and says clearly what is wrong', async () => {
    const run = (p: string, sql: string): Promise<string> => runQueryCommand({ path: p, sql, json: true, conf: new Map(), note: () => undefined });
    // A stray file of an attempt that never committed (no log entry lists it) is not output.
    const dir = path.join(local.out, 'p=a');
    const committed = readdirSync(dir).find((f) => f.endsWith('.parquet'))!;
    copyFileSync(path.join(dir, committed), path.join(dir, 'part-99-0.parquet'));
    expect(JSON.parse(await run(local.out, 'SELECT count(*) AS n FROM output'))).toEqual([{ n: '300' }]);
    expect(await direct(local.out, 'SELECT count(*) AS n FROM output')).not.toEqual([{ n: '300' }]);

    await expect(run(tmpDir('cli-query-empty'), SQL)).rejects.toThrow(CliError);
    await expect(run(tmpDir('cli-query-empty'), SQL)).rejects.toThrow(/has no _sluice_log\/ entries: it is not the output path of a sluice Parquet query/);
    await expect(run(local.out, 'SELECT nope FROM output')).rejects.toThrow(/DuckDB could not run the query: .*nope.*\nThe output's rows are in the view `output`/s);
    const bad = await sluice('query', local.out);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^sluice: sluice query takes a path and one SQL string \(quote it\), got 1 argument\./);
  });
});

async function readdirRecursive(dir: string): Promise<string[]> {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}
