import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild, type ChildResult } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-query.ts', import.meta.url));
/** Past the test's own timeout: a child is never left behind. */
const CHILD_TIMEOUT_MS = 60_000;
let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); });

interface Run { done: Promise<ChildResult<unknown>>; pid: number; firstBatch: Promise<void> }

/** crash-query.ts in a child process; `firstBatch` settles at its first progress line (or its end). */
function start(args: string[]): Run {
  let pid = 0;
  let batched: () => void = () => undefined;
  const firstBatch = new Promise<void>((r) => { batched = r; });
  const done = runQueryChild(ROOT, [FIXTURE, ...args], process.env, { onSpawn: (c) => { pid = c.pid; } }, CHILD_TIMEOUT_MS, () => batched());
  done.then(batched, batched);
  return { done, pid, firstBatch };
}
const run = (args: string[]) => start(args).done;

it('two processes on one checkpoint: one is refused, the output stays exactly once', async () => {
  const topic = uniqueTopic('two');
  await broker.createTopic(topic, 2);
  const n = 6000;
  await produce(broker.bootstrap, topic, Array.from({ length: n }, (_, id) => ({ value: JSON.stringify({ id, user_id: `u${id % 5}`, amount: 1, type: 'x' }) })));
  const cp = tmpDir('two-cp'), out = tmpDir('two-out');
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
  const cp = tmpDir('two-cp'), out = tmpDir('two-out');
  const args = [broker.bootstrap, topic, cp, out, '50'];
  // The first run reads 20 rows a batch: its 300 batches outlast the second's start on a busy machine, which took
  // seconds, so the second always meets the lease held.
  const first = start([broker.bootstrap, topic, cp, out, '20']);
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
