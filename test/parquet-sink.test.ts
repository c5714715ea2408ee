import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as A from 'apache-arrow';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as types from '../src/data/types.ts';
import { type DataType, type Struct, struct, toArrowType } from '../src/data/types.ts';
import { type Batch, makeBatch } from '../src/data/batch.ts';
import { BytesBuilder, ValidityBuilder, nullColumn, primitiveColumn } from '../src/data/builders.ts';
import { parquetSink, readLogEntry, LOG_DIR } from '../src/sinks/parquet/parquet-sink.ts';
import { escapePathName, formatTimestampValue, unescapePathName } from '../src/formats/hive-path.ts';
import { formatDouble } from '../src/data/cells.ts';
import type { Sink, SinkOptions } from '../src/sinks/sink.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { AnalysisError, OptionError, SinkError } from '../src/errors.ts';
import { tmpDir } from './support/tmp.ts';

// ---- building batches from JS values -------------------------------------------------------

function column(type: DataType, vals: readonly unknown[]): A.Data {
  const n = vals.length;
  const vb = new ValidityBuilder(n);
  if (type.kind === 'struct') {
    vals.forEach((v, i) => vb.set(i, v != null));
    const children = type.fields.map((f) => column(f.type, vals.map((v) => (v == null ? null : (v as Record<string, unknown>)[f.name]))));
    return A.makeData({ type: toArrowType(type) as A.Struct, length: n, nullCount: vb.nullCount, nullBitmap: vb.finish(n), children });
  }
  if (type.kind === 'null') return nullColumn(type, n);
  if (type.kind === 'string' || type.kind === 'binary') {
    const bb = new BytesBuilder(n);
    for (const v of vals) {
      if (v == null) bb.appendNull();
      else if (typeof v === 'string') bb.appendString(v);
      else bb.appendBytes(v as Uint8Array);
    }
    return bb.finish(type.kind);
  }
  const arr = type.kind === 'long' || type.kind === 'timestamp' ? new BigInt64Array(n)
    : type.kind === 'double' ? new Float64Array(n) : type.kind === 'boolean' ? new Uint8Array(n) : new Int32Array(n);
  vals.forEach((v, i) => {
    vb.set(i, v != null);
    if (v == null) return;
    if (arr instanceof BigInt64Array) arr[i] = typeof v === 'bigint' ? v : BigInt(v instanceof Date ? v.getTime() : (v as number));
    else if (typeof v === 'boolean') arr[i] = v ? 1 : 0;
    else arr[i] = v as number;
  });
  return primitiveColumn(type, arr, n, vb.finish(n), vb.nullCount);
}

function batch(schema: Struct, rows: readonly Record<string, unknown>[]): Batch {
  return makeBatch(schema, schema.fields.map((f) => column(f.type, rows.map((r) => r[f.name] ?? null))), rows.length);
}

function sinkOpts(schema: Struct, p: string | undefined, extra: Partial<SinkOptions> = {}): SinkOptions {
  return { path: p, options: new Map(), partitionBy: [], outputMode: 'append', schema, ...extra };
}

// ---- fixtures ----------------------------------------------------------------------------

let tmp: string;
let db: DuckDBConnection;
const storage = new LocalStorage();

