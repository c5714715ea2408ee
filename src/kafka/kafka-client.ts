import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaSecurityError, SourceError } from '../errors.ts';
import { codecById } from '../formats/kafka-compression/compression.ts';
import {
  type CodecLookup, type FetchedRecord, type FetchRequest, FETCH_MAX_VERSION, FETCH_MIN_VERSION, type RawPartition, encodeFetchRequest, parseFetchResponse,
} from './protocol.ts';
import { type KafkaSecurity, parseKafkaSecurity } from './security/kafka-security.ts';
import { stopIdleRequestChecks } from './request-queue-idle.ts';

export type { FetchedRecord } from './protocol.ts';

/**
 * The few Kafka calls the source needs, on kafkajs's cluster layer: offsets by
 * partition and Fetch of an exact offset range (Spark reads assigned ranges, not
 * through a consumer group; kafkajs's public consumer has no assign()).
 * Everything kafkajs-specific stays in this file so a faster client can replace it;
 * the Fetch hot path sends its own request and leaves the response bytes to protocol.ts.
 */

/** kafkajs's wire-level request object, as `connectionPool.send` takes it. */
export interface ProtocolRequest<T> {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<{ buf: Buffer; buffer: Buffer }> };
  response: { decode(payload: Buffer): Promise<T>; parse(decoded: T): Promise<T> };
  requestTimeout: number;
}

/** One of kafkajs's connections to a broker. */
export interface KafkaConnection { send<T>(req: ProtocolRequest<T>): Promise<T> }

/** kafkajs's connections to one broker: Fetch has a connection of its own, other requests share another. */
interface KafkaConnectionPool {
  getConnectionByRequest(req: ProtocolRequest<unknown>): Promise<KafkaConnection>;
}

/** Transaction requests of kafkajs's Broker (the producer's, src/kafka/producer.ts); errors are KafkaJSProtocolErrors with a `type`. */
interface KafkaTxnBroker {
  initProducerId(req: { transactionalId: string | null; transactionTimeout: number }): Promise<{ producerId: string; producerEpoch: number }>;
  addPartitionsToTxn(req: { transactionalId: string; producerId: string; producerEpoch: number; topics: { topic: string; partitions: number[] }[] }): Promise<unknown>;
  endTxn(req: { transactionalId: string; producerId: string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>;
}

/** Group-membership requests of kafkajs's Broker (group/group-member.ts); errors are KafkaJSProtocolErrors with a `code`. */
export interface KafkaGroupBroker {
  readonly nodeId: number;
  readonly brokerAddress: string;
  joinGroup(req: { groupId: string; sessionTimeout: number; rebalanceTimeout: number; memberId: string; protocolType: string; groupProtocols: { name: string; metadata: Buffer }[] }):
    Promise<{ generationId: number; groupProtocol: string; leaderId: string; memberId: string; members: { memberId: string; memberMetadata: Buffer }[] }>;
  syncGroup(req: { groupId: string; generationId: number; memberId: string; groupAssignment: { memberId: string; memberAssignment: Buffer }[] }):
    Promise<{ memberAssignment: Buffer | null }>;
  heartbeat(req: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
  leaveGroup(req: { groupId: string; memberId: string }): Promise<unknown>;
}

export interface KafkaBroker extends KafkaTxnBroker, KafkaGroupBroker {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  connectionPool: KafkaConnectionPool;
  disconnect(): Promise<void>;
  /** Resolves false when the topic existed already; throws the broker's error otherwise (or kafkajs's when the broker lacks the API). */
  createTopics(req: { topics: { topic: string; numPartitions: number; replicationFactor?: number }[]; timeout?: number }): Promise<boolean>;
  fetch(req: {
    maxWaitTime: number; minBytes: number; maxBytes: number; isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: { partition: number; errorCode: number; highWatermark: string; messages: FetchedRecord[] }[] }[] }>;
}

export interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: number | string }): Promise<KafkaBroker>;
  /** coordinatorType 0: a consumer group's coordinator; 1: the transaction coordinator of a transactional id. */
  findGroupCoordinator(q: { groupId: string; coordinatorType: number }): Promise<KafkaBroker>;
  getNodeIds(): number[];
  findControllerBroker(): Promise<KafkaBroker>;
  fetchTopicsOffset(topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]):
    Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  brokerPool: { metadata?: { topicMetadata: { topic: string; topicErrorCode: number; partitionMetadata: { partitionId: number }[] }[] } };
}

