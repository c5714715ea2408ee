/**
 * The Nexmark events as JSON in Kafka, the realistic path (nexmark/nexmark insert_kafka.sql:
 * `INSERT INTO kafka SELECT event_type, person, auction, bid FROM datagen`): a sluice query from
 * format('nexmark') to the Kafka sink, one JSON object per event with its kind's struct (to_json
 * leaves the two null ones out, as Spark's), exactly once. Read it back with
 * `from_json(col('value').cast('string'), nexmarkSchema)`.
 */
import { Session, col, from_json, struct, to_json, nexmarkSchema, type DataFrame } from '../../src/index.ts';

export interface ToKafkaOptions {
  readonly bootstrap: string;
  readonly topic: string;
  readonly checkpoint: string;
  /** The nexmark source's options (totalEvents, seed, eventsPerSecond, baseTime, ...). */
  readonly source: Readonly<Record<string, string | number | boolean>>;
}

/** Writes the generator's events to the topic and returns the number of batches run. */
export async function nexmarkToKafka(session: Session, o: ToKafkaOptions): Promise<number> {
  const q = await session.readStream.format('nexmark').options(o.source).load()
    .select(to_json(struct(col('event_type'), col('person'), col('auction'), col('bid'), col('dateTime'))).alias('value'))
    .writeStream.format('kafka').option('kafka.bootstrap.servers', o.bootstrap).option('topic', o.topic)
    .option('checkpointLocation', o.checkpoint).trigger({ availableNow: true }).start();
  await q.awaitTermination();
  const err = q.exception();
  if (err) throw err;
  return q.recentProgress.length;
}

/** The nexmark table read back from Kafka: the same columns as format('nexmark'). */
export function nexmarkFromKafka(session: Session, bootstrap: string, topic: string, maxOffsetsPerTrigger?: number): DataFrame {
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic)
    .option('startingOffsets', 'earliest');
  if (maxOffsetsPerTrigger) r = r.option('maxOffsetsPerTrigger', maxOffsetsPerTrigger);
  return r.load().select(from_json(col('value').cast('string'), nexmarkSchema).alias('e')).select('e.*');
}
