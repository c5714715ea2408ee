import { createRequire } from 'node:module';
import { KafkaSecurityError } from '../errors.ts';
import type { BatchProducer } from './record-batch.ts';
import { type KafkaBroker, type KafkaClient, type KafkaCluster, sendRaw } from './kafka-client.ts';

/**
 * An idempotent or transactional Kafka producer on kafkajs's cluster layer, as the client of
 * kafka-client.ts reads: kafkajs's public producer hides the producer id and epoch (its
 * eosManager is internal), and exactly-once recovery must send EndTxn for the id and epoch a
 * crashed process recorded. kafkajs's Broker sends InitProducerId, AddPartitionsToTxn and EndTxn;
 * Produce requests carry record batches record-batch.ts encoded (the project's codecs).
 *
 * Sequence numbers run per partition from 0 after each InitProducerId, as the broker expects;
 * a request that fails in transit is sent again with the same bytes, so the broker drops a copy
 * it already has (idempotence).
 */

export interface ProducerIdentity { readonly producerId: bigint; readonly producerEpoch: number }

/** A run of records bound for one partition, encoded once its sequence number is known. */
export interface ProduceChunk {
  readonly count: number;
  encode(producer: BatchProducer): Buffer;
}

export interface PartitionWrite { readonly topic: string; readonly partition: number; readonly chunks: readonly ProduceChunk[] }

/** A partition's error answer to a Produce request (or a request that kept failing): which chunk. */
export class ProduceError extends Error {
  constructor(readonly topic: string, readonly partition: number, readonly chunk: number, readonly code: number, readonly errorName: string, detail: string) {
    super(detail);
  }
}

/** The coordinator's answer to EndTxn that says this producer id/epoch can no longer end its transaction. */
export type EndTxnOutcome = 'done' | 'fenced';

export interface ProducerOptions {
  /** null: idempotent only (no transactions). */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Total bytes of record batches in one Produce request (the producer's max.request.size). */
  readonly maxRequestBytes: number;
}

const PRODUCE_API_KEY = 0;
const PRODUCE_VERSION = 3; // transactional_id is in the request from v3 (Kafka 0.11); every broker since takes it.
const ATTEMPTS = 8;

const require = createRequire(import.meta.url);
const kafkajsRequire = createRequire(require.resolve('kafkajs'));
interface ProduceResponse { topics: { topicName: string; partitions: { partition: number; errorCode: number; baseOffset: string }[] }[] }
let produceResponse: { decode(b: Buffer): Promise<ProduceResponse> } | undefined;

/** Kafka error codes the producer handles by name. */
const ERR = {
  MESSAGE_TOO_LARGE: 10, DUPLICATE_SEQUENCE_NUMBER: 46, INVALID_PRODUCER_EPOCH: 47, PRODUCER_FENCED: 90,
} as const;
/** Partition errors after which the same batch may be sent again (leader moved, broker busy). */
const RETRIABLE = new Set([5, 6, 7, 8, 19, 20, 56]);
const NAMES: Record<number, string> = {
  1: 'OFFSET_OUT_OF_RANGE', 2: 'CORRUPT_MESSAGE', 3: 'UNKNOWN_TOPIC_OR_PARTITION', 5: 'LEADER_NOT_AVAILABLE', 6: 'NOT_LEADER_FOR_PARTITION',
  7: 'REQUEST_TIMED_OUT', 10: 'MESSAGE_TOO_LARGE', 17: 'INVALID_TOPIC_EXCEPTION', 18: 'RECORD_LIST_TOO_LARGE', 19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 29: 'TOPIC_AUTHORIZATION_FAILED', 45: 'OUT_OF_ORDER_SEQUENCE_NUMBER', 47: 'INVALID_PRODUCER_EPOCH',
  48: 'INVALID_TXN_STATE', 49: 'INVALID_PRODUCER_ID_MAPPING', 53: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 59: 'UNKNOWN_PRODUCER_ID',
  87: 'INVALID_RECORD', 90: 'PRODUCER_FENCED',
};
export const kafkaErrorName = (code: number): string => NAMES[code] ?? `error code ${code}`;

/** kafkajs's protocol error: its `type`, or for codes kafkajs 2.2.4 does not know (PRODUCER_FENCED, 90) the code in its message. */
function protocolType(e: unknown): string {
  const x = e as { type?: string; message?: string };
  const unknown = x.type === 'KAFKAJS_UNKNOWN_ERROR_CODE' && /Unknown error code (\d+)/.exec(x.message ?? '');
  return unknown ? kafkaErrorName(Number(unknown[1])) : x.type ?? '';
}
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP', 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
const BUSY = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT']);
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const isConnectionError = (e: unknown): boolean => /KafkaJS(Connection|RequestTimeout|ConnectionClosed)/.test((e as Error)?.name ?? '');
/**
 * The coordinator is to be looked up again: it moved or is not there yet, or its broker cannot be
 * reached. kafkajs says so in three shapes besides an error code: its FindCoordinator lookup giving
 * up ("Failed to find group coordinator", while the brokers come back from an outage), a connection
 * error, and its own retrier's give-up wrapping one of these (measured on the test broker: FindCoordinator
 * answering 15, and the broker down 3 s, each failed AddPartitionsToTxn at once before this).
 */
function coordinatorLost(e: unknown): boolean {
  const x = innermost(e);
  return COORDINATOR_MOVED.has(protocolType(x)) || isConnectionError(x) || (x as Error)?.name === 'KafkaJSGroupCoordinatorNotFound';
}

/** A broker that cannot be reached now (an outage), as kafkajs says it, possibly wrapped by its own retrier. */
const connectionLost = (e: unknown): boolean => isConnectionError(innermost(e));

/** The error kafkajs's retrier gave up on (KafkaJSNumberOfRetriesExceeded wraps it), else `e`. */
function innermost(e: unknown): unknown {
  let x = e as { name?: string; cause?: unknown; originalError?: unknown } | undefined;
  while (x?.name === 'KafkaJSNumberOfRetriesExceeded') x = (x.originalError ?? x.cause) as typeof x;
  return x;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number): Promise<void> => sleep(Math.min(1000, 50 * 2 ** attempt));

export class KafkaProducer {
  private id: ProducerIdentity | null = null;
  private readonly sequences = new Map<string, number>();
  private coordinator: KafkaBroker | null = null;
  /** A coordinator request succeeded: the address is right, so a connection that fails later is an outage. */
  private answered = false;