export type PartitionOffsets = Record<string, Record<string, number>>;

/** Kafka error codes a fetch may return, by name (the rest are reported by number). */
const ERROR_NAMES: Record<number, string> = {
  1: 'OFFSET_OUT_OF_RANGE', 3: 'UNKNOWN_TOPIC_OR_PARTITION', 5: 'LEADER_NOT_AVAILABLE', 6: 'NOT_LEADER_FOR_PARTITION',
  7: 'REQUEST_TIMED_OUT', 9: 'REPLICA_NOT_AVAILABLE', 29: 'TOPIC_AUTHORIZATION_FAILED', 74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH', 100: 'UNKNOWN_TOPIC_ID',
};
const errorName = (code: number): string => `error code ${code}${ERROR_NAMES[code] ? ` (${ERROR_NAMES[code]})` : ''}`;

const FETCH_API_KEY = 1;

// kafkajs's decoder of legacy message sets (magic 0/1), used only for such record sets.
const require = createRequire(import.meta.url);
const kafkajsRequire = createRequire(require.resolve('kafkajs'));
type LegacyDecoder = (decoder: unknown) => Promise<FetchedRecord[]>;
let legacyDecoder: { Decoder: new (b: Buffer) => unknown; decodeMessages: LegacyDecoder } | undefined;

/** Records of a legacy (or otherwise unusual) record set, decoded by kafkajs into objects. */
export async function decodeLegacy(p: RawPartition): Promise<FetchedRecord[]> {
  registerWithKafkajs();
  legacyDecoder ??= {
    Decoder: kafkajsRequire('./src/protocol/decoder') as new (b: Buffer) => unknown,
    decodeMessages: kafkajsRequire('./src/protocol/requests/fetch/v4/decodeMessages') as LegacyDecoder,
  };
  // decodeMessages reads the int32 size in front of the records.
  const framed = Buffer.allocUnsafe(4 + p.end - p.start);
  framed.writeInt32BE(p.end - p.start, 0);
  p.buf.copy(framed, 4, p.start, p.end);
  return legacyDecoder.decodeMessages(new legacyDecoder.Decoder(framed));
}

/** The decompressor of a batch's compression type id: the project's codecs (codecs/compression.ts), all four of Kafka's. */
export const codecFor: CodecLookup = codecById;

/** kafkajs's codec registry entry: a factory of { compress(encoder), decompress(buffer) }, both async. */
type KafkajsCodecFactory = () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buf: Buffer): Promise<Buffer> };
let registered = false;
/**
 * Legacy message sets are decoded by kafkajs, which decompresses with its own registry
 * (gzip only, out of the box): the project's codecs fill the empty slots, once, leaving any a
 * user registered in place. kafkajs's empty slots are not empty: they hold factories that throw
 * KafkaJSNotImplemented, so a slot counts as empty when its factory throws.
 */
function registerWithKafkajs(): void {
  if (registered) return;
  registered = true;
  // Not a named ESM export of the CommonJS package (the lexer misses it): taken from module.exports.
  const { CompressionCodecs } = require('kafkajs') as { CompressionCodecs: Record<number, KafkajsCodecFactory | undefined> };
  const usable = (f: KafkajsCodecFactory | undefined): boolean => { try { return !!f?.(); } catch { return false; } };
  for (const id of [2, 3, 4]) {
    const codec = codecById(id)!;
    if (usable(CompressionCodecs[id])) continue;
    CompressionCodecs[id] = () => ({
      compress: async (encoder) => codec.compress(encoder.buffer),
      decompress: async (buf) => codec.decompress(buf),
    });
  }
}

