import { SinkError } from '../errors.ts';
import type { KafkaClient } from './kafka-client.ts';

/**
 * Make sure `topic` exists with exactly `partitions` partitions: CreateTopics (to the controller,
 * else to any broker, which a Kafka 2.8+ broker forwards), then a metadata check. A topic that
 * exists with another count is refused, since its keys would hash elsewhere.
 *
 * Where CreateTopics is refused the check alone decides. The test broker (librdkafka 2.0.2's mock)
 * does not list CreateTopics in ApiVersions (kafkajs answers "The Kafka server does not support
 * the requested API version" before sending), and its metadata auto-creates an unknown topic with
 * 4 partitions: there the topic must be created by hand (the launcher's `topic` command) unless 4
 * is the count wanted.
 */
export async function ensureTopic(client: KafkaClient, topic: string, partitions: number, what: string): Promise<void> {
  const cluster = await client.connectedCluster();
  let refused: string | null = null;
  try {
    await cluster.refreshMetadata();
    const broker = await cluster.findControllerBroker().catch(async () => cluster.findBroker({ nodeId: cluster.getNodeIds()[0]! }));
    await broker.createTopics({ topics: [{ topic, numPartitions: partitions }], timeout: 10_000 });
  } catch (e) {
    const type = (e as { type?: string }).type;
    if (type !== 'TOPIC_ALREADY_EXISTS') refused = (e as Error).message;
  }
  const found = (await client.partitions([topic])).get(topic);
  const create = `Create it with ${partitions} partition(s) (e.g. kafka-topics.sh --create --topic ${topic} --partitions ${partitions})`;
  if (!found) throw new SinkError(`${what}: topic '${topic}' does not exist and could not be created${refused ? ` (CreateTopics: ${refused})` : ''}. ${create} and restart.`);
  if (found.length !== partitions) {
    throw new SinkError(`${what}: topic '${topic}' has ${found.length} partition(s), but the query needs ${partitions}${refused ? ` (CreateTopics: ${refused})` : ''}. `
      + `Its keys are hashed over ${partitions} partitions, fixed at the query's first start: delete the topic and ${create.charAt(0).toLowerCase()}${create.slice(1)}, or `
      + `set sluice.shuffle.partitions to ${found.length} for a new query (a new checkpointLocation).`);
  }
}