  constructor(private readonly client: KafkaClient, private readonly o: ProducerOptions) {}

  get identity(): ProducerIdentity | null { return this.id; }

  /**
   * InitProducerId: a new producer id/epoch (transactional: from the coordinator, which fences any
   * earlier holder of the transactional id and aborts its open transaction). Sequences restart at 0.
   */
  async init(): Promise<ProducerIdentity> {
    const tid = this.o.transactionalId;
    const res = await this.coordinated('InitProducerId', async (cluster) => {
      // An idempotent producer may ask any broker.
      if (!tid && cluster.getNodeIds().length === 0) await cluster.refreshMetadata();
      const broker = tid ? await this.coordinatorBroker(cluster) : await cluster.findBroker({ nodeId: cluster.getNodeIds()[0]! });
      return broker.initProducerId({ transactionalId: tid, transactionTimeout: this.o.transactionTimeoutMs });
    });
    this.id = { producerId: BigInt(res.producerId), producerEpoch: res.producerEpoch };
    this.sequences.clear();
    return this.id;
  }

  /** AddPartitionsToTxn: the partitions the transaction under way writes to. */
  async addPartitions(topics: { topic: string; partitions: number[] }[]): Promise<void> {
    const id = this.current(), tid = this.o.transactionalId!;
    await this.coordinated('AddPartitionsToTxn', async (cluster) => (await this.coordinatorBroker(cluster))
      .addPartitionsToTxn({ transactionalId: tid, producerId: String(id.producerId), producerEpoch: id.producerEpoch, topics }));
  }

  /**
   * EndTxn for `id` (default: this producer's): commit or abort its open transaction. 'fenced' when
   * the coordinator no longer knows that epoch (a later InitProducerId, or the transaction timed
   * out and was aborted); committing a transaction that already committed with that epoch is 'done'.
   */
  async endTxn(commit: boolean, id: ProducerIdentity = this.current()): Promise<EndTxnOutcome> {
    const tid = this.o.transactionalId!;
    try {
      await this.coordinated(commit ? 'EndTxn(commit)' : 'EndTxn(abort)', async (cluster) => (await this.coordinatorBroker(cluster))
        .endTxn({ transactionalId: tid, producerId: String(id.producerId), producerEpoch: id.producerEpoch, transactionResult: commit }));
      return 'done';
    } catch (e) {
      if (FENCED.has(protocolType(e))) return 'fenced';
      throw e;
    }
  }

