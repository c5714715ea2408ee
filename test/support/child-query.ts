// What the crash tests' child-query fixtures (test/fixtures/*-query.ts) share: their arguments, the
// session they run in, the progress lines runQueryChild (query-child.ts) reads, a Kafka JSON input,
// and how they end. Each fixture keeps only its query and the progress fields its test asserts on.
import { Session, col, from_json, type DataFrame, type StreamingQuery, type StreamingQueryProgress, types as T } from '../../src/index.ts';

/** The fixture's arguments by name; when one is missing, the usage line and exit 2. */
export function childArgs<N extends string>(fixture: string, names: readonly N[]): Record<N, string> {
  const argv = process.argv.slice(2);
  if (argv.length < names.length || argv.slice(0, names.length).some((a) => !a)) {
    process.stderr.write(`usage: ${fixture} ${names.map((n) => `<${n}>`).join(' ')}\n`);
    process.exit(2);
  }
  return Object.fromEntries(names.map((n, i) => [n, argv[i]!])) as Record<N, string>;
}

/** One JSON line on stdout, as runQueryChild reads them. */
export function emit(o: unknown): void { process.stdout.write(JSON.stringify(o) + '\n'); }

/**
 * A session whose checkpoints a restart must rebuild from a snapshot plus deltas (a snapshot every 2
 * versions, minBatchesToRetain 3). Each batch prints {"event":"progress", batchId, numInputRows,
 * numOutputRows, ...fields(progress)}.
 */
export function crashTestSession(appName: string, fields: (p: StreamingQueryProgress) => Record<string, unknown>): Session {
  const session = Session.builder().appName(appName)
    .config('sluice.stateSnapshotInterval', 2).config('spark.sql.streaming.minBatchesToRetain', 3).getOrCreate();
  session.streams.addListener({
    onQueryProgress: ({ progress: p }) => {
      emit({ event: 'progress', batchId: p.batchId, numInputRows: p.numInputRows, numOutputRows: p.sink.numOutputRows, ...fields(p) });
    },
  });
  return session;
}

/** One Kafka topic from its earliest offset, `maxOffsetsPerTrigger` at a time, its values read as JSON of `schema`. */
export function readKafkaJson(session: Session, bootstrap: string, topic: string, schema: T.Struct, maxOffsetsPerTrigger: string): DataFrame {
  return session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap)
    .option('subscribe', topic).option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', maxOffsetsPerTrigger).load()
    .select(from_json(col('value').cast('string'), schema).alias('data')).select('data.*');
}

/** Start the query and wait for its end: {"event":"done"} and exit 0; any failure prints its stack and exits 1. */
export async function runToEnd(name: string, start: () => Promise<StreamingQuery>): Promise<void> {
  try {
    const query = await start();
    await query.awaitTermination();
    emit({ event: 'done' });
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${name} failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  }
}
