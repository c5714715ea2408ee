// checkpoints.example/ is a real checkpoint kept in git. This restarts the query that wrote it
// (examples/orders-spark.ts) from a copy, over the same orders plus more, so a change to the
// checkpoint format that cannot read old checkpoints fails here. The output must be the windows
// DuckDB computes from every order produced, so the state in the copy really was carried over.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, produce, type TestBroker } from './support/broker.ts';
import { duckQuery } from './support/duck.ts';
import { order, ORDERS_START_MS, type Order } from '../examples/support/orders.ts';
import { Session, col, window, sum, count, from_json, types as T, type StreamingQuery } from '../src/index.ts';
import { storageFor } from '../src/storage/storage-for.ts';
import { readStateTable, type WindowCell } from '../src/cli/checkpoint/state-table.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The example, and the copies of it that earlier versions wrote (test/fixtures/old-checkpoints/README.md).
const CHECKPOINTS = ['checkpoints.example', 'test/fixtures/old-checkpoints/orders-v1-no-functions'];

// The example's run: orders 0..199 (examples/orders-spark.ts --checkpoint-example).
const EXAMPLE_ORDERS = 200;
const MIN = 60_000;

// An external cluster's topic 'orders' may hold anything; the checkpoint's offsets need exactly the example's orders.
describe.skipIf(Boolean(process.env.KAFKA_BOOTSTRAP_SERVERS?.trim())).each(CHECKPOINTS)('restart from a copy of %s', (dir) => {
  const EXAMPLE = path.join(ROOT, dir);
  const line = (file: string, n: number): unknown => JSON.parse(readFileSync(path.join(EXAMPLE, file), 'utf8').split('\n')[n]!);
  const ids = (sub: string): number[] => readdirSync(path.join(EXAMPLE, sub)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  let broker: TestBroker;
  let query: StreamingQuery;
  const checkpoint = tmpDir('cpex-checkpoint'), output = tmpDir('cpex-output');
  const lastBatch = ids('commits').at(-1)!;
  // The watermark the example's last batch ran with: windows ending at or before it were emitted then.
  const exampleWatermark = (line(`offsets/${lastBatch}`, 1) as { batchWatermarkMs: number }).batchWatermarkMs;
  // Orders for windows the checkpoint still holds open (10:10-10:15, not closed by its watermark
  // 10:10:56): produced first after the example's, so the first restarted batch reads them.
  const extra: Order[] = Array.from({ length: 20 }, (_, u) => ({
    order_id: `late-${u}`, user_id: `u-${u}`, amount: 1000 + u, event_time: new Date(ORDERS_START_MS + 13 * MIN).toISOString(),
  }));
  // Then the stream goes on where the example's orders stopped: 200 more orders, 20 more minutes.
  const more = Array.from({ length: 200 }, (_, k) => order(EXAMPLE_ORDERS + k));
  const all = [...Array.from({ length: EXAMPLE_ORDERS }, (_, i) => order(i)), ...extra, ...more];

  beforeAll(async () => {
    cpSync(EXAMPLE, checkpoint, { recursive: true });
    broker = await startBroker({ topics: { orders: 4 } });
    // Keyed by user_id as the example produced them: the same partitions, so the same offsets.
    await produce(broker.bootstrap, 'orders', all.map((o) => ({ key: o.user_id, value: JSON.stringify(o) })));

    // The query of examples/orders-spark.ts, on the copied checkpoint.
    const session = Session.builder().appName('streaming-orders').getOrCreate();
    const schema = T.struct({ order_id: T.string, user_id: T.string, amount: T.double, event_time: T.timestamp });
    const orders = session.readStream
      .format('kafka')
      .option('kafka.bootstrap.servers', broker.bootstrap)
      .option('subscribe', 'orders')
      .option('startingOffsets', 'earliest')
      .option('maxOffsetsPerTrigger', 60)
      .load()
      .select(from_json(col('value').cast('string'), schema).alias('data'))
      .select('data.*');
    const result = orders
      .withWatermark('event_time', '10 minutes')
      .groupBy(window(col('event_time'), '5 minutes'), col('user_id'))
      .agg(sum('amount').alias('total_spend'), count('order_id').alias('order_count'));
    query = await result.writeStream
      .outputMode('append')
      .format('parquet')
      .option('checkpointLocation', checkpoint)
      .trigger({ availableNow: true })
      .start(output);
    await query.awaitTermination();
  });
  afterAll(async () => { await query?.stop(); await broker?.stop(); });

  it('keeps the query id and goes on from the batch and offsets after the last committed one', () => {
    expect(query.id).toBe((line('metadata', 0) as { id: string }).id);
    const first = query.recentProgress[0]!;
    expect(first.batchId).toBe(lastBatch + 1);
    expect(first.sources[0]!.startOffset).toEqual(line(`offsets/${lastBatch}`, 2));
    expect(query.recentProgress.reduce((s, p) => s + p.numInputRows, 0)).toBe(extra.length + more.length);
    expect(query.recentProgress.every((p) => p.stateOperators.length === 1)).toBe(true);
    expect(query.recentProgress.reduce((s, p) => s + ((p.stateOperators[0] as { numRowsDroppedByWatermark?: number } | undefined)?.numRowsDroppedByWatermark ?? 0), 0)).toBe(0);
  });

  it('emits exactly the windows DuckDB computes from every order produced, old and new', async () => {
    const finalWatermark = query.lastProgress!.eventTime.watermark;
    expect(finalWatermark).toBeDefined();
    const ordersFile = path.join(tmpDir('cpex-orders'), 'orders.jsonl');
    writeFileSync(ordersFile, all.map((o) => JSON.stringify(o)).join('\n'));
    const expected = await duckQuery(`
      WITH w AS (SELECT time_bucket(INTERVAL 5 MINUTE, CAST(event_time AS TIMESTAMP)) AS ws, user_id, amount, order_id
                 FROM read_json('${ordersFile}', columns = {order_id: 'VARCHAR', user_id: 'VARCHAR', amount: 'DOUBLE', event_time: 'VARCHAR'}))
      SELECT epoch_ms(ws) AS start_ms, user_id, sum(amount) AS total_spend, count(order_id) AS order_count FROM w
      WHERE epoch_ms(ws) + 300000 > ${exampleWatermark} AND epoch_ms(ws) + 300000 <= epoch_ms(TIMESTAMP '${String(finalWatermark).replace('T', ' ').replace('Z', '')}')
      GROUP BY ALL ORDER BY start_ms, user_id`);
    const actual = await duckQuery(`
      SELECT epoch_ms("window".start::TIMESTAMP) AS start_ms, user_id, total_spend, order_count
      FROM read_parquet('${output}/**/*.parquet') ORDER BY start_ms, user_id`);
    expect(expected.length).toBeGreaterThan(40);
    expect(actual).toEqual(expected);
  });

  it('adds the new orders to the windows the checkpoint held open', async () => {
    // The checkpoint's own rows for 10:10-10:15, read as `sluice checkpoint state` reads them.
    const { storage, path: cp } = storageFor(EXAMPLE);
    const state = await readStateTable(storage, cp, 0, undefined);
    const held = new Map<string, bigint>();
    for (let r = 0; r < state.numRows; r++) {
      if ((state.cells[0]![r] as WindowCell).start === ORDERS_START_MS + 10 * MIN) held.set(state.cells[1]![r] as string, state.cells[3]![r] as bigint);
    }
    expect(held.size).toBe(20);
    const out = await duckQuery(`SELECT user_id, order_count FROM read_parquet('${output}/**/*.parquet')
      WHERE "window".start = TIMESTAMPTZ '2024-01-01 10:10:00+00' ORDER BY user_id`);
    expect(out).toHaveLength(20);
    for (const r of out) expect(r.order_count).toBe(held.get(r.user_id as string)! + 1n);
  });
});