  /**
   * Produce every chunk, in order per partition, one request at a time per leader (several
   * leaders at once). Resolves once every batch is acknowledged by all in-sync replicas (acks=-1).
   * `afterRound` runs after each round of requests (crash tests stop the process mid-batch there).
   */
  async produce(writes: readonly PartitionWrite[], afterRound?: () => void | Promise<void>): Promise<void> {
    const id = this.current(), transactional = this.o.transactionalId !== null;
    interface Queue { w: PartitionWrite; key: string; next: number; pending: Buffer | null; attempts: number; failingSince: number | null }
    const queues: Queue[] = writes.filter((w) => w.chunks.length).map((w) => ({ w, key: `${w.topic}\u0000${w.partition}`, next: 0, pending: null, attempts: 0, failingSince: null }));
    // A chunk that keeps failing with a retriable error is given up after ATTEMPTS tries and the request timeout, whichever is later (an outage).
    const spent = (q: Queue): boolean => {
      q.failingSince ??= Date.now();
      return this.outOfTime(q.attempts++, q.failingSince);
    };
    const cluster = await this.client.connectedCluster();
    let round = 0;
    while (queues.some((q) => q.next < q.w.chunks.length)) {
      const byLeader = new Map<string, Queue[]>();
      let stale = false;
      for (const q of queues) {
        if (q.next >= q.w.chunks.length) continue;
        const leader = Object.keys(cluster.findLeaderForPartitions(q.w.topic, [q.w.partition]))[0];
        if (leader === undefined) {
          if (spent(q)) throw new ProduceError(q.w.topic, q.w.partition, q.next, 5, 'LEADER_NOT_AVAILABLE', `no leader for topic '${q.w.topic}' partition ${q.w.partition}`);
          stale = true;
          continue;
        }
        let l = byLeader.get(leader);
        if (!l) byLeader.set(leader, (l = []));
        l.push(q);
      }
      await Promise.all([...byLeader].map(async ([nodeId, qs]) => {
        // One batch per partition per request, up to the request's byte budget (at least one batch).
        const batch: Queue[] = [];
        let bytes = 0;
        for (const q of qs) {
          if (!q.pending) {
            const seq = this.sequences.get(q.key) ?? 0;
            const chunk = q.w.chunks[q.next]!;
            q.pending = chunk.encode({ producerId: id.producerId, producerEpoch: id.producerEpoch, baseSequence: seq, transactional });
          }
          if (batch.length && bytes + q.pending.length > this.o.maxRequestBytes) break;
          batch.push(q);
          bytes += q.pending.length;
        }
        let answer: ProduceResponse;
        try {
          const broker = await cluster.findBroker({ nodeId });
          answer = await this.sendProduce(broker, batch.map((q) => ({ topic: q.w.topic, partition: q.w.partition, records: q.pending! })));
        } catch (e) {
          if (!isConnectionError(e)) throw e;
          for (const q of batch) if (spent(q)) throw new ProduceError(q.w.topic, q.w.partition, q.next, -1, 'NETWORK', (e as Error).message);
          stale = true;
          return;
        }
        for (const t of answer.topics) for (const p of t.partitions) {
          const q = batch.find((x) => x.w.topic === t.topicName && x.w.partition === p.partition);
          if (!q) continue;
          if (p.errorCode === 0 || p.errorCode === ERR.DUPLICATE_SEQUENCE_NUMBER) {
            this.sequences.set(q.key, (this.sequences.get(q.key) ?? 0) + q.w.chunks[q.next]!.count);
            q.next++; q.pending = null; q.attempts = 0; q.failingSince = null;
          } else if (RETRIABLE.has(p.errorCode) && !spent(q)) {
            stale = true;
          } else {
            throw new ProduceError(q.w.topic, q.w.partition, q.next, p.errorCode, kafkaErrorName(p.errorCode),
              `the broker answered ${kafkaErrorName(p.errorCode)} for topic '${q.w.topic}' partition ${q.w.partition}`);
          }
        }
      }));
      if (stale) { await backoff(round++); await cluster.refreshMetadata().catch(() => undefined); }
      await afterRound?.();
    }
  }

  private current(): ProducerIdentity {
    if (!this.id) throw new Error('KafkaProducer: init() first');
    return this.id;
  }

  private async coordinatorBroker(cluster: KafkaCluster): Promise<KafkaBroker> {
    this.coordinator ??= await cluster.findGroupCoordinator({ groupId: this.o.transactionalId!, coordinatorType: 1 });
    return this.coordinator;
  }

  /** A retried request gives up after ATTEMPTS tries and the request timeout, whichever is later (an outage shorter than it costs a wait). */
  private outOfTime(attempt: number, started: number): boolean {
    return attempt + 1 >= ATTEMPTS && Date.now() - started >= this.o.requestTimeoutMs;
  }