beforeAll(async () => {
  tmp = tmpDir('parquet');
  db = await (await DuckDBInstance.create()).connect();
});
afterAll(async () => {
  db?.closeSync();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const glob = (root: string): string => sqlStr(`${root}/**/*.parquet`);

async function filesUnder(dir: string): Promise<string[]> {
  return (await storage.listRecursive(dir)).map((p) => path.relative(dir, p).split(path.sep).join('/')).sort();
}

// ---- tests ------------------------------------------------------------------------------

describe('parquet sink: values', () => {
  const inner = struct({ z: types.long, when: types.timestamp });
  const schema = struct({
    b: types.boolean, i: types.int, l: types.long, d: types.double, s: types.string, bin: types.binary,
    ts: types.timestamp, dt: types.date, st: struct({ x: types.int, name: types.string, inner }),
  });
  const t0 = Date.UTC(2024, 0, 1, 10, 0, 0, 123);
  const rows0 = [
    { b: true, i: 1, l: 9007199254740993n, d: 1.5, s: 'héllo', bin: new Uint8Array([0, 255, 7]), ts: t0, dt: 19723,
      st: { x: 7, name: 'n1', inner: { z: -9223372036854775808n, when: t0 + 1 } } },
    { b: false, i: 2, l: -1n, d: -2.25, s: '', bin: new Uint8Array([]), ts: 0, dt: 0, st: { x: null, name: null, inner: null } },
    { i: 3 }, // every other column null, struct included
  ];
  const rows0b = [
    { b: true, i: 4, l: 9223372036854775807n, d: 1e300, s: 'x'.repeat(1000), bin: null, ts: -1, dt: -1, st: { x: -5, name: '🦆', inner: { z: 1n, when: null } } },
  ];
  const rows1 = [{ b: null, i: 5, l: 42n, d: null, s: 'second batch', ts: t0 + 60_000, dt: 20000, st: null }];

  it('round-trips every type through DuckDB exactly (int64, timestamps, nulls, nested structs)', async () => {
    const root = path.join(tmp, 'values');
    const sink = parquetSink.create(sinkOpts(schema, root, { eventTimeColumn: 'ts' }));
    expect(sink.description).toBe(`FileSink[${root}]`);
    expect(await sink.addBatch(0, [batch(schema, rows0), batch(schema, []), batch(schema, rows0b)])).toEqual({ numOutputRows: 4 });
    expect(await sink.addBatch(1, [batch(schema, rows1)])).toEqual({ numOutputRows: 1 });
    expect(await filesUnder(root)).toEqual(['_sluice_log/0', '_sluice_log/1', 'part-0-0.parquet', 'part-1-0.parquet']);

    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${glob(root)})`);
    expect(Object.fromEntries(described.map((r) => [r.column_name, r.column_type]))).toEqual({
      b: 'BOOLEAN', i: 'INTEGER', l: 'BIGINT', d: 'DOUBLE', s: 'VARCHAR', bin: 'BLOB',
      ts: 'TIMESTAMP WITH TIME ZONE', dt: 'DATE',
      st: 'STRUCT(x INTEGER, "name" VARCHAR, "inner" STRUCT(z BIGINT, "when" TIMESTAMP WITH TIME ZONE))',
    });

    const got = await query(`SELECT b, i, l::VARCHAR AS l, d, s, hex(bin) AS bin, epoch_ms(ts)::VARCHAR AS ts, dt::VARCHAR AS dt,
        st.x AS sx, st.name AS sname, st.inner IS NULL AS inner_null, st.inner.z::VARCHAR AS z, epoch_ms(st.inner."when")::VARCHAR AS w,
        st IS NULL AS st_null
      FROM read_parquet(${glob(root)}) ORDER BY i`);
    expect(got).toEqual([
      { b: true, i: 1, l: '9007199254740993', d: 1.5, s: 'héllo', bin: '00FF07', ts: String(t0), dt: '2024-01-01', sx: 7, sname: 'n1', inner_null: false, z: '-9223372036854775808', w: String(t0 + 1), st_null: false },
      { b: false, i: 2, l: '-1', d: -2.25, s: '', bin: '', ts: '0', dt: '1970-01-01', sx: null, sname: null, inner_null: true, z: null, w: null, st_null: false },
      { b: null, i: 3, l: null, d: null, s: null, bin: null, ts: null, dt: null, sx: null, sname: null, inner_null: true, z: null, w: null, st_null: true },
      { b: true, i: 4, l: '9223372036854775807', d: 1e300, s: 'x'.repeat(1000), bin: null, ts: '-1', dt: '1969-12-31', sx: -5, sname: '🦆', inner_null: false, z: '1', w: null, st_null: false },
      { b: null, i: 5, l: '42', d: null, s: 'second batch', bin: null, ts: String(t0 + 60_000), dt: '2024-10-04', sx: null, sname: null, inner_null: true, z: null, w: null, st_null: true },
    ]);

    // The log: files, rows, sizes, event-time range.
    const log0 = await readLogEntry(storage, root, 0);
    const size0 = (await fs.stat(path.join(root, 'part-0-0.parquet'))).size;
    expect(log0).toEqual({
      batchId: 0, numRows: 4, files: [{ path: 'part-0-0.parquet', rows: 4, bytes: size0 }],
      eventTime: { min: new Date(-1).toISOString(), max: new Date(t0).toISOString() },
    });
    const raw1 = JSON.parse(await fs.readFile(path.join(root, LOG_DIR, '1'), 'utf8'));
    expect(raw1).toMatchObject({ batchId: 1, numRows: 1, files: [{ path: 'part-1-0.parquet', rows: 1 }], eventTime: { min: new Date(t0 + 60_000).toISOString() } });
  });

  it('writes no file for an empty batch but still logs it', async () => {
    const root = path.join(tmp, 'empty');
    const sink = parquetSink.create(sinkOpts(schema, root, { eventTimeColumn: 'ts' }));
    expect(await sink.addBatch(0, [])).toEqual({ numOutputRows: 0 });
    expect(await sink.addBatch(1, [batch(schema, [])])).toEqual({ numOutputRows: 0 });
    expect(await filesUnder(root)).toEqual(['_sluice_log/0', '_sluice_log/1']);
    expect(await readLogEntry(storage, root, 1)).toEqual({ batchId: 1, numRows: 0, files: [] });
  });

  it('takes the event-time range of a window struct and of a nested field', async () => {
    const win = struct({ start: types.timestamp, end: types.timestamp });
    const s = struct({ window: win, n: types.long });
    const rows = [{ window: { start: 1000, end: 2000 }, n: 1n }, { window: { start: 500, end: 1500 }, n: 2n }, { window: null, n: 3n }];
    const root = path.join(tmp, 'window');
    await parquetSink.create(sinkOpts(s, root, { eventTimeColumn: 'window' })).addBatch(0, [batch(s, rows)]);
    expect((await readLogEntry(storage, root, 0))?.eventTime).toEqual({ min: new Date(500).toISOString(), max: new Date(2000).toISOString() });
    await parquetSink.create(sinkOpts(s, root, { eventTimeColumn: 'window.end' })).addBatch(1, [batch(s, rows)]);
    expect((await readLogEntry(storage, root, 1))?.eventTime).toEqual({ min: new Date(1500).toISOString(), max: new Date(2000).toISOString() });
  });
});

describe('parquet sink: hive partitions', () => {
  const schema = struct({ k: types.string, v: types.long });
  const hostile = ['../../etc', 'a/b', '%', '=', 'x\ny', null, '', '..', '.', 'plain', 'ü ñ', `#?*:"'{[]^\\`, '\x7f', 'tab\there', '%2F', 'nul\x00'];

  it('escapes values like Hive, keeps every file under the root, and DuckDB reads the original strings back', async () => {
    const outer = path.join(tmp, 'hostile');
    const root = path.join(outer, 'lake');
    const sink = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'] }));
    const rows = hostile.map((k, i) => ({ k, v: BigInt(i) }));
    await sink.addBatch(0, [batch(schema, rows)]);

    // Nothing outside the root: the parent holds only the root, and every path resolves below it.
    expect(await fs.readdir(outer)).toEqual(['lake']);
    expect(await fs.readdir(tmp)).not.toContain('etc');
    const files = await filesUnder(root);
    for (const f of files) {
      const resolved = path.resolve(root, f);
      expect(resolved.startsWith(root + path.sep)).toBe(true);
    }
    const dirs = files.filter((f) => f.endsWith('.parquet')).map((f) => f.slice(0, f.lastIndexOf('/')));
    expect(new Set(dirs)).toEqual(new Set([
      'k=..%2F..%2Fetc', 'k=a%2Fb', 'k=%25', 'k=%3D', 'k=x%0Ay', 'k=__HIVE_DEFAULT_PARTITION__', 'k=..', 'k=.', 'k=plain', 'k=ü ñ',
      'k=%23%3F%2A%3A%22%27%7B%5B%5D%5E%5C', 'k=%7F', 'k=tab%09here', 'k=%252F', 'k=nul%00',
    ]));
    // Files are numbered in sorted directory order.
    const parquet = files.filter((f) => f.endsWith('.parquet'));
    const sortedDirs = [...new Set(dirs)].sort();
    expect(parquet).toEqual(expect.arrayContaining(sortedDirs.map((d, n) => `${d}/part-0-${n}.parquet`)));

    // Partition columns live only in the directory names.
    const inFile = await query(`DESCRIBE SELECT * FROM read_parquet(${glob(root)}, hive_partitioning=false)`);
    expect(inFile.map((r) => r.column_name)).toEqual(['v']);

    // DuckDB un-escapes %XX and reads __HIVE_DEFAULT_PARTITION__ as NULL (so '' comes back as NULL, as in Spark).
    const got = await query(`SELECT k, v::INTEGER AS v FROM read_parquet(${glob(root)}, hive_partitioning=true) ORDER BY v`);
    expect(got).toEqual(hostile.map((k, i) => ({ k: k === '' ? null : k, v: i })));
  });

  it('shortens a partition value too long for a directory name (prefix, ~, hash) and warns; reports write failures as SinkError', async () => {
    const root = path.join(tmp, 'long');
    const sink = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'] }));
    // 400 bytes of UTF-8, 300 bytes once escaped, and two long values that share their first 260 characters.
    const values = ['é'.repeat(200), '/'.repeat(100), 'x'.repeat(260) + 'A', 'x'.repeat(260) + 'B'];
    expect(await sink.addBatch(0, [batch(schema, values.map((k, i) => ({ k, v: BigInt(i) })))])).toEqual({ numOutputRows: 4 });
    const dirs = (await fs.readdir(root)).filter((d) => d.startsWith('k=')).sort();
    expect(dirs).toHaveLength(4);
    for (const d of dirs) {
      expect(Buffer.byteLength(d)).toBeLessThanOrEqual(255);
      expect(d).toMatch(/~[0-9a-f]{16}$/);
    }
    const warnings = sink.drainWarnings!();
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/Partition column 'k': a value starting 'éééé.*' would make a directory name of 402 bytes, over the 255-byte limit .* its rows went to 'k=éé.*…' \(a prefix of the value, '~' and a hash of it\)/);
    expect(sink.drainWarnings!()).toEqual([]);
    // Every row is there once, under its own directory; the value read back is the prefix, '~' and the hash.
    const got = await query(`SELECT k, v::INTEGER AS v FROM read_parquet(${glob(root)}, hive_partitioning=true) ORDER BY v`);
    expect(got.map((r) => r.v)).toEqual([0, 1, 2, 3]);
    got.forEach((r, i) => {
      const prefix = String(r.k).replace(/~[0-9a-f]{16}$/, '');
      expect(values[i]!.startsWith(prefix) && prefix.length > 40).toBe(true);
    });
    expect(new Set(got.map((r) => r.k)).size).toBe(4);
    // A re-run of the batch finds the same names.
    const again = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'] }));
    await again.addBatch(0, [batch(schema, values.map((k, i) => ({ k, v: BigInt(i) })))]);
    expect((await fs.readdir(root)).filter((d) => d.startsWith('k=')).sort()).toEqual(dirs);
    const blocked = path.join(tmp, 'blocked');
    await fs.writeFile(blocked, 'a file where the output directory should be');
    const err = await parquetSink.create(sinkOpts(schema, blocked)).addBatch(0, [batch(schema, [{ k: 'a', v: 1n }])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as Error).message).toContain(`could not write '${blocked}/part-0-0.parquet'`);
  });

  it('partitions by several typed columns with Spark formatting', async () => {
    const s = struct({ day: types.date, at: types.timestamp, n: types.int, flag: types.boolean, x: types.double, v: types.string });
    const root = path.join(tmp, 'typed');
    const sink = parquetSink.create(sinkOpts(s, root, { partitionBy: ['day', 'at', 'n', 'flag', 'x'] }));
    const at = Date.UTC(2024, 0, 1, 10, 0, 0);
    await sink.addBatch(0, [batch(s, [
      { day: 19723, at, n: 1, flag: true, x: 2, v: 'a' },
      { day: 19723, at: at + 100, n: -1, flag: false, x: 1e7, v: 'b' },
      { day: 19723, at, n: 1, flag: true, x: 2, v: 'c' },
    ])]);
    expect((await filesUnder(root)).filter((f) => f.endsWith('.parquet'))).toEqual([
      'day=2024-01-01/at=2024-01-01 10%3A00%3A00.1/n=-1/flag=false/x=1.0E7/part-0-0.parquet',
      'day=2024-01-01/at=2024-01-01 10%3A00%3A00/n=1/flag=true/x=2.0/part-0-1.parquet',
    ]);
    // DuckDB's hive type detection only turns DATE and BIGINT-looking values into typed columns;
    // booleans, doubles and timestamps stay VARCHAR unless the reader passes hive_types.
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${glob(root)}, hive_partitioning=true)`);
    expect(Object.fromEntries(described.map((r) => [r.column_name, r.column_type])))
      .toEqual({ v: 'VARCHAR', at: 'VARCHAR', day: 'DATE', flag: 'VARCHAR', n: 'BIGINT', x: 'VARCHAR' });
    const got = await query(`SELECT v, day::VARCHAR AS day, n::INTEGER AS n, flag, x, epoch_ms("at")::VARCHAR AS "at"
      FROM read_parquet(${glob(root)}, hive_partitioning=true, hive_types={'at': TIMESTAMP, 'flag': BOOLEAN, 'x': DOUBLE}) ORDER BY v`);
    expect(got).toEqual([
      { v: 'a', day: '2024-01-01', n: 1, flag: true, x: 2, at: String(at) },
      { v: 'b', day: '2024-01-01', n: -1, flag: false, x: 1e7, at: String(at + 100) },
      { v: 'c', day: '2024-01-01', n: 1, flag: true, x: 2, at: String(at) },
    ]);
  });

  it('a re-run of a batch with fewer partitions removes its stale files and leaves other batches alone', async () => {
    const root = path.join(tmp, 'rerun');
    const sink = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'] }));
    await sink.addBatch(0, [batch(schema, [{ k: 'a', v: 0n }, { k: 'b', v: 1n }])]);
    const before0 = await Promise.all(['k=a/part-0-0.parquet', 'k=b/part-0-1.parquet'].map((f) => fs.readFile(path.join(root, f))));
    // First attempt of batch 1: three partitions, and it "crashed" before its log entry.
    await sink.addBatch(1, [batch(schema, [{ k: 'a', v: 10n }, { k: 'b', v: 11n }, { k: 'c', v: 12n }])]);
    await fs.rm(path.join(root, LOG_DIR, '1'));
    // A crashed attempt also leaves a temp file behind (as LocalStorage names them) and a partial file.
    await fs.writeFile(path.join(root, 'k=c', '.part-1-2.parquet.0123456789ab.tmp'), 'half a file');
    await fs.writeFile(path.join(root, '.part-1-0.parquet.ba9876543210.tmp'), 'half a file');

    // Re-run of batch 1 with one partition (say the source returned the same rows after a plan fix).
    const again = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'] }));
    expect(await again.addBatch(1, [batch(schema, [{ k: 'c', v: 12n }])])).toEqual({ numOutputRows: 1 });
    const files = await filesUnder(root);
    expect(files.filter((f) => f.endsWith('.parquet'))).toEqual(['k=a/part-0-0.parquet', 'k=b/part-0-1.parquet', 'k=c/part-1-0.parquet']);
    const after0 = await Promise.all(['k=a/part-0-0.parquet', 'k=b/part-0-1.parquet'].map((f) => fs.readFile(path.join(root, f))));
    expect(after0).toEqual(before0);
    expect(await readLogEntry(storage, root, 1)).toMatchObject({ batchId: 1, numRows: 1, files: [{ path: 'k=c/part-1-0.parquet', rows: 1 }] });
    expect((await readLogEntry(storage, root, 0))?.files.map((f) => f.path)).toEqual(['k=a/part-0-0.parquet', 'k=b/part-0-1.parquet']);

    // The re-run (a new sink instance's first batch) removed the temp files of the killed writes too.
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Later batches of the same instance do not list the output tree again: a leftover planted now stays.
    await fs.writeFile(path.join(root, 'k=a', '.part-2-0.parquet.0123456789ab.tmp'), 'half a file');
    await again.addBatch(2, [batch(schema, [{ k: 'a', v: 20n }])]);
    expect((await filesUnder(root)).filter((f) => f.endsWith('.tmp'))).toEqual(['k=a/.part-2-0.parquet.0123456789ab.tmp']);
    // No reader's glob matches a temp file (DuckDB would fail on 'half a file').
    await again.addBatch(3, []);
    const got = await query(`SELECT k, v::INTEGER AS v FROM read_parquet(${glob(root)}, hive_partitioning=true) ORDER BY v`);
    expect(got).toEqual([{ k: 'a', v: 0 }, { k: 'b', v: 1 }, { k: 'a', v: 20 }, { k: 'c', v: 12 }].sort((x, y) => x.v - y.v));
    // Nor does DuckDB's glob() list the log directory or temp files.
    const globbed = (await query(`SELECT file FROM glob(${glob(root)})`)).map((r) => path.relative(root, String(r.file)).split(path.sep).join('/')).sort();
    expect(globbed).toEqual(['k=a/part-0-0.parquet', 'k=a/part-2-0.parquet', 'k=b/part-0-1.parquet', 'k=c/part-1-0.parquet']);
  });

  it('a re-run of an unpartitioned batch replaces its files and removes extra ones', async () => {
    const s = struct({ v: types.long });
    const root = path.join(tmp, 'rerun-flat');
    const sink = parquetSink.create(sinkOpts(s, root, { options: new Map([['maxRecordsPerFile', '2']]) }));
    await sink.addBatch(0, [batch(s, [{ v: 1n }])]);
    await sink.addBatch(1, [batch(s, [{ v: 2n }, { v: 3n }, { v: 4n }, { v: 5n }, { v: 6n }])]);
    expect((await readLogEntry(storage, root, 1))?.files).toEqual([
      { path: 'part-1-0.parquet', rows: 2, bytes: expect.any(Number) },
      { path: 'part-1-1.parquet', rows: 2, bytes: expect.any(Number) },
      { path: 'part-1-2.parquet', rows: 1, bytes: expect.any(Number) },
    ]);
    // The re-run after a crash: a new sink instance (a restarted query).
    const again = parquetSink.create(sinkOpts(s, root, { options: new Map([['maxRecordsPerFile', '2']]) }));
    await again.addBatch(1, [batch(s, [{ v: 2n }, { v: 3n }])]);
    expect(await filesUnder(root)).toEqual(['_sluice_log/0', '_sluice_log/1', 'part-0-0.parquet', 'part-1-0.parquet']);
    expect(await query(`SELECT sum(v)::INTEGER AS s, count(*)::INTEGER AS n FROM read_parquet(${glob(root)})`)).toEqual([{ s: 6, n: 3 }]);
  });

  it('splits files by maxRecordsPerFile across chunks within each partition', async () => {
    const root = path.join(tmp, 'maxrecords');
    const sink = parquetSink.create(sinkOpts(schema, root, { partitionBy: ['k'], options: new Map([['MAXRECORDSPERFILE', '3']]) }));
    const rows = Array.from({ length: 10 }, (_, i) => ({ k: i % 2 === 0 ? 'even' : 'odd', v: BigInt(i) }));
    await sink.addBatch(0, [batch(schema, rows.slice(0, 4)), batch(schema, rows.slice(4))]);
    const log = await readLogEntry(storage, root, 0);
    expect(log?.files.map((f) => [f.path, f.rows])).toEqual([
      ['k=even/part-0-0.parquet', 3], ['k=even/part-0-1.parquet', 2], ['k=odd/part-0-2.parquet', 3], ['k=odd/part-0-3.parquet', 2],
    ]);
    const got = await query(`SELECT k, v::INTEGER AS v FROM read_parquet(${glob(root)}, hive_partitioning=true) ORDER BY v`);
    expect(got).toEqual(rows.map((r) => ({ k: r.k, v: Number(r.v) })));
  });
});

describe('parquet sink: options and errors', () => {
  const schema = struct({ k: types.string, v: types.long, st: struct({ a: types.int }), bin: types.binary });

  it('needs a path', () => {
    const create = (): Sink => parquetSink.create(sinkOpts(schema, undefined));
    expect(create).toThrow(OptionError);
    expect(create).toThrow(/'path'.*start\('<dir>'\).*option\('path', '<dir>'\)/);
    expect(() => parquetSink.create(sinkOpts(schema, '  '))).toThrow(OptionError);
    // option('path') works as well as start(path).
    const viaOption = parquetSink.create(sinkOpts(schema, undefined, { options: new Map([['path', path.join(tmp, 'via-option')]]) }));
    expect(viaOption.description).toBe(`FileSink[${path.join(tmp, 'via-option')}]`);
  });

  it('refuses unknown, duplicate, non-atomic and all-column partitioning', () => {
    const p = path.join(tmp, 'never');
    const unknown = (): Sink => parquetSink.create(sinkOpts(schema, p, { partitionBy: ['country'] }));
    expect(unknown).toThrow(AnalysisError);
    expect(unknown).toThrow("partitionBy column 'country' is not a column of the query's output. Available columns: 'k', 'v', 'st', 'bin'.");
    expect(() => parquetSink.create(sinkOpts(schema, p, { partitionBy: ['k', 'k'] }))).toThrow(/twice/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { partitionBy: ['st'] }))).toThrow(/'st' has type struct<a:int>.*must be/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { partitionBy: ['bin'] }))).toThrow(/'bin' has type binary/);
    expect(() => parquetSink.create(sinkOpts(struct({ k: types.string }), p, { partitionBy: ['k'] }))).toThrow(/every column/);
  });

  it('checks output mode, compression, maxRecordsPerFile, event-time column and path scheme', () => {
    const p = path.join(tmp, 'never');
    expect(() => parquetSink.create(sinkOpts(schema, p, { outputMode: 'complete' }))).toThrow(/does not support complete output mode/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { options: new Map([['compression', 'lzo']]) }))).toThrow(OptionError);
    expect(() => parquetSink.create(sinkOpts(schema, p, { options: new Map([['compression', 'zip']]) }))).toThrow(/'compression'.*'zip'.*snappy/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { options: new Map([['maxRecordsPerFile', '-1']]) }))).toThrow(/maxRecordsPerFile/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { eventTimeColumn: 'v' }))).toThrow(/Event-time column 'v'.*timestamp/);
    expect(() => parquetSink.create(sinkOpts(schema, p, { eventTimeColumn: 'nope' }))).toThrow(/Event-time column 'nope' .*not a column/);
    expect(() => parquetSink.create(sinkOpts(schema, 'ftp://host/x'))).toThrow(OptionError);
    expect(parquetSink.name).toBe('parquet');
    expect(parquetSink.outputModes).toEqual(['append']);
    expect(parquetSink.options).toEqual(['path', 'compression', 'maxRecordsPerFile']);
  });

  it('writes the chosen compression codec', async () => {
    const s = struct({ v: types.long, s: types.string });
    const rows = Array.from({ length: 100 }, (_, i) => ({ v: BigInt(i), s: `row ${i}` }));
    for (const [opt, codec] of [['zstd', 'ZSTD'], ['gzip', 'GZIP'], ['none', 'UNCOMPRESSED'], ['lz4', 'LZ4_RAW'], ['brotli', 'BROTLI'], [undefined, 'SNAPPY']] as const) {
      const root = path.join(tmp, `codec-${opt}`);
      const options = new Map(opt ? [['compression', opt]] : []);
      await parquetSink.create(sinkOpts(s, root, { options })).addBatch(0, [batch(s, rows)]);
      const meta = await query(`SELECT DISTINCT compression FROM parquet_metadata(${glob(root)})`);
      expect(meta).toEqual([{ compression: codec }]);
      expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet(${glob(root)})`)).toEqual([{ n: 100 }]);
    }
  });
});

