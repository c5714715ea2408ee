import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); });

interface Run { done: Promise<{ code: number | null; stderr: string }>; pid: number; firstBatch: Promise<void> }

function start(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-query.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '', stdout = '';
  let batched: () => void = () => undefined;
  const firstBatch = new Promise<void>((r) => { batched = r; });
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.includes('"progress"')) batched(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => { batched(); resolve({ code, stderr }); }));
  return { done, pid: child.pid!, firstBatch };
}
const run = (args: string[]) => start(args).done;

it('two processes on one checkpoint: one is refused, the output stays exactly once', async () => {
  const topic = uniqueTopic('two');
  await broker.createTopic(topic, 2);
  const n = 6000;
  await produce(broker.bootstrap, topic, Array.from({ length: n }, (_, id) => ({ value: JSON.stringify({ id, user_id: `u${id % 5}`, amount: 1, type: 'x' }) })));
  const cp = mkdtempSync(path.join(tmpdir(), 'sluice-two-cp-')), out = mkdtempSync(path.join(tmpdir(), 'sluice-two-out-'));
  const args = [broker.bootstrap, topic, cp, out, '50'];
  // Both start together; 120 batches of 50 keep them overlapping.
  const [a, b] = await Promise.all([run(args), run(args)]);
  const refused = [a, b].filter((r) => r.code !== 0);
  expect(refused.length).toBe(1);
  // The lease refuses one at start; should both pass it at the same moment, the offset log's exclusive create refuses one.
  expect(refused[0]!.stderr).toMatch(/is in use by another run of this query|took the lease of checkpoint .* at the same moment|(Offset|Commit) log file .* already exists: another query is writing to this checkpoint/);
  // Whatever the refused one left is finished by a restart; every row is there once.
  expect((await run(args)).code).toBe(0);
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${out}/**/*.parquet')`);
  expect(r).toEqual({ n: BigInt(n), d: BigInt(n) });
});

it('a second run started while the first works is refused at start, and the first goes on undisturbed', async () => {
  const topic = uniqueTopic('second');
  await broker.createTopic(topic, 2);
  const n = 6000;
  await produce(broker.bootstrap, topic, Array.from({ length: n }, (_, id) => ({ value: JSON.stringify({ id, user_id: `u${id % 5}`, amount: 1, type: 'x' }) })));
  const cp = mkdtempSync(path.join(tmpdir(), 'sluice-two-cp-')), out = mkdtempSync(path.join(tmpdir(), 'sluice-two-out-'));
  const args = [broker.bootstrap, topic, cp, out, '50'];
  const first = start(args);
  await first.firstBatch;
  const second = await run(args);
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(new RegExp(`Checkpoint .* is in use by another run of this query \\(runId [0-9a-f-]+, process ${first.pid} on this host, started `));
  expect(second.stderr).toContain('give it its own checkpointLocation and output path');
  const firstResult = await first.done;
  expect(firstResult.stderr).toBe('');
  expect(firstResult.code).toBe(0);
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${out}/**/*.parquet')`);
  expect(r).toEqual({ n: BigInt(n), d: BigInt(n) });
  // A clean stop gives the lease up: the next run starts at once.
  expect((await run(args)).code).toBe(0);
});
