/**
 * The seed's Spark pipeline, ported line by line (DESIGN §1): orders from Kafka, a 10-minute
 * watermark, 5-minute windows by user_id, sum(amount) and count(order_id), appended to Parquet.
 *
 *   npx tsx examples/orders-spark.ts            # on the project's own broker, with generated orders
 *   KAFKA_BOOTSTRAP_SERVERS=host:9092 npx tsx examples/orders-spark.ts
 *   sluice run examples/orders-spark.ts -- --events 200000 --max-offsets-per-trigger 10000
 *   npx tsx examples/orders-spark.ts --checkpoint-example   # regenerate checkpoints.example/
 *
 * Flags (all optional): --events N (orders to produce, default 2000), --max-offsets-per-trigger N
 * (default: no limit), --checkpoint DIR (default ./checkpoints/orders-agg), --output DIR
 * (default ./lake/user-spend). --checkpoint-example runs 200 orders, 60 per trigger, with a state
 * snapshot every 2 versions, in temporary directories, then copies the checkpoint over
 * checkpoints.example/ (keeping its README.md); test/checkpoint-example.test.ts restarts from it.
 * The orders come from examples/support/orders.ts.
 *
 * The PySpark original:
 *   orders = (spark.readStream.format("kafka")
 *       .option("kafka.bootstrap.servers", "localhost:9092").option("subscribe", "orders")
 *       .option("startingOffsets", "earliest").load()
 *       .select(from_json(col("value").cast("string"), schema).alias("data")).select("data.*"))
 *   result = (orders.withWatermark("event_time", "10 minutes")
 *       .groupBy(window(col("event_time"), "5 minutes"), col("user_id"))
 *       .agg(sum("amount").alias("total_spend"), count("order_id").alias("order_count")))
 *   query = (result.writeStream.outputMode("append").format("parquet")
 *       .option("checkpointLocation", "./checkpoints/orders-agg")
 *       .trigger(processingTime="1 minute").start("./lake/user-spend"))
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session, col, window, sum, count, from_json, types as T } from '../src/index.ts';
import { withExampleBroker } from './support/example-broker.ts';
import { order } from './support/orders.ts';
import { duckQuery } from '../test/support/duck.ts';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' }, 'max-offsets-per-trigger': { type: 'string' },
    checkpoint: { type: 'string', default: './checkpoints/orders-agg' }, output: { type: 'string', default: './lake/user-spend' },
    'checkpoint-example': { type: 'boolean' },
  },
});
const example = flags['checkpoint-example'] === true;
if (example) {
  // Small enough to commit, with several batches, windows closing, and a snapshot among the deltas.
  Object.assign(flags, { events: '200', 'max-offsets-per-trigger': '60',
    checkpoint: mkdtempSync(join(tmpdir(), 'sluice-example-cp-')), output: mkdtempSync(join(tmpdir(), 'sluice-example-lake-')) });
}

// One order every 6 s of event time (2,000 span 200 minutes), a little out of order, from 20 users.
await withExampleBroker('orders', order, Number(flags.events), async (bootstrap) => {
  rmSync(flags.output, { recursive: true, force: true });
  rmSync(flags.checkpoint, { recursive: true, force: true });

  const session = Session.builder().appName('streaming-orders').getOrCreate();
  if (example) session.conf.set('sluice.stateSnapshotInterval', '2');

  const schema = T.struct({
    order_id: T.string, user_id: T.string, amount: T.double, event_time: T.timestamp,
  });

  const orders = session.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', bootstrap)
    .option('subscribe', 'orders')
    .option('startingOffsets', 'earliest')
    .options(flags['max-offsets-per-trigger'] ? { maxOffsetsPerTrigger: flags['max-offsets-per-trigger'] } : {})
    .load()
    .select(from_json(col('value').cast('string'), schema).alias('data'))
    .select('data.*');

  const result = orders
    .withWatermark('event_time', '10 minutes')
    .groupBy(window(col('event_time'), '5 minutes'), col('user_id'))
    .agg(sum('amount').alias('total_spend'), count('order_id').alias('order_count'));

  const query = await result.writeStream
    .outputMode('append')
    .format('parquet')
    .option('checkpointLocation', flags.checkpoint)
    .trigger({ availableNow: true }) // the original runs every minute; availableNow drains what is there and stops
    .start(flags.output);

  await query.awaitTermination();

  console.log(`${query.recentProgress.length} batches; watermark now ${query.lastProgress?.eventTime.watermark}`);
  console.table(await duckQuery(`SELECT "window".start AS window_start, count(*) AS users, sum(total_spend) AS spend, sum(order_count) AS orders
    FROM read_parquet('${flags.output}/**/*.parquet') GROUP BY 1 ORDER BY 1`));

  if (example) {
    // Replace everything but the README, which explains these files and is written by hand.
    for (const name of readdirSync('checkpoints.example')) if (name !== 'README.md') rmSync(join('checkpoints.example', name), { recursive: true });
    cpSync(flags.checkpoint, 'checkpoints.example', { recursive: true });
    rmSync(flags.checkpoint, { recursive: true });
    console.log(`checkpoint copied to ./checkpoints.example/ (query id ${query.id})`);
  }
});