  private waited(started: number): string {
    return `; retried for ${Date.now() - started} ms, the request timeout (kafka.request.timeout.ms ${this.o.requestTimeoutMs})`;
  }

  /**
   * A request that is not the coordinator's (the sink's Metadata lookup before a transaction), with
   * the same outage rule: once this producer has been answered, a lost connection is waited out with
   * backoff for at least ATTEMPTS tries and the request timeout, as the coordinator's requests are.
   */
  async outageRetried<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const outOfTime = this.outOfTime(attempt, started);
        if (!this.answered || outOfTime || !connectionLost(e)) {
          if (outOfTime && e instanceof Error && !e.message.includes(what)) e.message = `${what}: ${e.message}${this.waited(started)}`;
          throw e;
        }
        await backoff(attempt);
      }
    }
  }

  /**
   * A coordinator request, sent again while the coordinator moves, loads, is unreachable or is busy
   * ending the previous transaction: as Kafka's Java producer (TransactionManager) retries these
   * errors with backoff, here within the request timeout (at least ATTEMPTS tries), so a broker outage
   * shorter than it costs a wait, not the batch.
   */
  private async coordinated<T>(what: string, fn: (cluster: KafkaCluster) => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let cluster: KafkaCluster;
      try {
        cluster = await this.client.connectedCluster();
      } catch (e) {
        // Never answered: a wrong address fails at once (its message names it); once answered, an outage is waited out.
        if (!this.answered || e instanceof KafkaSecurityError || this.outOfTime(attempt, started)) throw e;
        await backoff(attempt);
        continue;
      }
      try {
        const r = await fn(cluster);
        this.answered = true;
        return r;
      } catch (e) {
        const type = protocolType(e);
        const lost = coordinatorLost(e);
        const outOfTime = this.outOfTime(attempt, started);
        if (outOfTime || (!lost && !BUSY.has(type))) {
          if (e instanceof Error && !e.message.includes(what)) {
            e.message = `${what}: ${e.message}${type && !e.message.includes(type) ? ` (${type})` : ''}${outOfTime ? this.waited(started) : ''}`;
          }
          throw e;
        }
        if (lost) this.coordinator = null;
        await backoff(attempt);
      }
    }
  }

  private async sendProduce(broker: KafkaBroker, parts: { topic: string; partition: number; records: Buffer }[]): Promise<ProduceResponse> {
    const tid = this.o.transactionalId === null ? null : Buffer.from(this.o.transactionalId, 'utf8');
    const byTopic = new Map<string, { partition: number; records: Buffer }[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const names = [...byTopic.keys()].map((t) => Buffer.from(t, 'utf8'));
    let size = 2 + (tid?.length ?? 0) + 2 + 4 + 4;
    [...byTopic.values()].forEach((ps, i) => { size += 2 + names[i]!.length + 4; for (const p of ps) size += 4 + 4 + p.records.length; });
    const b = Buffer.allocUnsafe(size);
    let o = 0;
    o = b.writeInt16BE(tid ? tid.length : -1, o);
    if (tid) o += tid.copy(b, o);
    o = b.writeInt16BE(-1, o); // acks: all in-sync replicas (transactions and idempotence require it)
    o = b.writeInt32BE(this.o.requestTimeoutMs, o);
    o = b.writeInt32BE(byTopic.size, o);
    [...byTopic.values()].forEach((ps, i) => {
      o = b.writeInt16BE(names[i]!.length, o); o += names[i]!.copy(b, o);
      o = b.writeInt32BE(ps.length, o);
      for (const p of ps) { o = b.writeInt32BE(p.partition, o); o = b.writeInt32BE(p.records.length, o); o += p.records.copy(b, o); }
    });
    produceResponse ??= kafkajsRequire(`./src/protocol/requests/produce/v${PRODUCE_VERSION}/response`) as { decode(b: Buffer): Promise<ProduceResponse> };
    const decoder = produceResponse;
    return sendRaw(broker, {
      request: { apiKey: PRODUCE_API_KEY, apiVersion: PRODUCE_VERSION, apiName: 'Produce', encode: async () => ({ buf: b, buffer: b }) },
      response: { decode: (x: Buffer) => decoder.decode(x), parse: async (r: ProduceResponse) => r },
      requestTimeout: this.o.requestTimeoutMs,
    });
  }
}

export const MESSAGE_TOO_LARGE = ERR.MESSAGE_TOO_LARGE;
