import type { Batch } from '../../data/batch.ts';
import { DataError, SinkError, SluiceError, SourceError } from '../../errors.ts';
import { KafkaClient } from '../../kafka/kafka-client.ts';
import { KafkaProducer, MESSAGE_TOO_LARGE, ProduceError, type PartitionWrite, type ProduceChunk } from '../../kafka/producer.ts';
import { BATCH_OVERHEAD, encodeRecordBatch, recordSize } from '../../kafka/record-batch.ts';
import { notice } from '../../util/notice.ts';
import type { Sink, SinkOpenContext, SinkProvider, SinkResult } from '../sink.ts';
import { type KafkaSinkOptions, kafkaSinkOptionNames, parseKafkaSinkOptions } from './kafka-sink-options.ts';
import { keyPartition } from './murmur2.ts';
import { RowRecords, type SinkRecords } from './row-records.ts';
import { TransactionLog } from './transaction-log.ts';

/** Records without a key go to one partition in runs of this many, rotating (the Java client's sticky partitioner, per batch). */
const UNKEYED_RUN = 1000;

/** Turns a batch's rows into records: Spark's row contract (RowRecords), or a repartition sink's Arrow chunks. */
export interface RecordEncoder { encode(batchId: number, data: readonly Batch[]): SinkRecords }

/** A chunk of one partition's records, and which rows of the batch they are (for errors). */
interface RowChunk extends ProduceChunk { readonly rows: Int32Array; readonly bytes: number }

/**
 * `writeStream.format('kafka')`: each row becomes a record (row-records.ts, Spark's columns).
 *
 * deliveryGuarantee 'exactly-once' (default): each batch is one Kafka transaction of transactional
 * id `sluice-<query id>`, or `sluice-<query id>-<task>` for a scale-out task (stable across restarts;
 * the first InitProducerId of a process fences any earlier producer of the id). Per batch N: begin, produce and flush every record, write
 * "prepared N" to the sink's log in the checkpoint (transaction-log.ts), EndTxn(commit); the trigger
 * loop writes commits/N only after that. A re-run of N settles the prepared transaction first
 * (transaction-log.ts says how), so read_committed readers see every batch once (docs/kafka-sink.md).
 *
 * 'at-least-once': Spark's sink, an idempotent producer and no transactions: a re-run batch is
 * written again.
 */
export class KafkaSink implements Sink {
  readonly description: string;
  private readonly client: KafkaClient;
  private producer: KafkaProducer | null = null;
  private log: TransactionLog | null = null;
  private transactionalId: string | null = null;
  private ctx: SinkOpenContext | null = null;
  /** The first batch of an instance is the only one that can follow a crash (a failed batch ends the query). */
  private ready = false;
  private unkeyedStart = Math.floor(Math.random() * 1024);

  constructor(private readonly o: KafkaSinkOptions, private readonly rows: RecordEncoder) {
    this.description = `KafkaSink[${o.topic ?? 'topic column'}]`;
    this.client = new KafkaClient({ servers: o.servers, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, security: o.security });
  }

  private get exactlyOnce(): boolean { return this.o.deliveryGuarantee === 'exactly-once'; }

  async open(ctx: SinkOpenContext): Promise<void> {
    this.ctx = ctx;
    // A task's own id: tasks of one query commit their batches independently, and one id would fence the others.
    const base = this.o.transactionalId ?? `sluice-${ctx.queryId}`;
    this.transactionalId = this.exactlyOnce ? (ctx.task === undefined ? base : `${base}-${ctx.task}`) : null;
    this.log = new TransactionLog(ctx.storage, ctx.dir);
    this.producer = new KafkaProducer(this.client, {
      transactionalId: this.transactionalId, transactionTimeoutMs: this.o.transactionTimeoutMs,
      requestTimeoutMs: this.o.requestTimeoutMs, maxRequestBytes: this.o.maxRequestBytes,
    });
  }

  async addBatch(batchId: number, data: readonly Batch[]): Promise<SinkResult> {
    const producer = this.producer;
    if (!producer) throw new SinkError('The kafka sink was not opened: the query opens it before the first batch.');
    const recs = this.rows.encode(batchId, data);
    try {
      if (!this.ready) {
        const settled = this.exactlyOnce && await this.settlePrepared(batchId);
        await producer.init();
        this.ready = true;
        if (settled) return { numOutputRows: recs.count };
      }
      if (recs.count === 0) return { numOutputRows: 0 };
      const writes = await this.plan(batchId, recs);
      if (!this.exactlyOnce) {
        await this.produce(batchId, writes);
        return { numOutputRows: recs.count };
      }
      await this.transaction(batchId, recs.count, writes);
      return { numOutputRows: recs.count };
    } catch (e) {
      // The shared client says "source" when it cannot connect; here it is the sink that could not write.
      if (e instanceof SourceError) throw new SinkError(`Kafka sink: batch ${batchId}: ${e.message}`, { cause: e });
      if (e instanceof SluiceError) throw e;
      throw new SinkError(`Kafka sink: batch ${batchId} failed (servers ${this.o.servers.join(',')}, option kafka.bootstrap.servers): ${(e as Error).message}`, { cause: e });
    }
  }