describe('hive escaping helpers', () => {
  it('escapes exactly Hive\'s characters with uppercase hex and round-trips', () => {
    expect(escapePathName('a b/c:d=e%f')).toBe('a b%2Fc%3Ad%3De%25f');
    expect(escapePathName('\x01\x1f\x7f{[]^"#\'*?\\')).toBe('%01%1F%7F%7B%5B%5D%5E%22%23%27%2A%3F%5C');
    expect(escapePathName('..')).toBe('..');
    expect(escapePathName('ok-_.,;~!@$&()+ü')).toBe('ok-_.,;~!@$&()+ü');
    for (const s of ['../../etc', 'a/b', '%2F', 'x\ny', '\x00']) expect(unescapePathName(escapePathName(s))).toBe(s);
  });

  it('formats timestamps and doubles like Spark', () => {
    expect(formatTimestampValue(Date.UTC(2024, 0, 1, 10, 0, 0))).toBe('2024-01-01 10:00:00');
    expect(formatTimestampValue(Date.UTC(2024, 0, 1, 10, 0, 0, 120))).toBe('2024-01-01 10:00:00.12');
    expect([1, 0.5, -0, 1e7, 1.5e-5, 123456.789, NaN, -Infinity].map(formatDouble))
      .toEqual(['1.0', '0.5', '-0.0', '1.0E7', '1.5E-5', '123456.789', 'NaN', '-Infinity']);
  });
});

