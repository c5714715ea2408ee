// A query of the chaos harness (test/chaos/main.ts), run as a child process so the harness can
// SIGKILL it, restart it and start a second copy of it on the same checkpoint.
//
//   node --import tsx test/chaos/query.ts <stateless|windowed> <bootstrap> <topic> <checkpoint> <output> <maxOffsetsPerTrigger> [group]
//
// 'group': run as one scale-out worker of the query's Kafka group (docs/design/scale-out.md; session
// timeout CHAOS_SESSION_TIMEOUT); progress lines then carry the task and the worker's tasks, and
// SIGTERM stops the worker gracefully (it leaves the group) and exits 0.
//
//   stateless: Kafka -> from_json -> (kafka partition, offset, order fields) -> Parquet partitioned by region
//   windowed:  Kafka -> from_json -> filter(order_id, event_time not null) -> withWatermark(event_time, CHAOS_DELAY)
//              -> groupBy(window(event_time, CHAOS_WINDOW), user_id).agg(sum(amount), count(*)) -> append Parquet
//
// Checkpoint and output may be s3:// paths (S3 settings from the environment, as for any sluice
// process). Runs until killed. Prints one JSON line per batch on stdout ({"event":"progress",...});
// a failure exits 1 with the error on stderr (the harness restarts it and counts the cause).
import { Session, col, from_json, window, sum, count, types as T } from '../../src/index.ts';

const [kind, bootstrap, topic, checkpoint, output, maxOffsets, mode] = process.argv.slice(2);
const group = mode === 'group';
if (!kind || !bootstrap || !topic || !checkpoint || !output || !maxOffsets || (kind !== 'stateless' && kind !== 'windowed')) {
  process.stderr.write('usage: query.ts <stateless|windowed> <bootstrap> <topic> <checkpoint> <output> <maxOffsetsPerTrigger>\n');
  process.exit(2);
}

const ORDER_SCHEMA = T.struct({ order_id: T.long, user_id: T.string, amount: T.double, event_time: T.timestamp, region: T.string });
const line = (o: unknown): void => { process.stdout.write(JSON.stringify(o) + '\n'); };

// A worker stopped with SIGTERM stops its query (it leaves the group) and exits 0; before its query has
// started it is in no group yet and simply exits.
let started: { stop(): Promise<void> } | undefined;
if (group) process.once('SIGTERM', () => { void (started ? started.stop() : Promise.resolve()).then(() => process.exit(0)); });

try {
  const session = Session.builder().appName(`chaos-${kind}`).getOrCreate();
  if (group) session.conf.set('sluice.scaleOut.sessionTimeout', process.env.CHAOS_SESSION_TIMEOUT ?? '4 seconds');
  session.streams.addListener({
    onQueryProgress: ({ progress: p }) => {
      const op = p.stateOperators[0] as { numRowsDroppedByWatermark?: number; numRowsTotal?: number } | undefined;
      line({
        event: 'progress', batchId: p.batchId, numInputRows: p.numInputRows, numOutputRows: p.sink.numOutputRows,
        watermark: p.eventTime.watermark ?? null, dropped: op?.numRowsDroppedByWatermark ?? null,
        startOffset: p.sources[0]?.startOffset ?? null, endOffset: p.sources[0]?.endOffset ?? null,
        ...(p.task !== undefined ? { task: p.task, tasks: p.tasks } : {}),
      });
    },
  });
  const orders = session.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', bootstrap)
    .option('subscribe', topic)
    .option('startingOffsets', 'earliest')
    .option('maxOffsetsPerTrigger', maxOffsets)
    .option('kafka.request.timeout.ms', process.env.CHAOS_KAFKA_REQUEST_TIMEOUT_MS ?? '5000')
    .option('fetchOffset.retryTimeoutMs', process.env.CHAOS_KAFKA_RETRY_TIMEOUT_MS ?? '10000')
    .load();
  const parsed = orders.select(col('partition').alias('kp'), col('offset').alias('ko'),
    from_json(col('value').cast('string'), ORDER_SCHEMA).alias('data'));
  const writer = kind === 'stateless'
    ? parsed.select('kp', 'ko', 'data.*').writeStream.partitionBy('region')
    : parsed.select('data.*')
      .filter(col('order_id').isNotNull().and(col('event_time').isNotNull()))
      .withWatermark('event_time', process.env.CHAOS_DELAY ?? '2 minutes')
      .groupBy(window(col('event_time'), process.env.CHAOS_WINDOW ?? '1 minute'), col('user_id'))
      .agg(sum('amount').alias('total'), count('*').alias('n'))
      .writeStream.outputMode('append');
  const query = await writer
    .format('parquet')
    .option('checkpointLocation', checkpoint)
    .option('sluice.scaleOut', group ? 'true' : 'false')
    .trigger({ processingTime: process.env.CHAOS_TRIGGER ?? '200 milliseconds' })
    .start(output);
  line({ event: 'started' });
  started = query;
  await query.awaitTermination();
  const err = query.exception();
  if (err) throw err;
  process.exit(0);
} catch (e) {
  process.stderr.write(`chaos ${kind} query failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
