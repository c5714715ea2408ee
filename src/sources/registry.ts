import type { SourceProvider } from './source.ts';
import { kafkaSource } from './kafka/kafka-provider.ts';
import { rateSource } from './rate/rate-source.ts';
import { nexmarkSource } from './nexmark/nexmark-source.ts';

/** Sources by format name: adding a source is one line here. */
export const sources: ReadonlyMap<string, SourceProvider> = new Map([
  [kafkaSource.name, kafkaSource],
  [rateSource.name, rateSource],
  [nexmarkSource.name, nexmarkSource],
]);
