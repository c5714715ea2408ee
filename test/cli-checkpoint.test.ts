// `sluice checkpoint show|state` (bin/sluice.mjs) on checkpoints.example, locally and on s3://:
// what the checkpoint holds, the state rows (checked against DuckDB's own aggregation of the
// orders that wrote them), the state written out with --out read by DuckDB, and clear errors.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type TestS3 } from './support/s3.ts';
import { duckQuery } from './support/duck.ts';
import { ROOT, runSluice, type Ran } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';
import { order } from '../examples/support/orders.ts';
import { storageFor } from '../src/storage/storage-for.ts';

const EXAMPLE = path.join(ROOT, 'checkpoints.example');
const fileLines = (file: string): string[] => readFileSync(path.join(EXAMPLE, file), 'utf8').split('\n');
const queryId = (JSON.parse(fileLines('metadata')[0]!) as { id: string }).id;
const batchIds = readdirSync(path.join(EXAMPLE, 'offsets')).map(Number).sort((a, b) => a - b);
const last = batchIds.at(-1)!;

let s3: TestS3;
let remote: string;

beforeAll(async () => {
  s3 = await startS3();
  // The same checkpoint on S3, copied through sluice's storage layer.
  remote = s3.prefix('checkpoint');
  const { storage, path: base } = storageFor(remote, 'test', new Map(Object.entries(s3.conf())));
  const { storage: local } = storageFor(EXAMPLE);
  for (const file of await local.listRecursive(EXAMPLE)) {
    await storage.write(`${base}/${path.relative(EXAMPLE, file).split(path.sep).join('/')}`, (await local.read(file))!);
  }
});
afterAll(async () => { await s3?.stop(); });

/** `sluice checkpoint <args>`, able to reach the test S3. */
const sluice = (...args: string[]): Promise<Ran> => runSluice(['checkpoint', ...args], s3.env());

/** --endpoint/--region/--path-style for the test S3 (the flags, not the environment, are what is tested). */
const s3Flags = (): string[] => [...(s3.endpoint ? ['--endpoint', s3.endpoint] : []), '--region', s3.region, ...(s3.forcePathStyle ? ['--path-style'] : [])];

/**
 * The state rows a version should hold, computed by DuckDB from the orders the example produced:
 * from version 3 on, every order has been read (see offsets/3).
 */
async function expectedState(version = last): Promise<Record<string, unknown>[]> {
  const watermark = (JSON.parse(fileLines(`offsets/${version}`)[1]!) as { batchWatermarkMs: number }).batchWatermarkMs;
  const file = path.join(tmpDir('cli-cp-orders'), 'orders.jsonl');
  writeFileSync(file, Array.from({ length: 200 }, (_, i) => JSON.stringify(order(i))).join('\n'));
  // Windows the last batch's watermark closed were evicted; every other window is still held.
  return duckQuery(`SELECT * FROM (
      SELECT epoch_ms(time_bucket(INTERVAL 5 MINUTE, CAST(event_time AS TIMESTAMP))) AS start_ms, user_id,
        sum(amount) AS total_spend, count(order_id) AS order_count
      FROM read_json('${file}', columns = {order_id: 'VARCHAR', user_id: 'VARCHAR', amount: 'DOUBLE', event_time: 'VARCHAR'})
      GROUP BY ALL)
    WHERE start_ms + 300000 > ${watermark} ORDER BY start_ms, user_id`);
}

