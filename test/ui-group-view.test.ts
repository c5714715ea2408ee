// The web UI's group view (src/ui/group-view.ts, issue #16 "Operations") read over HTTP from a real
// scale-out worker: this process runs worker A of a stateless query (Kafka, 4 partitions -> Parquet) in
// the query's Kafka group with its UI; a second worker B (test/fixtures/scale-out-query.ts, a child
// process) joins the group. A's /api/group first shows the 4 tasks it was given, each with its batch and
// lag, then the rebalance that moved two of them to B, and B as the owner of those two (the group's
// SyncGroup table); /group shows the same as a page.
// The second case reads the same view to show that a worker waiting for a task's lease still rejoins
// the group when it rebalances (src/runtime/scale-out/worker.ts, openGained).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, col, from_json, types as T, type StreamingQuery } from '../src/index.ts';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { tmpDir } from './support/tmp.ts';
import { runQueryChild } from './support/query-child.ts';
import { holdTaskLease } from './support/lease-holder.ts';
import type { GroupSummary } from '../src/ui/group-view.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/scale-out-query.ts', import.meta.url));
const PARTITIONS = 4;
const TASKS = ['0_0', '0_1', '0_2', '0_3'];

let broker: TestBroker;
beforeAll(async () => { broker = await startBroker(); }, 60_000);
afterAll(async () => { await broker?.stop(); });

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition: (from + i) % PARTITIONS, value: JSON.stringify({ id: from + i, kind: 'k', amount: 1 }) }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Worker A in this process (the group, a 4 s session, its UI on a free port), over a new topic of 40 rows; B's arguments. */
async function workerA(name: string, before?: (cp: string) => Promise<void>) {
  const topic = uniqueTopic(name);
  await broker.createTopic(topic, PARTITIONS);
  await produce(broker.bootstrap, topic, rows(0, 40));
  const dir = tmpDir(name);
  const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
  await before?.(cp);
  const session = Session.builder().appName(name).getOrCreate();
  session.conf.set('sluice.scaleOut.sessionTimeout', '4 seconds');
  const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 5).load()
    .select(from_json(col('value').cast('string'), T.struct({ id: T.long, kind: T.string, amount: T.double })).alias('d')).select('d.*')
    .writeStream.format('parquet').option('checkpointLocation', cp).option('sluice.scaleOut', 'true').option('ui.port', 0)
    .trigger({ processingTime: 100 }).start(out);
  return { q, topic, cp, b: [FIXTURE, broker.bootstrap, topic, cp, out, '5', 'group'] };
}

/** Polls A's /api/group until `ok`; with `feed`, produces that many rows each round so the tasks run batches (the view learns of a rebalance from the next batch). */
async function until(q: StreamingQuery, topic: string, what: string, ok: (g: GroupSummary) => boolean, feed = 0): Promise<GroupSummary> {
  const deadline = Date.now() + 120_000;
  for (let n = 1000; ; n += feed) {
    if (!q.isActive) throw new Error(`worker A ended: ${String(q.exception()?.stack)}`);
    const body = await (await fetch(new URL('api/group', q.uiUrl!))).json() as { workers: { id: string; group: GroupSummary }[] };
    const g = body.workers.find((w) => w.id === q.id)?.group;
    if (g && ok(g)) return g;
    if (Date.now() > deadline) throw new Error(`${what}: the group view still says ${JSON.stringify(g)}`);
    if (feed) await produce(broker.bootstrap, topic, rows(n, feed));
    await sleep(500);
  }
}