describe('parquet sink: speed (reported, not asserted)', () => {
  it('writes 1M rows x 5 columns', async () => {
    const n = 1_000_000;
    const s = struct({ id: types.long, amount: types.double, user: types.string, at: types.timestamp, qty: types.int });
    const ids = new BigInt64Array(n), amounts = new Float64Array(n), ats = new BigInt64Array(n), qty = new Int32Array(n);
    const users = new BytesBuilder(n, n * 8);
    const t0 = BigInt(Date.UTC(2024, 0, 1));
    for (let i = 0; i < n; i++) {
      ids[i] = BigInt(i); amounts[i] = (i % 10_000) / 100; ats[i] = t0 + BigInt(i * 10); qty[i] = i % 7;
      users.appendString(`user-${i % 5000}`);
    }
    const b = makeBatch(s, [
      primitiveColumn(types.long, ids, n), primitiveColumn(types.double, amounts, n), users.finish('string'),
      primitiveColumn(types.timestamp, ats, n), primitiveColumn(types.int, qty, n),
    ], n);
    const root = path.join(tmp, 'speed');
    const sink = parquetSink.create(sinkOpts(s, root, { eventTimeColumn: 'at' }));
    const start = performance.now();
    await sink.addBatch(0, [b]);
    const ms = performance.now() - start;
    const bytes = (await readLogEntry(storage, root, 0))!.files[0]!.bytes;
    console.log(`[parquet sink] 1M rows x 5 columns: ${ms.toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB (snappy)`);
    expect(await query(`SELECT count(*)::INTEGER AS n, max(id)::VARCHAR AS m FROM read_parquet(${glob(root)})`)).toEqual([{ n, m: String(n - 1) }]);
  }, 120_000);
});