describe('sluice checkpoint show', () => {
  it('prints the query id, each batch with its offsets and watermarks, and the state files', async () => {
    const r = await sluice('show', 'checkpoints.example');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Query id    ${queryId}`);
    expect(r.stdout).toMatch(/Source 0 +starts at orders 0:0 1:0 2:0 3:0/);
    for (const id of batchIds) {
      const ends = JSON.parse(fileLines(`offsets/${id}`)[2]!) as { orders: Record<string, number> };
      const compact = `orders ${Object.entries(ends.orders).map(([p, o]) => `${p}:${o}`).join(' ')}`;
      expect(r.stdout).toMatch(new RegExp(`^ +${id} \\| .* \\| ${compact} +\\| +\\d+ \\| \\d{4}-\\d\\d-\\d\\d \\S+ `, 'm'));
    }
    // Batch 0 runs with no watermark; each later one with the watermark the one before committed.
    expect(r.stdout).toMatch(/^ +0 \| \S+ \S+ +\| none +\|/m);
    expect(r.stdout).toMatch(/^ +1 \| \S+ \S+ +\| 2024-01-01 09:56:56 \|.*\| 2024-01-01 10:02:56$/m);
    expect(r.stdout).toContain('keys        window: window(event_time, 5 minutes), user_id: string');
    expect(r.stdout).toContain('aggregates  total_spend: double = sum(amount), order_count: long = count(order_id)');
    expect(r.stdout).toMatch(/^ +2 \| 2\.snapshot \|/m);
    expect(r.stdout).toContain(`readable versions 0..${last}; version ${last} (the last committed batch) holds ${(await expectedState()).length} keys`);
    expect(r.stdout).toMatch(/Totals: 5 batches \(5 committed\), 200 records read; 1 state operator, 7 state files/);
  });

  it('--json gives the same facts to a program', async () => {
    const r = await sluice('show', 'checkpoints.example', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      queryId: string; batches: { batchId: number; endOffsets: unknown[]; startOffsets: unknown[]; numInputRecords: number; committed: boolean; nextBatchWatermarkMs: number }[];
      stateOperators: { operatorId: number; files: { name: string; bytes: number }[]; readableVersions: number[] }[];
    };
    expect(report.queryId).toBe(queryId);
    expect(report.batches.map((b) => b.batchId)).toEqual(batchIds);
    for (const b of report.batches) {
      expect(b.endOffsets).toEqual([JSON.parse(fileLines(`offsets/${b.batchId}`)[2]!)]);
      expect(b.nextBatchWatermarkMs).toBe((JSON.parse(fileLines(`commits/${b.batchId}`)[1]!) as { nextBatchWatermarkMs: number }).nextBatchWatermarkMs);
    }
    expect(report.batches[1]!.startOffsets).toEqual(report.batches[0]!.endOffsets);
    expect(report.batches.reduce((s, b) => s + b.numInputRecords, 0)).toBe(200);
    const files = readdirSync(path.join(EXAMPLE, 'state/0')).filter((n) => n !== '_metadata').sort();
    expect(report.stateOperators[0]!.files.map((f) => f.name).sort()).toEqual(files);
    for (const f of report.stateOperators[0]!.files) expect(f.bytes).toBe(readFileSync(path.join(EXAMPLE, 'state/0', f.name)).length);
  });

  it('reads the same checkpoint on S3', async () => {
    const [a, b] = await Promise.all([sluice('show', remote, ...s3Flags()), sluice('show', 'checkpoints.example')]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout.replace(/^Checkpoint .*$/m, '')).toBe(b.stdout.replace(/^Checkpoint .*$/m, ''));
    expect(a.stdout).toContain(`Checkpoint  ${remote}`);
  });
});

describe('sluice checkpoint state', () => {
  it('prints the rows of the last committed version: window as {start, end}, then the aggregates', async () => {
    const r = await sluice('state', 'checkpoints.example', '--limit', '3');
    expect(r.code).toBe(0);
    const expected = await expectedState();
    expect(r.stdout).toContain(`State of operator 0 (aggregate), version ${last}: ${expected.length} keys. Key: window, user_id; value: total_spend, order_count.`);
    expect(r.stdout).toMatch(/^window +\| user_id \| total_spend \| order_count$/m);
    expect(r.stdout).toMatch(/^\{2024-01-01 10:10:00, 2024-01-01 10:15:00\} \| u-0 +\| +[\d.]+ \| +\d+$/m);
    expect(r.stdout).toContain(`(3 of ${expected.length} rows; --limit N for more, 0 for all)`);
  });

  it('--out writes every row to Parquet that DuckDB reads, equal to DuckDB aggregating the orders', async () => {
    const out = path.join(tmpDir('cli-cp-out'), 'state.parquet');
    const r = await sluice('state', 'checkpoints.example', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote ${(await expectedState()).length} state rows of operator 0, version ${last} to ${out}`);
    const types = await duckQuery(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${out}')`);
    expect(types).toEqual([
      { column_name: 'window', column_type: 'STRUCT("start" TIMESTAMP WITH TIME ZONE, "end" TIMESTAMP WITH TIME ZONE)' },
      { column_name: 'user_id', column_type: 'VARCHAR' },
      { column_name: 'total_spend', column_type: 'DOUBLE' },
      { column_name: 'order_count', column_type: 'BIGINT' },
    ]);
    const rows = await duckQuery(`SELECT epoch_ms("window".start::TIMESTAMP) AS start_ms, user_id, total_spend, order_count FROM '${out}'
      WHERE "window"."end" - "window".start = INTERVAL 5 MINUTE ORDER BY start_ms, user_id`);
    expect(rows).toEqual(await expectedState());
  });

  it('--batch 3: the 2.snapshot plus 3.delta, whose removals evicted the first windows', async () => {
    const out = path.join(tmpDir('cli-cp-out'), 'state-3.parquet');
    const r = await sluice('state', 'checkpoints.example', '--batch', '3', '--out', out);
    expect(r.code).toBe(0);
    const rows = await duckQuery(`SELECT epoch_ms("window".start::TIMESTAMP) AS start_ms, user_id, total_spend, order_count FROM '${out}' ORDER BY start_ms, user_id`);
    expect(rows).toEqual(await expectedState(3));
    expect(rows.length).toBeGreaterThan((await expectedState(4)).length);
  });

  it('--json and --batch: an older version, rebuilt from its snapshot; the same from S3', async () => {
    const [a, b] = await Promise.all([sluice('state', 'checkpoints.example', '--batch', '2', '--json'), sluice('state', remote, '--batch', '2', '--json', ...s3Flags())]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.stdout) as { version: number; numRows: number; columns: { name: string; role: string }[]; rows: Record<string, unknown>[] };
    expect(ja.version).toBe(2);
    // Version 2 is 2.snapshot: every live key, nothing removed yet.
    expect(ja.numRows).toBe(ja.rows.length);
    expect(ja.rows.length).toBe(tableFromIPC(readFileSync(path.join(EXAMPLE, 'state/0/2.snapshot'))).numRows);
    expect(ja.columns.map((c) => `${c.name}:${c.role}`)).toEqual(['window:key', 'user_id:key', 'total_spend:value', 'order_count:value']);
    expect(ja.rows[0]).toEqual({ window: { start: '2024-01-01T10:00:00.000Z', end: '2024-01-01T10:05:00.000Z' }, user_id: 'u-0', total_spend: expect.any(Number), order_count: expect.any(Number) });
    const jb = JSON.parse(b.stdout) as typeof ja;
    expect(jb.rows).toEqual(ja.rows);
  });
});

describe('sluice checkpoint errors', () => {
  it('a directory that is not a checkpoint', async () => {
    const r = await sluice('show', 'docs');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sluice: \/\S+\/docs is not a sluice checkpoint: it has no metadata file \(.*metadata, which holds the query id\)/);
  });

  it('an operator with no state, and a version that is not there', async () => {
    const [op, v, bad, sub] = await Promise.all([
      sluice('state', 'checkpoints.example', '--operator', '1'), sluice('state', 'checkpoints.example', '--batch', '99'),
      sluice('state', 'checkpoints.example', '--batch', 'latest'), sluice('list', 'checkpoints.example')]);
    expect(op.code).toBe(1);
    expect(op.stderr).toContain('has no state for operator 1 (no state/1/). Operators with state: 0; pick one with --operator N.');
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`State version 99 of operator 0 cannot be read from ${path.join(EXAMPLE, 'state/0')}: the versions its files can rebuild are 0..${last}. Pick one of those with --batch V`);
    expect(bad.stderr).toContain(`--batch takes a whole number >= 0, got 'latest'.`);
    expect(sub.stderr).toContain(`Unknown subcommand 'list': use 'show' or 'state'.`);
  });
});
