import { OptionError } from '../../errors.ts';
import type { CompressionName } from '../../formats/kafka-compression/compression.ts';
import { type KafkaSecurity, kafkaSecurityOptionNames, parseKafkaSecurity } from '../../kafka/security/kafka-security.ts';

/** `deliveryGuarantee`: one Kafka transaction per batch (default), or Spark's idempotent producer. */
export type DeliveryGuarantee = 'exactly-once' | 'at-least-once';

/** The Kafka sink's options, parsed and checked once (Spark's and the Java producer's names and defaults). */
export interface KafkaSinkOptions {
  readonly servers: string[];
  /** kafka.security.protocol, kafka.sasl.*, kafka.ssl.*: the same options and rules as the source's. */
  readonly security: KafkaSecurity;
  /** Option `topic`: every row goes there, whatever a `topic` column says (Spark). */
  readonly topic?: string;
  readonly deliveryGuarantee: DeliveryGuarantee;
  readonly compression: CompressionName;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly transactionTimeoutMs: number;
  /** A record larger than this is refused before it is sent (the Java producer's max.request.size); also a Produce request's size. */
  readonly maxRequestBytes: number;
  /** Uncompressed bytes of records in one record batch (the Java producer's batch.size). */
  readonly batchBytes: number;
  /** The transactional id; default `sluice-<query id>`. */
  readonly transactionalId?: string;
}

export const kafkaSinkOptionNames = [
  'kafka.bootstrap.servers', 'topic', 'deliveryGuarantee', 'kafka.compression.type', 'kafka.client.id', 'kafka.request.timeout.ms',
  'kafka.connection.timeout.ms', 'kafka.transaction.timeout.ms', 'kafka.max.request.size', 'kafka.batch.size', 'kafka.transactional.id',
  // Refused with Spark's message below, rather than as unknown options.
  'kafka.key.serializer', 'kafka.value.serializer',
  ...kafkaSecurityOptionNames,
] as const;

const CODECS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new OptionError(`Kafka sink option '${name}' must be a positive whole number, got '${v}'.`);
  return n;
}

export function parseKafkaSinkOptions(o: ReadonlyMap<string, string>): KafkaSinkOptions {
  const servers = o.get('kafka.bootstrap.servers');
  if (!servers) throw new OptionError(`The kafka sink needs option 'kafka.bootstrap.servers' (e.g. .option('kafka.bootstrap.servers', 'localhost:9092')).`);
  for (const k of ['key.serializer', 'value.serializer']) {
    // Spark's message: the sink writes the key and value columns' bytes as they are.
    if (o.has(`kafka.${k}`)) throw new OptionError(`Kafka option '${k}' is not supported: the sink writes the key and value columns' bytes (string or binary) as they are; cast or encode the columns in the query instead.`);
  }
  const dg = (o.get('deliveryGuarantee') ?? 'exactly-once').toLowerCase().replace('_', '-');
  if (dg !== 'exactly-once' && dg !== 'at-least-once') {
    throw new OptionError(`Kafka sink option 'deliveryGuarantee' must be 'exactly-once' (one Kafka transaction per batch, the default) or 'at-least-once' (Spark's behaviour: a re-run batch may be written twice); got '${o.get('deliveryGuarantee')}'.`);
  }
  const codec = (o.get('kafka.compression.type') ?? 'none').toLowerCase() as CompressionName;
  if (!CODECS.includes(codec)) throw new OptionError(`Kafka sink option 'kafka.compression.type' must be one of ${CODECS.join(', ')}; got '${o.get('kafka.compression.type')}'.`);
  const topic = o.get('topic');
  if (topic !== undefined && topic.trim() === '') throw new OptionError(`Kafka sink option 'topic' is empty; name a topic, or drop the option and give each row a 'topic' column.`);
  const tid = o.get('kafka.transactional.id');
  if (tid !== undefined && dg === 'at-least-once') throw new OptionError(`Kafka sink option 'kafka.transactional.id' needs deliveryGuarantee 'exactly-once'; at-least-once uses no transactions.`);
  const maxRequestBytes = positiveInt('kafka.max.request.size', o.get('kafka.max.request.size'), 1048576);
  const serverList = servers.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    servers: serverList,
    security: parseKafkaSecurity(o, serverList),
    topic,
    deliveryGuarantee: dg,
    compression: codec,
    clientId: o.get('kafka.client.id') ?? 'sluice-sink',
    requestTimeoutMs: positiveInt('kafka.request.timeout.ms', o.get('kafka.request.timeout.ms'), 30000),
    connectTimeoutMs: positiveInt('kafka.connection.timeout.ms', o.get('kafka.connection.timeout.ms'), 3000),
    // The Java producer's default; the broker caps it at transaction.max.timeout.ms (15 minutes by default).
    transactionTimeoutMs: positiveInt('kafka.transaction.timeout.ms', o.get('kafka.transaction.timeout.ms'), 60000),
    maxRequestBytes,
    batchBytes: Math.min(maxRequestBytes, positiveInt('kafka.batch.size', o.get('kafka.batch.size'), 262144)),
    transactionalId: tid,
  };
}