export interface KafkaClientOptions {
  servers: string[]; clientId: string; requestTimeoutMs: number; connectTimeoutMs: number;
  /** TLS and SASL from the kafka.security.protocol / kafka.sasl.* / kafka.ssl.* options (security/kafka-security.ts); PLAINTEXT without. */
  security?: KafkaSecurity;
}

export class KafkaClient {
  private readonly kafka: Kafka;
  private cluster: KafkaCluster | null = null;
  private connecting: Promise<KafkaCluster> | null = null;
  private topics = new Set<string>();
  /** Bumped by reset(): a connection attempt that started before it is closed, not kept. */
  private generation = 0;
  private closed = false;
  private readonly security: KafkaSecurity;

  constructor(private readonly opts: KafkaClientOptions) {
    this.security = opts.security ?? parseKafkaSecurity(new Map(), opts.servers);
    stopIdleRequestChecks();
    this.kafka = new Kafka({
      brokers: opts.servers, clientId: opts.clientId, logLevel: logLevel.NOTHING,
      connectionTimeout: opts.connectTimeoutMs, requestTimeout: opts.requestTimeoutMs, ...this.security.kafkajs,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  }

  private async connected(): Promise<KafkaCluster> {
    if (this.closed) throw new SourceError('The Kafka source was stopped; its client is closed.');
    if (this.cluster) return this.cluster;
    // Concurrent callers (the source's fetch loops) share one connection attempt.
    if (!this.connecting) {
      const attempt: Promise<KafkaCluster> = this.connect().finally(() => { if (this.connecting === attempt) this.connecting = null; });
      this.connecting = attempt;
    }
    return this.connecting;
  }

  private async connect(): Promise<KafkaCluster> {
    // kafkajs keeps its cluster factory behind a private symbol; the consumer and admin use the same one.
    const sym = Object.getOwnPropertySymbols(this.kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const create = sym && (this.kafka as unknown as Record<symbol, (o: object) => KafkaCluster>)[sym];
    if (!create) throw new SourceError('kafkajs internals changed: cannot create a cluster client (pin kafkajs 2.2.x).');
    const cluster = create({ metadataMaxAge: 300000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 1 });
    const generation = this.generation;
    try {
      await cluster.connect();
    } catch (e) {
      // A failed connect may have opened the seed broker's socket: close it, or the process cannot exit.
      await cluster.disconnect().catch(() => undefined);
      const { security } = this, { servers } = this.opts;
      const why = security.explain(e, servers);
      if (why?.permanent) throw new KafkaSecurityError(`Cannot connect to Kafka at ${servers.join(',')} with ${security.summary}: ${why.text}`, { cause: e });
      throw new SourceError(`Cannot reach Kafka at ${servers.join(',')} (option kafka.bootstrap.servers, ${security.summary}): ${security.scrub((e as Error).message)}. `
        + `${why ? `Maybe ${why.text}. Otherwise check` : 'Check'} that the brokers are running and the address is right.`, { cause: e });
    }
    if (generation !== this.generation) {
      // reset() or close() ran while this attempt was under way: nobody will disconnect this cluster later.
      await cluster.disconnect().catch(() => undefined);
      throw new SourceError(this.closed ? 'The Kafka source was stopped; its client is closed.' : 'The Kafka connection was reset while connecting; retry.');
    }
    this.cluster = cluster;
    return cluster;
  }

  /** kafkajs's cluster, connected: for the producer (producer.ts), which works on the same layer. */
  connectedCluster(): Promise<KafkaCluster> { return this.connected(); }

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

  /**
   * Earliest (fromBeginning) or latest offset of each partition. The cluster is created with
   * isolationLevel 1, so ListOffsets (v2+) asks for READ_COMMITTED and 'latest' is the last stable
   * offset (LSO): the first offset of the earliest transaction still open, or the high watermark
   * when none is. The source plans batches up to it, not up to a Fetch's high watermark: a
   * READ_COMMITTED Fetch returns nothing past the LSO, so a batch planned to the high watermark while
   * a transaction is open would wait for records it may not read (and fail as "no records" if the
   * transaction stays open), and reading them anyway would show records that may yet be aborted.
   * Records past the LSO are read by a later batch, once their transaction has ended.
   */
  async offsets(parts: Map<string, number[]>, fromBeginning: boolean): Promise<PartitionOffsets> {
    const c = await this.connected();
    // ListOffsets goes to each partition's leader: the metadata must know the topics first
    // (after a restart or a reset, getBatch may be the first call).
    const fresh = [...parts.keys()].filter((t) => !this.topics.has(t));
    if (fresh.length) { await c.addMultipleTargetTopics(fresh); for (const t of fresh) this.topics.add(t); }
    const req = [...parts].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition })), fromBeginning }));
    const res = await c.fetchTopicsOffset(req);
    const out: PartitionOffsets = {};
    for (const t of res) {
      const m: Record<string, number> = (out[t.topic] = {});
      for (const p of t.partitions) m[String(p.partition)] = Number(p.offset);
    }
    return out;
  }

  /** Leaders of the given partitions, grouped by broker node id; topics unknown to the metadata are looked up first. */
  private async byLeader<P extends { topic: string; partition: number }>(c: KafkaCluster, positions: P[]): Promise<Map<string, P[]>> {
    const fresh = [...new Set(positions.map((p) => p.topic))].filter((t) => !this.topics.has(t));
    if (fresh.length) { await c.addMultipleTargetTopics(fresh); for (const t of fresh) this.topics.add(t); }
    const byLeader = new Map<string, P[]>();
    for (const p of positions) {
      const leaders = c.findLeaderForPartitions(p.topic, [p.partition]);
      const leader = Object.keys(leaders)[0];
      if (leader === undefined) throw new SourceError(`No leader for topic '${p.topic}' partition ${p.partition}.`);
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(p);
    }
    return byLeader;
  }

  /**
   * One Fetch round to each leader for the given positions (READ_COMMITTED). The response is
   * not decoded beyond partition headers: each partition's record set is a range of the
   * response buffer, for protocol.ts's columnar decoder. A partition error fails the call.
   */
  async fetchRaw(positions: { topic: string; partition: number; offset: number }[], maxBytesPerPartition: number, maxBytes: number,
    maxWaitMs = 100): Promise<RawPartition[]> {
    const c = await this.connected();
    const groups = await this.byLeader(c, positions);
    const results = await Promise.all([...groups].map(async ([nodeId, ps]) => {
      const broker = await c.findBroker({ nodeId });
      const topics = new Map<string, { partition: number; fetchOffset: number; maxBytes: number }[]>();
      for (const p of ps) {
        let t = topics.get(p.topic);
        if (!t) topics.set(p.topic, (t = []));
        t.push({ partition: p.partition, fetchOffset: p.offset, maxBytes: maxBytesPerPartition });
      }
      const req: FetchRequest = {
        maxWaitTime: maxWaitMs, minBytes: 1, maxBytes, isolationLevel: 1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      };
      const range = broker.versions?.[FETCH_API_KEY];
      const version = range ? Math.min(range.maxVersion, FETCH_MAX_VERSION) : -1;
      let parts: RawPartition[];
      if (version >= FETCH_MIN_VERSION && version >= range!.minVersion) {
        const body = encodeFetchRequest(version, req);
        const { payload } = await sendRaw(broker, {
          request: { apiKey: FETCH_API_KEY, apiVersion: version, apiName: 'Fetch', encode: async () => ({ buf: body, buffer: body }) },
          // The payload is kept as bytes. From v8 on the broker leaves throttling to the client (KIP-219):
          // kafkajs's request queue reads `clientSideThrottleTime`, as for its own Fetch.
          response: {
            decode: async (b: Buffer) => ({ payload: b, clientSideThrottleTime: version >= 8 && b.length >= 4 ? b.readInt32BE(0) : 0 }),
            parse: async (r) => r,
          },
          requestTimeout: this.opts.requestTimeoutMs + maxWaitMs,
        });
        const res = parseFetchResponse(version, payload);
        if (res.errorCode !== 0) throw new SourceError(`Kafka fetch from broker ${nodeId} failed with ${errorName(res.errorCode)}.`);
        parts = res.partitions;
      } else {
        parts = await this.fetchDecoded(broker, req);
      }
      for (const p of parts) {
        if (p.errorCode !== 0) throw new SourceError(`Kafka fetch from topic '${p.topic}' partition ${p.partition} failed with ${errorName(p.errorCode)}.`);
      }
      return parts;
    }));
    return results.flat();
  }

  /** Brokers older than Fetch v4 (Kafka < 0.11): kafkajs fetches and decodes; records are re-framed for decodeLegacy. */
  private async fetchDecoded(broker: KafkaBroker, req: FetchRequest): Promise<RawPartition[]> {
    const res = await broker.fetch({ ...req, topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ ...p, fetchOffset: String(p.fetchOffset) })) })) });
    const out: RawPartition[] = [];
    for (const r of res.responses) for (const p of r.partitions) {
      out.push({ topic: r.topicName, partition: p.partition, errorCode: p.errorCode, highWatermark: Number(p.highWatermark),
        abortedTransactions: null, buf: Buffer.alloc(0), start: 0, end: 0, decoded: p.messages });
    }
    return out;
  }

  /** After a broker error: forget cached leaders and connections, so the next call looks them up again. */
  async reset(): Promise<void> {
    const c = this.cluster, pending = this.connecting;
    this.cluster = null;
    this.connecting = null;
    this.generation++;
    this.topics.clear();
    if (c) await c.disconnect().catch(() => undefined);
    // An attempt under way closes its own cluster when it sees the new generation (connect()); wait for it.
    if (pending) await pending.catch(() => undefined);
  }

  /** Closes every connection; later calls fail instead of opening new ones (a stopped query must let the process exit). */
  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
  }
}

