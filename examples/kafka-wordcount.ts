/**
 * Spark's structured_kafka_wordcount.py (examples/src/main/python/sql/streaming/), ported line by
 * line: lines from Kafka, split into words with split + explode, counted with groupBy(word).count(),
 * the whole table printed to the console after each batch (complete mode).
 *
 *   npx tsx examples/kafka-wordcount.ts          # on the project's own broker, with a few lines produced
 *   KAFKA_BOOTSTRAP_SERVERS=host:9092 npx tsx examples/kafka-wordcount.ts
 *
 * The PySpark original:
 *   lines = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrapServers)
 *       .option(subscribeType, topics).load().selectExpr("CAST(value AS STRING)"))
 *   words = lines.select(explode(split(lines.value, ' ')).alias('word'))
 *   wordCounts = words.groupBy('word').count()
 *   query = wordCounts.writeStream.outputMode('complete').format('console').start()
 *   query.awaitTermination()
 */
import { fileURLToPath } from 'node:url';
import { Session, col, explode, split } from '../src/index.ts';
import { produce, startBroker } from '../test/support/broker.ts';

const LINES = [
  'the quick brown fox', 'jumps over the lazy dog', 'the dog sleeps',
  'a fox is quick', 'streams of words', 'words words words',
];

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const broker = await startBroker();
try {
  await broker.createTopic('lines', 2);
  await produce(broker.bootstrap, 'lines', LINES.map((value) => ({ value })));

  const spark = Session.builder().appName('StructuredKafkaWordCount').getOrCreate();

  const lines = spark.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', broker.bootstrap)
    .option('subscribe', 'lines')
    .option('startingOffsets', 'earliest') // the original reads from latest; these lines were produced before
    .load()
    .selectExpr('CAST(value AS STRING)');

  const words = lines.select(explode(split(col('value'), ' ')).alias('word'));

  const wordCounts = words.groupBy('word').count();

  const query = await wordCounts.writeStream
    .outputMode('complete')
    .format('console')
    .trigger({ availableNow: true }) // the original runs until stopped; availableNow drains the topic and stops
    .start();

  await query.awaitTermination();
} finally {
  await broker.stop();
}
