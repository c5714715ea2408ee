import { AnalysisError, OptionError } from '../../errors.ts';
import { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { loadOrCreateQueryId } from '../../checkpoint/query-metadata.ts';
import { ensureTopic } from '../../kafka/create-topic.ts';
import { KafkaClient } from '../../kafka/kafka-client.ts';
import { kafkaSecurityOptionNames } from '../../kafka/security/kafka-security.ts';
import { cutAtShuffle, type ShuffleCut } from '../../plan/shuffle-cut.ts';
import { sourcesOf, type LogicalPlan } from '../../plan/logical.ts';
import { PARTITIONS_OPTION, repartitionSink } from '../../sinks/repartition/repartition-sink.ts';
import { parseKafkaOptions } from '../../sources/kafka/kafka-options.ts';
import type { KafkaOffsets } from '../../sources/kafka/offsets.ts';
import { repartitionSource } from '../../sources/repartition/repartition-source.ts';
import { storageFor } from '../../storage/storage-for.ts';
import { joinPath } from '../../storage/storage.ts';
import { CaseInsensitiveMap } from '../../util/case-insensitive-map.ts';
import type { QueryHost, QuerySpec } from '../start-query.ts';

/** The shuffle's partition count (Spark's spark.sql.shuffle.partitions): a writer option or session conf; default the input's partition count. */
export const SHUFFLE_PARTITIONS = 'sluice.shuffle.partitions';

/** The internal topic of a query's n-th shuffle (docs/design/scale-out.md). */
export const repartitionTopic = (queryId: string, n = 0): string => `sluice-${queryId}-repartition-${n}`;

/**
 * A query cut at its shuffle into two stages, each an ordinary query (QuerySpec) that startQuery
 * runs in any process: the upstream one reads the user's input and writes the repartition topic,
 * the downstream one reads it and runs the stateful operator into the user's sink. A stage's
 * tasks (scale-out's `<stage>_<p>`) are the same specs over fewer partitions, each with its own
 * checkpoint.
 */
export interface ShuffleStages {
  /** The id of the query as a whole (its root checkpoint's metadata): in the topic's name and the transactional ids. */
  readonly queryId: string;
  /** The repartition topic of each side (one; a stream-stream join's two), all with `partitions` partitions. */
  readonly topics: readonly string[];
  /** topics[0]. */
  readonly topic: string;
  readonly partitions: number;
  readonly cut: ShuffleCut;
  /**
   * The upstream stage of side `side` (stage `side`: 0, and 1 for a join's right side), or its task
   * `task`, checkpointed at `checkpointLocation`; transactional id `sluice-<query id>-<task>`.
   */
  upstream(checkpointLocation: string, task?: string, side?: number): QuerySpec;
  /** The last stable offset of every partition of side `side`'s topic (what a read_committed reader can read). */
  stableOffsets(side: number): Promise<KafkaOffsets>;
  /** The downstream stage's number: after the upstream ones (1, or 2 after a join's two sides). */
  readonly downstreamStage: number;
  /** The downstream stage, reading the topics' partitions `partitions` (all when absent), checkpointed at `checkpointLocation`. */
  downstream(checkpointLocation: string, partitions?: readonly number[]): QuerySpec;
}

/** Kafka options the internal topic's clients share with the query's input: its servers and security. */
function clusterOptions(plan: LogicalPlan): Map<string, string> {
  const input = sourcesOf(plan).find((s) => s.provider.name === 'kafka');
  if (!input) throw new AnalysisError(`A shuffled query keeps its repartition topic on the cluster of its Kafka input, but this query reads no Kafka topic.`);
  const out = new Map<string, string>();
  for (const k of ['kafka.bootstrap.servers', ...kafkaSecurityOptionNames]) { const v = input.options.get(k); if (v !== undefined) out.set(k, v); }
  return out;
}

function partitionCount(spec: QuerySpec, conf: ReadonlyMap<string, string>): number | undefined {
  const text = spec.options.get(SHUFFLE_PARTITIONS) ?? conf.get(SHUFFLE_PARTITIONS);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new OptionError(`${SHUFFLE_PARTITIONS} must be a positive whole number, got '${text}'.`);
  return n;
}

/** The partition count of the query's first Kafka input (its first subscribed topic, or the partitions it assigns). */
async function inputPartitions(plan: LogicalPlan): Promise<number> {
  const input = sourcesOf(plan).find((s) => s.provider.name === 'kafka')!;
  const o = parseKafkaOptions(input.options);
  if (o.assign) return Object.values(o.assign)[0]!.length;
  const topic = o.subscribe?.[0];
  if (!topic) throw new OptionError(`Set ${SHUFFLE_PARTITIONS}: the input's partition count (its default) is unknown for subscribePattern.`);
  const client = new KafkaClient({ servers: o.servers, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, security: o.security });
  try {
    const n = (await client.partitions([topic])).get(topic)?.length;
    if (!n) throw new OptionError(`Kafka topic '${topic}' does not exist on ${o.servers.join(',')}; create it first (or set ${SHUFFLE_PARTITIONS}).`);
    return n;
  } finally { await client.close(); }
}

/**
 * Cut `spec` at its shuffle and make sure the repartition topic exists (CreateTopics at the first
 * start; kafka/create-topic.ts says what happens where the cluster refuses). The query id is
 * the root checkpoint's (created here on a first start). Null when the query has no stateful
 * operator: nothing to shuffle.
 */
export async function planShuffleStages(spec: QuerySpec, host: QueryHost): Promise<ShuffleStages | null> {
  const cut = cutAtShuffle(spec.plan);
  if (!cut) return null;
  const cluster = clusterOptions(spec.plan);
  const partitions = partitionCount(spec, host.conf) ?? await inputPartitions(spec.plan);
  const root = spec.options.get('checkpointLocation');
  if (!root) throw new OptionError(`A shuffled query needs checkpointLocation: its stages keep their checkpoints under it and its query id names the repartition topic.`);
  const { storage, path } = storageFor(root, 'checkpointLocation', host.conf);
  const queryId = await loadOrCreateQueryId(new Checkpoint(storage, path));
  const topics = cut.sides.map((_, n) => repartitionTopic(queryId, n));
  const o = parseKafkaOptions(new Map([...cluster, ['subscribe', topics[0]!]]));
  const withClient = async <T>(f: (client: KafkaClient) => Promise<T>): Promise<T> => {
    const client = new KafkaClient({ servers: o.servers, clientId: 'sluice-shuffle', requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, security: o.security });
    try { return await f(client); } finally { await client.close(); }
  };
  await withClient(async (client) => { for (const topic of topics) await ensureTopic(client, topic, partitions, `The shuffle of query ${queryId}`); });

  return {
    queryId, topics, topic: topics[0]!, partitions, cut, downstreamStage: cut.sides.length,
    upstream(checkpointLocation, task, side = 0) {
      const topic = topics[side], plan = cut.sides[side]?.upstream;
      if (!topic || !plan) throw new OptionError(`The shuffle has ${topics.length} side(s); there is no side ${side}.`);
      task ??= String(side);
      const options = new CaseInsensitiveMap();
      for (const [k, v] of cluster) options.set(k, v);
      options.set('checkpointLocation', checkpointLocation);
      options.set('topic', topic);
      options.set('kafka.transactional.id', `sluice-${queryId}-${task}`);
      options.set(PARTITIONS_OPTION, String(partitions));
      return {
        plan, sink: { kind: 'format', format: repartitionSink.name }, options, outputMode: 'append', partitionBy: [],
        queryName: spec.queryName === null ? null : `${spec.queryName}-${task}`, trigger: spec.trigger,
      };
    },
    stableOffsets(side) {
      const all = Array.from({ length: partitions }, (_, q) => q);
      return withClient((client) => client.offsets(new Map([[topics[side]!, all]]), false));
    },
    downstream(checkpointLocation, only) {
      const options = spec.options.copy();
      for (const k of options.userKeys()) if (k.toLowerCase().startsWith('sluice.shuffle.')) options.delete(k);
      options.set('checkpointLocation', checkpointLocation);
      const inputs = cut.sides.map((side, n): LogicalPlan => {
        const sourceOptions = new Map(cluster);
        if (only) sourceOptions.set('assign', JSON.stringify({ [topics[n]!]: only }));
        return { kind: 'source', provider: repartitionSource(side.schema, topics[n]!), options: sourceOptions, schema: side.schema };
      });
      return { ...spec, plan: cut.downstream(inputs), options };
    },
  };
}

/** Where a stage keeps its checkpoint when the stages run as whole queries (one process): `<checkpoint>/stages/<stage>`. */
export const stageCheckpoint = (root: string, stage: number): string => joinPath(root, 'stages', String(stage));
