import { batchNumRows, type Batch } from '../../data/batch.ts';
import { AnalysisError, OptionError } from '../../errors.ts';
import type { BatchInfo, Sink, SinkOpenContext, SinkProvider, SinkResult } from '../sink.ts';
import { KafkaSink } from '../kafka/kafka-sink.ts';
import { kafkaSinkOptionNames, parseKafkaSinkOptions } from '../kafka/kafka-sink-options.ts';
import { ShuffleChunks } from './shuffle-chunks.ts';

/** The int column the upstream plan adds: hash(key columns), Spark's Murmur3Hash; the sink takes pmod of it and drops it. */
export const SHUFFLE_HASH_COLUMN = '__sluice_shuffle_hash';
/** The repartition topic's partition count (the shuffle's task count, fixed at the query's first start). */
export const PARTITIONS_OPTION = 'sluice.repartition.partitions';

/**
 * The upstream end of a shuffle (docs/design/scale-out.md, "Repartitioning, exactly once"): each
 * batch's rows go to the repartition topic as Arrow chunks (shuffle-chunks.ts), one Kafka
 * transaction per batch through the Kafka sink's exactly-once machinery (its transaction log in
 * this query's checkpoint, settled by a re-run), so the downstream stage's read_committed source
 * sees every upstream batch once.
 */
export class RepartitionSink implements Sink {
  readonly description: string;
  private readonly inner: KafkaSink;

  constructor(options: ReturnType<typeof parseKafkaSinkOptions>, private readonly chunks: ShuffleChunks) {
    this.inner = new KafkaSink(options, chunks);
    this.description = `RepartitionSink[${options.topic}]`;
  }

  open(ctx: SinkOpenContext): Promise<void> { return this.inner.open(ctx); }

  async addBatch(batchId: number, data: readonly Batch[], info?: BatchInfo): Promise<SinkResult> {
    this.chunks.observe(info?.maxEventTimeMs);
    await this.inner.addBatch(batchId, data);
    return { numOutputRows: batchNumRows(data) };
  }

  close(): Promise<void> { return this.inner.close(); }
}

export const repartitionSink: SinkProvider = {
  name: 'sluice-repartition',
  // The upstream stage has no stateful operator: every row is new once.
  outputModes: ['append'],
  options: [...kafkaSinkOptionNames, PARTITIONS_OPTION],
  create(opts) {
    const o = parseKafkaSinkOptions(opts.options);
    if (o.topic === undefined || o.deliveryGuarantee !== 'exactly-once' || o.transactionalId === undefined) {
      throw new OptionError(`The sluice-repartition sink needs options 'topic' and 'kafka.transactional.id' and deliveryGuarantee exactly-once; `
        + `it is made by the shuffle's plan cut (runtime/scale-out/shuffle-stages.ts), not by hand.`);
    }
    const n = Number(opts.options.get(PARTITIONS_OPTION));
    if (!Number.isInteger(n) || n <= 0) throw new OptionError(`The sluice-repartition sink's option '${PARTITIONS_OPTION}' must be a positive whole number, got '${opts.options.get(PARTITIONS_OPTION)}'.`);
    const hash = opts.schema.fields.find((f) => f.name === SHUFFLE_HASH_COLUMN);
    if (hash?.type.kind !== 'int') throw new AnalysisError(`The sluice-repartition sink needs the int column '${SHUFFLE_HASH_COLUMN}' (the key's hash) that the shuffle's plan cut adds.`);
    return new RepartitionSink(o, new ShuffleChunks(opts.schema, SHUFFLE_HASH_COLUMN, o.topic, n));
  },
};
