import { Kafka, logLevel } from 'kafkajs';
import { SourceError } from '../../errors.ts';

/**
 * The few Kafka calls the source needs, on kafkajs's cluster layer: offsets by
 * partition and Fetch of an exact offset range (Spark reads assigned ranges, not
 * through a consumer group; kafkajs's public consumer has no assign()).
 * Everything kafkajs-specific stays in this file so a faster client can replace it.
 */
export interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext?: { timestampType?: number };
}

interface KafkaBroker {
  fetch(req: {
    maxWaitTime: number; minBytes: number; maxBytes: number; isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: { partition: number; errorCode: number; highWatermark: string; messages: FetchedRecord[] }[] }[] }>;
}

interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: number | string }): Promise<KafkaBroker>;
  fetchTopicsOffset(topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]):
    Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  brokerPool: { metadata?: { topicMetadata: { topic: string; topicErrorCode: number; partitionMetadata: { partitionId: number }[] }[] } };
}

export type PartitionOffsets = Record<string, Record<string, number>>;

export interface KafkaClientOptions { servers: string[]; clientId: string; requestTimeoutMs: number; connectTimeoutMs: number }

export class KafkaClient {
  private readonly kafka: Kafka;
  private cluster: KafkaCluster | null = null;
  private topics = new Set<string>();

  constructor(private readonly opts: KafkaClientOptions) {
    this.kafka = new Kafka({
      brokers: opts.servers, clientId: opts.clientId, logLevel: logLevel.NOTHING,
      connectionTimeout: opts.connectTimeoutMs, requestTimeout: opts.requestTimeoutMs,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  }

  private async connected(): Promise<KafkaCluster> {
    if (this.cluster) return this.cluster;
    // kafkajs keeps its cluster factory behind a private symbol; the consumer and admin use the same one.
    const sym = Object.getOwnPropertySymbols(this.kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const create = sym && (this.kafka as unknown as Record<symbol, (o: object) => KafkaCluster>)[sym];
    if (!create) throw new SourceError('kafkajs internals changed: cannot create a cluster client (pin kafkajs 2.2.x).');
    const cluster = create({ metadataMaxAge: 300000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 1 });
    try {
      await cluster.connect();
    } catch (e) {
      throw new SourceError(`Cannot reach Kafka at ${this.opts.servers.join(',')} (option kafka.bootstrap.servers): ${(e as Error).message}. `
        + `Check that the brokers are running and the address is right.`, { cause: e });
    }
    this.cluster = cluster;
    return cluster;
  }

  /** Partitions of each topic; a topic that does not exist is missing from the result. */
  async partitions(topics: string[]): Promise<Map<string, number[]>> {
    const c = await this.connected();
    const fresh = topics.filter((t) => !this.topics.has(t));
    if (fresh.length) { await c.addMultipleTargetTopics(fresh); for (const t of fresh) this.topics.add(t); }
    await c.refreshMetadata();
    const out = new Map<string, number[]>();
    for (const tm of c.brokerPool.metadata?.topicMetadata ?? []) {
      if (topics.includes(tm.topic) && tm.topicErrorCode === 0 && tm.partitionMetadata.length > 0) {
        out.set(tm.topic, tm.partitionMetadata.map((p) => p.partitionId).sort((a, b) => a - b));
      }
    }
    return out;
  }

  /** Earliest (fromBeginning) or latest (high watermark) offset of each partition. */
  async offsets(parts: Map<string, number[]>, fromBeginning: boolean): Promise<PartitionOffsets> {
    const c = await this.connected();
    const req = [...parts].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition })), fromBeginning }));
    const res = await c.fetchTopicsOffset(req);
    const out: PartitionOffsets = {};
    for (const t of res) {
      const m: Record<string, number> = (out[t.topic] = {});
      for (const p of t.partitions) m[String(p.partition)] = Number(p.offset);
    }
    return out;
  }

  /** One Fetch round to each leader for the given positions; records at or after each position. */
  async fetch(positions: { topic: string; partition: number; offset: number }[], maxBytesPerPartition: number):
    Promise<{ topic: string; partition: number; records: FetchedRecord[] }[]> {
    const c = await this.connected();
    const byLeader = new Map<string, typeof positions>();
    for (const p of positions) {
      const leaders = c.findLeaderForPartitions(p.topic, [p.partition]);
      const leader = Object.keys(leaders)[0];
      if (leader === undefined) throw new SourceError(`No leader for topic '${p.topic}' partition ${p.partition}.`);
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(p);
    }
    const results = await Promise.all([...byLeader].map(async ([nodeId, ps]) => {
      const broker = await c.findBroker({ nodeId });
      const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
      for (const p of ps) {
        let t = topics.get(p.topic);
        if (!t) topics.set(p.topic, (t = []));
        t.push({ partition: p.partition, fetchOffset: String(p.offset), maxBytes: maxBytesPerPartition });
      }
      const res = await broker.fetch({
        maxWaitTime: 100, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      });
      const out: { topic: string; partition: number; records: FetchedRecord[] }[] = [];
      for (const r of res.responses) for (const p of r.partitions) {
        if (p.errorCode !== 0) throw new SourceError(`Kafka fetch from topic '${r.topicName}' partition ${p.partition} failed with error code ${p.errorCode}.`);
        out.push({ topic: r.topicName, partition: p.partition, records: p.messages });
      }
      return out;
    }));
    return results.flat();
  }

  /** After a broker error: forget cached leaders and connections, so the next call looks them up again. */
  async reset(): Promise<void> {
    const c = this.cluster;
    this.cluster = null;
    this.topics.clear();
    if (c) await c.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> { await this.reset(); }
}
