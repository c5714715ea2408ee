import type { SourceProvider } from '../source.ts';
import { kafkaOptionNames, parseKafkaOptions } from './kafka-options.ts';
import { KafkaSource, kafkaSchema } from './kafka-source.ts';

export const kafkaSource: SourceProvider = {
  name: 'kafka',
  options: kafkaOptionNames,
  schema: (opts) => { parseKafkaOptions(opts.options); return kafkaSchema; },
  create: (opts) => new KafkaSource(parseKafkaOptions(opts.options), opts.resuming ?? false),
};
