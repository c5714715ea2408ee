// The web UI's group view (src/ui/group-view.ts, issue #16 "Operations") read over HTTP from a real
// scale-out worker: this process runs worker A of a stateless query (Kafka, 4 partitions -> Parquet) in
// the query's Kafka group with its UI; a second worker B (test/fixtures/scale-out-query.ts, a child
// process) joins the group. A's /api/group first shows the 4 tasks it was given, each with its batch and
// lag, then the rebalance that moved two of them to B; /group shows the same as a page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, col, from_json, types as T } from '../src/index.ts';
import { startBroker, produce, uniqueTopic, type TestBroker } from './support/broker.ts';
import { tmpDir } from './support/tmp.ts';
import { runQueryChild } from './support/query-child.ts';
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

describe('web UI group view', () => {
  it("a worker's UI shows its generation, its tasks with batch and lag, and the rebalance that moved tasks to a new worker", async () => {
    const topic = uniqueTopic('ui-group');
    await broker.createTopic(topic, PARTITIONS);
    await produce(broker.bootstrap, topic, rows(0, 40));
    const dir = tmpDir('ui-group');
    const cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    const session = Session.builder().appName('ui-group').getOrCreate();
    session.conf.set('sluice.scaleOut.sessionTimeout', '4 seconds');
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 5).load()
      .select(from_json(col('value').cast('string'), T.struct({ id: T.long, kind: T.string, amount: T.double })).alias('d')).select('d.*')
      .writeStream.format('parquet').option('checkpointLocation', cp).option('sluice.scaleOut', 'true').option('ui.port', 0)
      .trigger({ processingTime: 100 }).start(out);
    let child: { kill: () => void } | undefined;
    try {
      const group = async (): Promise<GroupSummary | undefined> => {
        if (!q.isActive) throw new Error(`worker A ended: ${String(q.exception()?.stack)}`);
        const body = await (await fetch(new URL('api/group', q.uiUrl!))).json() as { workers: { id: string; group: GroupSummary }[] };
        return body.workers.find((w) => w.id === q.id)?.group;
      };
      const until = async (what: string, ok: (g: GroupSummary) => boolean, feed = 0): Promise<GroupSummary> => {
        const deadline = Date.now() + 120_000;
        for (let n = 1000; ; n += feed) {
          const g = await group();
          if (g && ok(g)) return g;
          if (Date.now() > deadline) throw new Error(`${what}: the group view still says ${JSON.stringify(g)}`);
          // New rows make the tasks run batches: the view learns of a rebalance from the next batch.
          if (feed) await produce(broker.bootstrap, topic, rows(n, feed));
          await sleep(500);
        }
      };

      // Alone in the group: the 4 tasks, each with the batch that read its 10 rows and no lag left.
      const first = await until('worker A owns every task, caught up', (g) => g.owned.length === 4 && g.owned.every((o) => o.batchId !== null && o.offsetsBehind === 0)
        && g.owned.reduce((a, o) => a + o.batchId!, 0) >= 4);
      expect(first.owned.map((o) => o.task)).toEqual(TASKS);
      expect(first.rebalances).toHaveLength(1);
      expect(first.rebalances[0]).toMatchObject({ generation: first.generation, gained: TASKS, lost: [] });

      // B joins: the sticky assignor moves two of A's tasks to it, and A's view says which.
      void runQueryChild(ROOT, [FIXTURE, broker.bootstrap, topic, cp, out, '5', 'group'], { ...process.env }, { onSpawn: (c) => { child = c; } }, 180_000);
      const after = await until('a rebalance that moved tasks away from A', (g) => g.rebalances.some((r) => r.lost.length > 0), 8);
      const moved = after.rebalances.find((r) => r.lost.length > 0)!;
      expect(moved.generation).toBeGreaterThan(first.generation);
      expect(moved.lost).toHaveLength(2);
      expect(moved.gained).toEqual([]);
      expect(Number.isNaN(Date.parse(moved.at))).toBe(false);
      expect(after.owned.map((o) => o.task)).toEqual(TASKS.filter((t) => !moved.lost.includes(t)));

      const page = await (await fetch(new URL('group', q.uiUrl!))).text();
      expect(page).toContain(`generation ${after.generation}`);
      for (const o of after.owned) expect(page).toContain(`<tr><td>${o.task}</td><td>${o.batchId}</td><td>${o.offsetsBehind}</td></tr>`);
      expect(page).toContain(`<td>${moved.generation}</td><td></td><td>${moved.lost.join(' ')}</td></tr>`);
    } finally {
      child?.kill();
      await q.stop();
    }
  }, 240_000);
});