describe('web UI group view', () => {
  it("a worker's UI shows its generation, its tasks with batch and lag, and the rebalance that moved tasks to a new worker", async () => {
    const { q, topic, b } = await workerA('ui-group');
    let child: { kill: () => void } | undefined;
    try {
      // Alone in the group: the 4 tasks, each with the batch that read its 10 rows and no lag left.
      const first = await until(q, topic, 'worker A owns every task, caught up', (g) => g.owned.length === 4 && g.owned.every((o) => o.batchId !== null && o.offsetsBehind === 0)
        && g.owned.reduce((a, o) => a + o.batchId!, 0) >= 4);
      expect(first.owned.map((o) => o.task)).toEqual(TASKS);
      // The owners table (the generation's SyncGroup table): A alone, with every task.
      expect(first.members).toHaveLength(1);
      expect(first.members[0]).toMatchObject({ self: true, tasks: TASKS });
      expect(first.rebalances).toHaveLength(1);
      expect(first.rebalances[0]).toMatchObject({ generation: first.generation, gained: TASKS, lost: [] });

      // B joins: the sticky assignor moves two of A's tasks to it, and A's view says which.
      void runQueryChild(ROOT, b, { ...process.env }, { onSpawn: (c) => { child = c; } }, 180_000);
      const after = await until(q, topic, 'a rebalance that moved tasks away from A', (g) => g.rebalances.some((r) => r.lost.length > 0), 8);
      const moved = after.rebalances.find((r) => r.lost.length > 0)!;
      expect(moved.generation).toBeGreaterThan(first.generation);
      expect(moved.lost).toHaveLength(2);
      expect(moved.gained).toEqual([]);
      expect(Number.isNaN(Date.parse(moved.at))).toBe(false);
      expect(after.owned.map((o) => o.task)).toEqual(TASKS.filter((t) => !moved.lost.includes(t)));
      // A's view shows B too, as the owner of the tasks A lost: every task has one owner.
      const self = after.members.filter((m) => m.self), others = after.members.filter((m) => !m.self);
      expect(self).toHaveLength(1);
      expect(self[0]!.tasks).toEqual(after.owned.map((o) => o.task));
      expect(others).toHaveLength(1);
      expect(others[0]!.tasks).toEqual(moved.lost);
      expect(others[0]!.memberId).not.toBe(self[0]!.memberId);

      const page = await (await fetch(new URL('group', q.uiUrl!))).text();
      expect(page).toContain(`generation ${after.generation}`);
      for (const o of after.owned) expect(page).toContain(`<tr><td>${o.task}</td><td>${o.batchId}</td><td>${o.offsetsBehind}</td></tr>`);
      expect(page).toContain(`<td>${moved.generation}</td><td></td><td>${moved.lost.join(' ')}</td></tr>`);
      expect(page).toContain(`<tr><td>${others[0]!.memberId}</td><td>${others[0]!.host}</td><td>–</td><td>${moved.lost.join(' ')}</td></tr>`);
    } finally {
      child?.kill();
      await q.stop();
    }
  }, 240_000);

  // Found by the chaos harness's scale-out mode: a worker blocked on a gained task's lease did not rejoin, the
  // group formed without it while it still ran its old tasks, and two workers each waited for a lease the other
  // held until one failed after leaseWaitMs (40 s). Here another process holds task 0_1's lease, so A, given
  // all 4 tasks, runs 0_0 and waits on 0_1; B's join must still find A in the next generation.
  it('a worker waiting for a task lease still rejoins when the group rebalances', async () => {
    let release = async (): Promise<void> => {};
    const { q, topic, b } = await workerA('ui-group-lease', async (cp) => { ({ release } = await holdTaskLease(cp, '0_1')); });
    let child: { kill: () => void } | undefined;
    try {
      const first = await until(q, topic, 'worker A runs 0_0', (g) => g.owned.length === 4 && g.owned[0]!.batchId !== null);
      expect(first.owned.find((o) => o.task === '0_1')!.batchId).toBeNull();
      void runQueryChild(ROOT, b, { ...process.env }, { onSpawn: (c) => { child = c; } }, 180_000);
      // A is in the generation B's join made (it lost tasks to B), without waiting out the 40 s its lease wait allows.
      const after = await until(q, topic, 'A in the generation after B joined', (g) => g.generation > first.generation && g.owned.length < 4, 8);
      await release();
      expect(after.rebalances.at(-1)!.lost.length).toBeGreaterThan(0);
      // With the lease given up, every task A owns runs.
      await until(q, topic, "A's tasks all run", (g) => g.owned.every((o) => o.batchId !== null), 8);
      expect(q.exception()).toBeNull();
    } finally {
      await release();
      child?.kill();
      await q.stop();
    }
  }, 240_000);
});
