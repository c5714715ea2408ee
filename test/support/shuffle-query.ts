// The queries of test/shuffle-stages.test.ts, shared with its child fixture
// (test/fixtures/shuffle-upstream-query.ts) so both build the same plan: JSON events from Kafka,
// withWatermark, then a windowed count or a dropDuplicates, into Parquet. As QuerySpecs, the
// record DataStreamWriter.start() hands to the runtime, so the test can run them plain or cut
// at the shuffle (src/runtime/scale-out/shuffle-stages.ts).
import { Session, col, from_json, window, types as T, type DataFrame } from '../../src/index.ts';
import type { QuerySpec } from '../../src/runtime/start-query.ts';
import { CaseInsensitiveMap } from '../../src/util/case-insensitive-map.ts';

export const eventSchema = T.struct({ id: T.long, k: T.string, ts: T.timestamp });

export type ShuffleQueryKind = 'windowed' | 'dedup';

function events(session: Session, bootstrap: string, topic: string, maxOffsets?: string): DataFrame {
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  if (maxOffsets) r = r.option('maxOffsetsPerTrigger', maxOffsets);
  return r.load().select(from_json(col('value').cast('string'), eventSchema).alias('e')).select('e.*');
}

/** windowed: count per (10 s window, k); dedup: dropDuplicates('id'); both with watermark `delay` (20 s unless given). Both append into Parquet at `out`. */
export function shuffleQuerySpec(kind: ShuffleQueryKind, session: Session, o: {
  bootstrap: string; topic: string; checkpoint: string; out: string; maxOffsets?: string; partitions?: number; delay?: string;
}): QuerySpec {
  const input = events(session, o.bootstrap, o.topic, o.maxOffsets).withWatermark('ts', o.delay ?? '20 seconds');
  const df = kind === 'windowed'
    ? input.groupBy(window(col('ts'), '10 seconds'), col('k')).count().select(col('window.start').alias('start'), 'k', 'count')
    : input.dropDuplicates(['id']);
  const options = new CaseInsensitiveMap();
  options.set('path', o.out);
  options.set('checkpointLocation', o.checkpoint);
  if (o.partitions) options.set('sluice.shuffle.partitions', String(o.partitions));
  return {
    plan: df.plan, sink: { kind: 'format', format: 'parquet' }, options, outputMode: 'append', partitionBy: [], queryName: null,
    trigger: { kind: 'availableNow' },
  };
}

export const impressionSchema = T.struct({ id: T.long, ad: T.string, its: T.timestamp });
export const clickSchema = T.struct({ id: T.long, cts: T.timestamp });

/** Impressions joined to clicks on id (inner, stream-stream), each side with its watermark (20 s), into Parquet at `out`. */
export function shuffleJoinSpec(session: Session, o: {
  bootstrap: string; impressions: string; clicks: string; checkpoint: string; out: string; maxOffsets?: string; partitions?: number;
}): QuerySpec {
  const side = (topic: string, schema: T.Struct) => {
    let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', o.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
    if (o.maxOffsets) r = r.option('maxOffsetsPerTrigger', o.maxOffsets);
    return r.load().select(from_json(col('value').cast('string'), schema).alias('e')).select('e.*');
  };
  const df = side(o.impressions, impressionSchema).withWatermark('its', '20 seconds')
    .join(side(o.clicks, clickSchema).withWatermark('cts', '20 seconds'), ['id']);
  const options = new CaseInsensitiveMap();
  options.set('path', o.out);
  options.set('checkpointLocation', o.checkpoint);
  if (o.partitions) options.set('sluice.shuffle.partitions', String(o.partitions));
  return { plan: df.plan, sink: { kind: 'format', format: 'parquet' }, options, outputMode: 'append', partitionBy: [], queryName: null, trigger: { kind: 'availableNow' } };
}
