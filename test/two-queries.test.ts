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

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-query.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

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
  expect(refused[0]!.stderr).toMatch(/(Offset|Commit) log file .* already exists: another query is writing to this checkpoint/);
  // Whatever the refused one left is finished by a restart; every row is there once.
  expect((await run(args)).code).toBe(0);
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('${out}/**/*.parquet')`);
  expect(r).toEqual({ n: BigInt(n), d: BigInt(n) });
});
