import type { SourceProvider } from '../source.ts';
import { kafkaOptionNames, parseKafkaOptions } from './kafka-options.ts';
import { KafkaSource, kafkaSchema } from './kafka-source.ts';

export const kafkaSource: SourceProvider = {
  name: 'kafka',
  options: kafkaOptionNames,
  schema: (opts) => kafkaSchema(parseKafkaOptions(opts.options).includeHeaders),
  create: (opts) => new KafkaSource(parseKafkaOptions(opts.options), opts.resuming ?? false),
};
