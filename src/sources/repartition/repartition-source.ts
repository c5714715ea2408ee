import * as A from 'apache-arrow';
import { type Batch, fromArrowTable, isValid, makeBatch } from '../../data/batch.ts';
import { type Struct, sameType, typeToString } from '../../data/types.ts';
import { SourceError } from '../../errors.ts';
import { MAX_EVENT_TIME_HEADER } from '../../kafka/shuffle-header.ts';
import type { Offset, ReadLimit, Source, SourceProvider } from '../source.ts';
import { KafkaSource, kafkaClientOptions } from '../kafka/kafka-source.ts';
import { sharedClientKey, sharedKafkaClient } from '../../kafka/shared-client.ts';
import { kafkaOptionNames, parseKafkaOptions } from '../kafka/kafka-options.ts';
import type { KafkaOffsets } from '../kafka/offsets.ts';

// Columns of the Kafka source's schema with includeHeaders (kafka-source.ts).
const VALUE = 1, PARTITION = 3, OFFSET = 4, HEADERS = 7;
/** Ranges read whose event time was not asked for yet (a prefetch dropped by the loop is never asked). */
const KEPT_RANGES = 8;

/**
 * The downstream end of a shuffle: the Kafka source over the repartition topic (read_committed,
 * so only committed upstream batches, each once), each record an Arrow IPC stream of rows of
 * `schema` (sinks/repartition/shuffle-chunks.ts). The headers' event time feeds the watermark
 * (maxEventTimeMs): per partition the largest seen, and over the partitions read the smallest of
 * those, so a batch that has read one partition's chunk of an upstream batch but not yet another's
 * does not move the watermark past rows still to come.
 */
export class RepartitionSource implements Source {
  readonly description: string;
  private readonly seen = new Map<string, number>();
  private readonly byRange = new Map<string, number | null>();

  constructor(private readonly kafka: KafkaSource, readonly schema: Struct, private readonly topic: string) {
    this.description = `Repartition[${topic}]`;
  }

  initialOffset(): Promise<Offset> { return this.kafka.initialOffset(); }
  latestOffset(start: Offset, limit: ReadLimit, bound?: Offset): Promise<Offset> { return this.kafka.latestOffset(start, limit, bound); }
  availableOffset(): Promise<Offset> { return this.kafka.availableOffset(); }
  reportLatestOffset(): Offset | undefined { return this.kafka.reportLatestOffset(); }
  metrics(end: Offset, latest: Offset | undefined): Record<string, string> { return this.kafka.metrics(end, latest); }
  sameOffset(a: Offset, b: Offset): boolean { return this.kafka.sameOffset(a, b); }
  drainWarnings(): string[] { return this.kafka.drainWarnings(); }
  stop(): Promise<void> { return this.kafka.stop(); }

  async getBatch(start: Offset, end: Offset): Promise<Batch[]> {
    const out: Batch[] = [];
    await this.readBatch(start, end, (b) => { out.push(b); });
    return out;
  }

  async readBatch(start: Offset, end: Offset, onChunk: (chunk: Batch) => void): Promise<void> {
    await this.kafka.readBatch(start, end, (records) => { for (const b of this.decode(records)) onChunk(b); });
    this.byRange.set(rangeKey(start, end), this.upstreamMax(end));
    while (this.byRange.size > KEPT_RANGES) this.byRange.delete(this.byRange.keys().next().value!);
  }

  maxEventTimeMs(start: Offset, end: Offset): number | null {
    const key = rangeKey(start, end);
    if (!this.byRange.has(key)) return this.upstreamMax(end); // a no-data batch: nothing read
    const m = this.byRange.get(key)!;
    this.byRange.delete(key);
    return m;
  }

  /** The smallest over the partitions read of the largest event time each has carried; null if one has carried none. */
  private upstreamMax(end: Offset): number | null {
    let min: number | null = null;
    for (const p of Object.keys((end as KafkaOffsets)[this.topic] ?? {})) {
      const m = this.seen.get(p);
      if (m === undefined) return null;
      if (min === null || m < min) min = m;
    }
    return min;
  }