  /** One transaction: produce, flush, prepared entry, commit. */
  private async transaction(batchId: number, count: number, writes: PartitionWrite[]): Promise<void> {
    const producer = this.producer!, log = this.log!;
    const byTopic = new Map<string, number[]>();
    for (const w of writes) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w.partition]);
    try {
      await producer.addPartitions([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
      await this.produce(batchId, writes);
    } catch (e) {
      // Nothing of this attempt may become visible; the restart's InitProducerId would abort it too.
      await producer.endTxn(false).catch(() => undefined);
      throw e;
    }
    const id = producer.identity!;
    await log.prepare({ batchId, transactionalId: this.transactionalId!, producerId: String(id.producerId), producerEpoch: id.producerEpoch, records: count });
    await this.ctx!.onPhase?.('kafkaPrepared', batchId);
    if (await producer.endTxn(true) === 'fenced') throw this.fenced(batchId);
    await this.ctx!.onPhase?.('kafkaCommitted', batchId);
  }

  /**
   * Before this process's InitProducerId (which would abort it): batch N's prepared transaction,
   * if the log has one, is committed for its own producer id and epoch. True when Kafka holds the
   * batch committed; false when there was none, or the broker had aborted it (produce anew).
   */
  private async settlePrepared(batchId: number): Promise<boolean> {
    const prepared = await this.log!.get(batchId);
    if (!prepared) return false;
    if (prepared.committed) return true;
    const recovery = new KafkaProducer(this.client, {
      transactionalId: prepared.transactionalId, transactionTimeoutMs: this.o.transactionTimeoutMs,
      requestTimeoutMs: this.o.requestTimeoutMs, maxRequestBytes: this.o.maxRequestBytes,
    });
    let outcome;
    try {
      outcome = await recovery.endTxn(true, { producerId: BigInt(prepared.producerId), producerEpoch: prepared.producerEpoch });
    } catch (e) {
      if (/INVALID_PRODUCER_ID_MAPPING|UNKNOWN_PRODUCER_ID/.test((e as Error).message + String((e as { type?: string }).type))) {
        throw new SinkError(`Kafka sink: batch ${batchId} was prepared as transaction '${prepared.transactionalId}' (producer id ${prepared.producerId}, epoch `
          + `${prepared.producerEpoch}), but Kafka no longer knows that producer (the transactional id expired: transactional.id.expiration.ms). `
          + `Whether the batch was committed cannot be known. To write it again (possibly a second copy), remove ${this.ctx!.dir}/${batchId} and restart.`, { cause: e });
      }
      throw e;
    }
    if (outcome === 'done') {
      await this.log!.prepare({ ...prepared, committed: true });
      return true;
    }
    notice(`Kafka sink: batch ${batchId}'s transaction (transactional id '${prepared.transactionalId}') had been aborted by the broker before it was committed `
      + `(it outlived kafka.transaction.timeout.ms, ${this.o.transactionTimeoutMs} ms); its records are not visible to read_committed readers, and the batch is written again.`);
    return false;
  }

  private fenced(batchId: number): SinkError {
    return new SinkError(`Kafka sink: batch ${batchId}: another producer with transactional id '${this.transactionalId}' started (fenced this one), `
      + `or the broker aborted the transaction after kafka.transaction.timeout.ms (${this.o.transactionTimeoutMs} ms). Only one run of a query may write; `
      + `restart the query, and raise kafka.transaction.timeout.ms if batches take longer.`);
  }

  private async produce(batchId: number, writes: PartitionWrite[]): Promise<void> {
    let rounds = 0;
    try {
      await this.producer!.produce(writes, async () => { if (rounds++ === 0) await this.ctx!.onPhase?.('kafkaMidBatch', batchId); });
    } catch (e) {
      if (!(e instanceof ProduceError)) throw e;
      const w = writes.find((x) => x.topic === e.topic && x.partition === e.partition);
      const chunk = w?.chunks[e.chunk] as RowChunk | undefined;
      const rows = chunk ? rowsText(chunk.rows) : 'unknown rows';
      if (e.errorName === 'INVALID_PRODUCER_EPOCH' || e.errorName === 'PRODUCER_FENCED') throw this.fenced(batchId);
      if (e.code === MESSAGE_TOO_LARGE) {
        throw new SinkError(`Kafka sink: batch ${batchId}, ${rows}: the broker refused the record batch for topic '${e.topic}' partition ${e.partition} as too large `
          + `(MESSAGE_TOO_LARGE, Kafka error 10; ${chunk?.count ?? '?'} record(s), ${chunk?.bytes ?? '?'} bytes before compression). A record batch must fit the broker's `
          + `message.max.bytes (the topic's max.message.bytes): lower kafka.batch.size, or raise the limit on the broker or topic.`, { cause: e });
      }
      throw new SinkError(`Kafka sink: batch ${batchId}, ${rows}: writing to topic '${e.topic}' partition ${e.partition} failed: ${e.message} (${e.errorName}).`, { cause: e });
    }
  }

  /** Each record's partition, and each partition's records cut into record batches. */
  private async plan(batchId: number, recs: SinkRecords): Promise<PartitionWrite[]> {
    const topics = [...new Set(recs.topics)];
    const known = await this.producer!.outageRetried('Metadata', () => this.client.partitions(topics));
    const byPartition = new Map<string, Map<number, number[]>>();
    const unkeyed = new Map<string, number>();
    for (let i = 0; i < recs.count; i++) {
      const topic = recs.topics[i]!;
      const parts = known.get(topic);
      if (!parts) {
        throw new DataError(`Kafka sink: batch ${batchId}, row ${i}: topic '${topic}' does not exist on ${this.o.servers.join(',')}`
          + `${this.o.topic === undefined ? " (from column 'topic')" : " (option 'topic')"}. Create it first; the sink does not create topics.`);
      }
      const n = parts.length;
      let p = recs.partitions[i]!;
      if (p >= 0) {
        if (p >= n) throw new DataError(`Kafka sink: batch ${batchId}, row ${i}: column 'partition' is ${p}, but topic '${topic}' has ${n} partition(s) (0 to ${n - 1}).`);
      } else {
        const key = recs.keys[i];
        if (key) p = keyPartition(key, n);
        else {
          const j = unkeyed.get(topic) ?? 0;
          unkeyed.set(topic, j + 1);
          p = (this.unkeyedStart + Math.floor(j / UNKEYED_RUN)) % n;
        }
      }
      let t = byPartition.get(topic);
      if (!t) byPartition.set(topic, (t = new Map()));
      let rows = t.get(p);
      if (!rows) t.set(p, (rows = []));
      rows.push(i);
    }
    this.unkeyedStart++;
    const timestamp = Date.now();
    const writes: PartitionWrite[] = [];
    for (const [topic, parts] of byPartition) {
      for (const [partition, rows] of parts) writes.push({ topic, partition, chunks: this.chunks(batchId, recs, Int32Array.from(rows), timestamp) });
    }
    return writes;
  }

  /** Cut one partition's rows into record batches of at most kafka.batch.size bytes (a bigger record alone). */
  private chunks(batchId: number, recs: SinkRecords, rows: Int32Array, timestamp: number): RowChunk[] {
    const out: RowChunk[] = [];
    const codec = this.o.compression, max = this.o.batchBytes;
    let start = 0, bytes = 0;
    const cut = (end: number): void => {
      const mine = rows.subarray(start, end), size = bytes;
      out.push({ rows: mine, count: mine.length, bytes: size, encode: (producer) => encodeRecordBatch(recs, mine, timestamp, codec, producer) });
      start = end; bytes = 0;
    };
    for (let k = 0; k < rows.length; k++) {
      let size = recordSize(recs, rows[k]!, k - start);
      if (size + BATCH_OVERHEAD > this.o.maxRequestBytes) {
        throw new SinkError(`Kafka sink: batch ${batchId}, row ${rows[k]}: the record is ${size + BATCH_OVERHEAD} bytes when serialized, more than `
          + `kafka.max.request.size (${this.o.maxRequestBytes}). Make the value (or key) smaller, or raise kafka.max.request.size and the broker's message.max.bytes.`);
      }
      if (k > start && bytes + size > max) { cut(k); size = recordSize(recs, rows[k]!, 0); }
      bytes += size;
    }
    if (start < rows.length) cut(rows.length);
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** "row 7" or "rows 3 to 9" (batch rows, 0-based), for errors. */
function rowsText(rows: Int32Array): string {
  if (rows.length === 1) return `row ${rows[0]}`;
  return `rows ${rows[0]} to ${rows[rows.length - 1]} (${rows.length} records)`;
}

export const kafkaSink: SinkProvider = {
  name: 'kafka',
  // Spark allows all three: each batch's rows are appended to the topic as records.
  outputModes: ['append', 'update', 'complete'],
  options: kafkaSinkOptionNames,
  create(opts) {
    const o = parseKafkaSinkOptions(opts.options);
    return new KafkaSink(o, new RowRecords(opts.schema, o.topic));
  },
};
