import { OptionError, SourceError } from '../../errors.ts';
import { KafkaClient } from '../../kafka/kafka-client.ts';
import { CaseInsensitiveMap } from '../../util/case-insensitive-map.ts';
import type { PartitionedInput, SourceProvider } from '../source.ts';
import { kafkaOptionNames, parseKafkaOptions } from './kafka-options.ts';
import { KafkaSource, kafkaClientOptions, kafkaSchema } from './kafka-source.ts';
import { sharedClientKey, sharedKafkaClient } from '../../kafka/shared-client.ts';

/**
 * Scale-out's split of a Kafka input: the subscribed topics' partition counts, and a task's
 * reader as Spark's own `assign` option naming partition p of each topic (so the task's offsets,
 * progress and messages are those of an ordinary assign query).
 */
const kafkaPartitions: PartitionedInput = {
  async partitionCounts(opts) {
    const o = parseKafkaOptions(opts.options);
    if (!o.subscribe) {
      throw new OptionError(`Scale-out splits a Kafka input by partition itself: read it with option 'subscribe' (a list of co-partitioned topics), `
        + `not '${o.assign ? 'assign' : 'subscribePattern'}'.`);
    }
    const client = new KafkaClient({ servers: o.servers, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, security: o.security });
    try {
      const found = await client.partitions(o.subscribe);
      const missing = o.subscribe.filter((t) => !found.has(t));
      if (missing.length) {
        throw new SourceError(`Kafka topic(s) ${missing.map((t) => `'${t}'`).join(', ')} do not exist on ${o.servers.join(',')} (option subscribe). Create them first.`);
      }
      return new Map(o.subscribe.map((t) => [t, found.get(t)!.length]));
    } finally {
      await client.close();
    }
  },
  groupClient(options, requestTimeoutMs) {
    const o = parseKafkaOptions(options);
    return new KafkaClient({ servers: o.servers, clientId: `${o.clientId}-group`, requestTimeoutMs: Math.max(requestTimeoutMs, o.requestTimeoutMs), connectTimeoutMs: o.connectTimeoutMs, security: o.security });
  },
  restrict(options, partition) {
    const topics = parseKafkaOptions(options).subscribe ?? [];
    const out = new CaseInsensitiveMap();
    for (const [k, v] of options) if (k.toLowerCase() !== 'subscribe') out.set(k, v);
    out.set('assign', JSON.stringify(Object.fromEntries(topics.map((t) => [t, [partition]]))));
    return out;
  },
};

export const kafkaSource: SourceProvider = {
  name: 'kafka',
  options: kafkaOptionNames,
  schema: (opts) => kafkaSchema(parseKafkaOptions(opts.options).includeHeaders),
  create: (opts) => {
    const o = parseKafkaOptions(opts.options);
    return new KafkaSource(o, opts.resuming ?? false, opts.shareClients ? sharedKafkaClient(sharedClientKey(opts.options), kafkaClientOptions(o)) : undefined);
  },
  partitioned: kafkaPartitions,
};