  /** The rows of a chunk of Kafka records, each record's Arrow IPC stream decoded; headers noted. */
  private decode(records: Batch): Batch[] {
    const out: Batch[] = [];
    const values = records.columns[VALUE]!, partitions = records.columns[PARTITION]!.values as Int32Array;
    const offsets = records.columns[OFFSET]!.values as BigInt64Array;
    const vo = values.valueOffsets as Int32Array, vb = values.values as Uint8Array;
    const headerOf = headerReader(records.columns[HEADERS]!);
    for (let i = 0; i < records.numRows; i++) {
      const where = `topic '${this.topic}' partition ${partitions[i]} offset ${offsets[i]}`;
      const h = headerOf(i);
      if (h !== undefined) {
        const t = Number(h);
        if (!Number.isFinite(t)) throw new SourceError(`Repartition record at ${where}: header ${MAX_EVENT_TIME_HEADER} is '${h}', not a time in milliseconds.`);
        const p = String(partitions[i]), prev = this.seen.get(p);
        if (prev === undefined || t > prev) this.seen.set(p, t);
      }
      if (!isValid(values, i)) throw new SourceError(`Repartition record at ${where} has no value; only the query's upstream stage may write to this topic.`);
      let table: A.Table;
      try { table = A.tableFromIPC(vb.subarray(vo[i]!, vo[i + 1]!)); } catch (e) {
        throw new SourceError(`Repartition record at ${where} is not an Arrow IPC stream (${(e as Error).message}); only the query's upstream stage may write to this topic.`, { cause: e });
      }
      for (const b of fromArrowTable(table)) {
        if (b.numRows === 0) continue;
        if (b.columns.length !== this.schema.fields.length || b.schema.fields.some((f, k) => !sameType(f.type, this.schema.fields[k]!.type))) {
          throw new SourceError(`Repartition record at ${where} holds columns (${b.schema.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ')}), `
            + `but the query's upstream stage makes (${this.schema.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ')}): the topic was written by another `
            + `version of the query. Start it with a new checkpointLocation (a new query id, so a new topic).`);
        }
        out.push(makeBatch(this.schema, b.columns, b.numRows));
      }
    }
    return out;
  }
}

/** Row i's MAX_EVENT_TIME_HEADER value as text, or undefined, from the Kafka source's headers column. */
function headerReader(d: A.Data): (i: number) => string | undefined {
  const lo = d.valueOffsets as Int32Array | undefined, el = d.children[0];
  if (!lo || !el) return () => undefined;
  const keys = el.children[0]!, vals = el.children[1]!;
  const ko = keys.valueOffsets as Int32Array, kb = keys.values as Uint8Array, vo = vals.valueOffsets as Int32Array, vb = vals.values as Uint8Array;
  const dec = new TextDecoder();
  return (i) => {
    for (let j = lo[i]!; j < lo[i + 1]!; j++) {
      if (dec.decode(kb.subarray(ko[j]!, ko[j + 1]!)) === MAX_EVENT_TIME_HEADER && isValid(vals, j)) return dec.decode(vb.subarray(vo[j]!, vo[j + 1]!));
    }
    return undefined;
  };
}

const rangeKey = (start: Offset, end: Offset): string => `${JSON.stringify(start)}\u0001${JSON.stringify(end)}`;

/**
 * The source of a downstream stage: partitions `partitions` of `topic` (all when undefined), from
 * the earliest offset, rows of `schema`. Made by the shuffle's plan cut, not by name: the schema
 * is the upstream stage's, known in the process that planned it.
 */
export function repartitionSource(schema: Struct, topic: string): SourceProvider {
  return {
    name: 'sluice-repartition',
    options: kafkaOptionNames,
    schema: () => schema,
    create: (opts) => {
      const o = new Map(opts.options);
      o.set('includeHeaders', 'true');
      o.set('startingOffsets', 'earliest');
      if (!o.has('assign')) o.set('subscribe', topic);
      const parsed = parseKafkaOptions(o);
      const client = opts.shareClients ? sharedKafkaClient(sharedClientKey(o), kafkaClientOptions(parsed)) : undefined;
      return new RepartitionSource(new KafkaSource(parsed, opts.resuming ?? false, client), schema, topic);
    },
  };
}
