/**
 * The seed's Flink pipeline, ported: user events from Kafka, keep type == 'purchase',
 * 5-minute tumbling event-time windows by user_id, amounts summed, to Parquet.
 *
 *   npx tsx examples/user-events-flink.ts
 *
 * The Flink original (DataStream API):
 *   events.filter(e -> e.type.equals("purchase"))
 *         .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness(Duration.ofMinutes(1)))
 *         .keyBy(e -> e.userId)
 *         .window(TumblingEventTimeWindows.of(Time.minutes(5)))
 *         .sum("amount")
 *         .sinkTo(FileSink.forBulkFormat(path, parquetWriter).build());
 * Flink's bounded-out-of-orderness watermark is sluice's withWatermark delay; a Flink window
 * fires when the watermark passes its end, which is sluice's append mode.
 */
import { rmSync } from 'node:fs';
import { Session, col, window, sum, from_json, types as T } from '../src/index.ts';
import { withExampleBroker } from './support/example-broker.ts';
import { duckQuery } from '../test/support/duck.ts';

const TYPES = ['view', 'click', 'purchase', 'view'];

await withExampleBroker('user-events', (i) => ({
  user_id: `u-${i % 10}`, type: TYPES[i % TYPES.length], amount: (i % 50) + 1,
  event_time: new Date(Date.UTC(2024, 0, 1, 12) + i * 900).toISOString(),
}), 3000, async (bootstrap) => {
  rmSync('./lake/user-purchases', { recursive: true, force: true });
  rmSync('./checkpoints/user-purchases', { recursive: true, force: true });

  const session = Session.builder().appName('user-events').getOrCreate();
  const schema = T.struct({ user_id: T.string, type: T.string, amount: T.double, event_time: T.timestamp });

  const query = await session.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', bootstrap)
    .option('subscribe', 'user-events')
    .option('startingOffsets', 'earliest')
    .load()
    .select(from_json(col('value').cast('string'), schema).alias('e')).select('e.*')
    .filter(col('type').equalTo('purchase'))
    .withWatermark('event_time', '1 minute')
    .groupBy(col('user_id'), window(col('event_time'), '5 minutes'))
    .agg(sum('amount').alias('amount'))
    .writeStream
    .outputMode('append')
    .format('parquet')
    .option('checkpointLocation', './checkpoints/user-purchases')
    .trigger({ availableNow: true })
    .start('./lake/user-purchases');
  await query.awaitTermination();

  console.log(`${query.recentProgress.length} batches`);
  console.table(await duckQuery(`SELECT user_id, count(*) AS windows, sum(amount) AS amount
    FROM read_parquet('./lake/user-purchases/**/*.parquet') GROUP BY 1 ORDER BY 1`));
});