/**
 * The connection a request goes on, connected once however many callers ask at the same time.
 * kafkajs's ConnectionPool connects lazily, and Connection.connect() is not re-entrant: two fetch
 * loops sending the first Fetch to a broker together each open a socket, the pool keeps the second,
 * and the first is never closed (disconnect() closes only the pool's), so the process could not
 * exit after the query ended. Callers that find a connect under way share it instead.
 */
const connectingByPool = new WeakMap<KafkaConnectionPool, Map<boolean, Promise<KafkaConnection>>>();
function connectionFor(pool: KafkaConnectionPool, req: ProtocolRequest<unknown>): Promise<KafkaConnection> {
  // The pool has two connections: Fetch's and the one every other request (Produce) shares.
  const fetch = req.request.apiKey === FETCH_API_KEY;
  let byKind = connectingByPool.get(pool);
  if (!byKind) connectingByPool.set(pool, (byKind = new Map()));
  let pending = byKind.get(fetch);
  if (!pending) {
    pending = pool.getConnectionByRequest(req).finally(() => byKind.delete(fetch));
    byKind.set(fetch, pending);
  }
  return pending;
}

/** As kafkajs's Broker[SEND_REQUEST]: a closed connection disconnects the broker so the next call reconnects. */
export async function sendRaw<T>(broker: KafkaBroker, req: ProtocolRequest<T>): Promise<T> {
  try {
    const connection = await connectionFor(broker.connectionPool, req as ProtocolRequest<unknown>);
    return await connection.send(req);
  } catch (e) {
    if ((e as Error).name === 'KafkaJSConnectionClosedError') await broker.disconnect();
    throw e;
  }
}
