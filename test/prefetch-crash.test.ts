// Exactly once with the prefetched next batch (src/runtime/prefetch.ts): while batch N runs its query,
// sink and commit, batch N+1 is planned and read, but offsets/<N+1> is written only after commits/<N>,
// and N+1's rows reach the query only after that. Real child processes (test/fixtures/crash-query.ts:
// Kafka -> from_json -> Parquet, availableNow, maxOffsetsPerTrigger, so there is a backlog and every
// batch but the last prefetches the next), killed with SIGKILL by the engine's crash hook:
//   - at 'prefetched:N': N's input was read ahead, batch N-1 has not committed, offsets/<N> does not exist;
//   - at 'afterOffsetLog:N' and 'beforeSink:N' of a batch that ran on prefetched input: the restart
//     re-reads exactly the logged range;
//   - at 'beforeCommit:N' while N+1's prefetch is under way or done.
// After each kill, a clean restart; DuckDB over the output must hold every produced id exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { runQueryChild, type ChildResult, type ChildRunOptions, describeRun } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-query.ts', import.meta.url));
const PARTITIONS = 3;
const MAX_OFFSETS = 90;
const CHILD_TIMEOUT_MS = 60_000;

interface Progress { event: 'progress'; batchId: number; numInputRows: number; startOffset: Offsets; endOffset: Offsets }
type Offsets = Record<string, Record<string, number>>;

let broker: TestBroker;
let topic: string;
let tmp: string;
let produced = 0;

async function produceRecords(n: number): Promise<void> {
  const msgs = [];
  for (let id = produced; id < produced + n; id++) {
    msgs.push({ partition: id % PARTITIONS, value: JSON.stringify({ id, user_id: `u${id % 5}`, amount: id * 0.25, type: 'view' }) });
  }
  await produce(broker.bootstrap, topic, msgs);
  produced += n;
}

const dirs = (name: string): { cp: string; out: string } => ({ cp: path.join(tmp, name, 'cp'), out: path.join(tmp, name, 'out') });

function runChild(name: string, o: ChildRunOptions = {}): Promise<ChildResult<Progress>> {
  const { cp, out } = dirs(name);
  return runQueryChild<Progress>(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, String(MAX_OFFSETS)], { ...process.env }, o, CHILD_TIMEOUT_MS);
}


const logIds = async (dir: string): Promise<number[]> =>
  (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);

async function readOffsets(cp: string, batchId: number): Promise<Offsets> {
  const lines = (await fs.readFile(path.join(cp, 'offsets', String(batchId)), 'utf8')).split('\n');
  return JSON.parse(lines[2]!) as Offsets;
}

async function expectExactlyOnce(out: string): Promise<void> {
  const [r] = await duckQuery(`select count(*)::BIGINT as n, count(distinct id)::BIGINT as d, min(id)::BIGINT as lo, max(id)::BIGINT as hi `
    + `from read_parquet('${out}/**/*.parquet')`);
  expect({ n: Number(r!.n), d: Number(r!.d), lo: Number(r!.lo), hi: Number(r!.hi) }).toEqual({ n: produced, d: produced, lo: 0, hi: produced - 1 });
}

beforeAll(async () => {
  broker = await startBroker();
  topic = uniqueTopic('prefetch-crash');
  await broker.createTopic(topic, PARTITIONS);
  tmp = tmpDir('prefetch-crash');
  await produceRecords(720); // 8 batches of 90
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('prefetching the next batch keeps exactly once through SIGKILLs', () => {
  it('a batch whose input was read ahead but not yet logged is planned again after a crash', async () => {
    const { cp, out } = dirs('prefetched');
    const crashed = await runChild('prefetched', { crashAt: 'prefetched:3' });
    expect(crashed.signal, describeRun(crashed)).toBe('SIGKILL');
    // The kill came while batch 2 ran: its read-ahead of batch 3 left no trace in the checkpoint.
    expect(crashed.progress.map((p) => p.batchId)).not.toContain(3);
    expect(await logIds(path.join(cp, 'offsets'))).not.toContain(3);
    const restarted = await runChild('prefetched');
    expect(restarted.code, describeRun(restarted)).toBe(0);
    await expectExactlyOnce(out);
  }, 180_000);

  for (const phase of ['afterOffsetLog', 'beforeSink', 'beforeCommit']) {
    it(`a kill at ${phase} of a batch that ran on prefetched input re-runs exactly the logged range`, async () => {
      const name = `at-${phase}`, { cp, out } = dirs(name);
      const crashed = await runChild(name, { crashAt: `${phase}:4` });
      expect(crashed.signal, describeRun(crashed)).toBe('SIGKILL');
      const logged = await readOffsets(cp, 4), before = await readOffsets(cp, 3);
      expect(await logIds(path.join(cp, 'commits'))).not.toContain(4);
      const restarted = await runChild(name);
      expect(restarted.code, describeRun(restarted)).toBe(0);
      const rerun = restarted.progress.find((p) => p.batchId === 4);
      expect(rerun, describeRun(restarted)).toBeDefined();
      expect(rerun!.startOffset).toEqual(before);
      expect(rerun!.endOffset).toEqual(logged);
      expect(rerun!.numInputRows).toBe(MAX_OFFSETS);
      await expectExactlyOnce(out);
    }, 180_000);
  }
});
