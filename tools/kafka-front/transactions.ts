// The transaction coordinator's part that librdkafka's mock broker (2.0.2) leaves out, played by
// the front on the frames it forwards (issue #11 items 5 and 9).
//
// Evidence (librdkafka src/rdkafka_mock_handlers.c, and runs against .build/mock_kafka): the mock
// accepts InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, but
// - EndTxn writes no COMMIT/ABORT control batch to the partitions of the transaction;
// - Fetch answers LastStableOffset = the partition's end offset and an empty AbortedTransactions
//   array whatever the isolation level, and ListOffsets ignores the isolation level;
// - TxnOffsetCommit stores nothing (measured: after the commit, OffsetFetch answers -1);
// - it fences nothing: every InitProducerId gets a new producer id with epoch 0, and the previous
//   producer of the same transactional id goes on sending and commits (measured with kafkajs).
// So through the bare mock `kcat -X isolation.level=read_committed` reads aborted and still-open
// transactional records (measured: a topic with c1 c2 committed, a1 aborted, open1 open reads back
// all four). test/kafka-front-transactions.test.ts fails on each of these with `transactions: false`.
// What the mock does store: an OffsetCommit outside any generation (generation -1, member id '')
// for a group without members; OffsetFetch then answers its offsets (measured, OffsetCommit v2).
//
// What this layer does, as Kafka's coordinator and partition leaders do (KIP-98):
// - learns from transactional Produce answers where each producer's open transaction begins on
//   each partition, and from AddPartitionsToTxn which partitions a transaction holds;
// - on a successful EndTxn, writes the COMMIT/ABORT control batch to every partition of the
//   transaction (a plain Produce: the mock checks a batch only when the request carries a
//   transactional id, so it stores the marker byte for byte) and only then lets the answer reach
//   the client, so a transaction is complete when its producer hears so;
// - on InitProducerId for a transactional id whose previous producer left a transaction open
//   (a crashed producer), aborts that transaction first, as the coordinator fences it;
// - holds TxnOffsetCommit offsets and commits them to the group (OffsetCommit outside any
//   generation) when the transaction commits;
// - rewrites Fetch answers: LastStableOffset = first offset of the earliest open transaction (else
//   the high watermark), the aborted transactions overlapping the fetch, and for READ_COMMITTED no
//   batch at or beyond the LSO; ListOffsets latest under READ_COMMITTED answers the LSO.
// - fences: once a transactional id has a new producer (InitProducerId), or its transaction timed
//   out, the old producer's transactional requests get INVALID_PRODUCER_EPOCH instead of reaching
//   the mock;
// - aborts a transaction open longer than the timeout its producer asked for in InitProducerId
//   (transaction_timeout_ms; kafkajs's transactionTimeout, default 60 s), as the coordinator does.
import { decodeApiVersionsResponse, encodeApiVersionsResponse, setApiVersions, UNSUPPORTED_VERSION } from './codecs.ts';
import { ApiKey } from './frames.ts';
import type { FrontControl, FrontHook, HookFactory } from './hooks.ts';
import {
  fencedAnswer, MARKER_PRODUCE_VERSION, OFFSET_COMMIT_VERSION, READ_COMMITTED, batches, controlBatch, offsetCommitRequest, produceRequest, readTxnRequestHead,
  readAddPartitionsToTxnResponse, readEndTxnRequest, readErrorAfterThrottle, readFetchRequest, readInitProducerIdRequest, readInitProducerIdResponse,
  readListOffsetsRequest, readPartitionErrors, readProduceRequest, readProduceResponse, readTxnOffsetCommitRequest, rewriteFetchResponse,
  rewriteListOffsetsResponse, tpKey, type AbortedTxn, type FetchFix, type FetchedPartition, type GroupOffset, type MarkerType, type TopicPartition, type TxnRequestHead,
} from './txn-protocol.ts';

/** What the coordinator needs from the front: its own requests to the mock's brokers. */
export interface CoordinatorLink {
  /** Sends a request (body after the header) to the leader of `tp`; resolves to the answer's body. */
  toLeader(tp: TopicPartition, apiKey: number, version: number, body: Buffer): Promise<Buffer>;
  /** Sends a request to broker `nodeId` of the mock. */
  toBroker(nodeId: number, apiKey: number, version: number, body: Buffer): Promise<Buffer>;
}

/** A request on its way to the mock, body after the header. */
export interface Outgoing { apiKey: number; version: number; request: Buffer }
/** A forwarded request and its answer, bodies after their headers. */
export interface Exchange extends Outgoing { response: Buffer; /** the mock broker that answered */ nodeId: number }

/**
 * The highest version of each api this layer reads, advertised in ApiVersions so no client sends a
 * newer one (the mock 2.0.2 offers no more than these anyway; measured through the front: kafkajs
 * 2.2.4 and librdkafka 2.0.2 send Produce v7, Fetch v11, ListOffsets v2-v3, InitProducerId v1,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit v1). v2 of the transaction apis
 * reads as v1; InitProducerId v2+ is flexible and read as such.
 */
const MAX_VERSIONS: Readonly<Record<number, number>> = {
  [ApiKey.Produce]: 7, [ApiKey.Fetch]: 11, [ApiKey.ListOffsets]: 5, [ApiKey.InitProducerId]: 4,
  [ApiKey.AddPartitionsToTxn]: 2, [ApiKey.AddOffsetsToTxn]: 2, [ApiKey.EndTxn]: 2, [ApiKey.TxnOffsetCommit]: 2,
};

/** Produce errors after which a later attempt may succeed: the leader moved, is not elected yet, or is short of replicas. */
const RETRIABLE = new Set([5, 6, 7, 19, 20]); // LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS(_AFTER_APPEND)
/** How long a marker is retried before the EndTxn (or InitProducerId) that wrote it fails. */
const MARKER_RETRY_MS = 30_000;

/** Kafka producers' default transaction.timeout.ms, for a transactional id whose InitProducerId the front did not see. */
const DEFAULT_TXN_TIMEOUT_MS = 60_000;

interface Txn {
  producerId: bigint;
  producerEpoch: number;
  partitions: Map<string, TopicPartition>;
  /** TxnOffsetCommit offsets, per group, applied at commit; with the group coordinator that took them. */
  offsets: Map<string, { nodeId: number; offsets: Map<string, GroupOffset> }>;
  /** Aborts it when its producer's transaction timeout passes. */
  timer: NodeJS.Timeout;
}

/** The current producer of a transactional id; `fenced` once its transaction timed out. */
interface CurrentProducer { producerId: bigint; producerEpoch: number; timeoutMs: number; fenced: boolean }

/** A partition's transaction index, as a Kafka partition leader keeps it. */
class PartitionTxns {
  /** producer id → first offset of its open transaction. */
  readonly open = new Map<bigint, bigint>();
  /** producer id → offset of the last marker written for it. */
  readonly lastMarker = new Map<bigint, bigint>();
  readonly aborted: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }[] = [];

  lastStable(highWatermark: bigint): bigint {
    let lso = highWatermark;
    for (const first of this.open.values()) if (first < lso) lso = first;
    return lso;
  }
}

export class TransactionCoordinatorError extends Error {}

export class TransactionCoordinator {
  private readonly txns = new Map<string, Txn>();
  private readonly producers = new Map<string, CurrentProducer>();
  private readonly partitions = new Map<string, PartitionTxns>();
  private waiters: (() => void)[] = [];

  /** `onError` hears what fails outside any client's request: aborting a timed-out transaction. */
  constructor(private readonly link: CoordinatorLink, private readonly onError: (e: Error) => void) {}

  /** An answer of the coordinator's own for a fenced producer's request, else undefined (forward it). */
  onRequest(x: Outgoing): Buffer | undefined {
    const head = this.txnHead(x);
    if (!head) return undefined;
    const p = this.producers.get(head.transactionalId);
    if (!p || (!p.fenced && p.producerId === head.producerId && p.producerEpoch === head.producerEpoch)) return undefined;
    return fencedAnswer(x.apiKey, x.version, x.request) ?? undefined;
  }

  private txnHead(x: Outgoing): TxnRequestHead | null {
    switch (x.apiKey) {
      case ApiKey.Produce: {
        const req = readProduceRequest(x.version, x.request), b = req.batches[0];
        return req.transactionalId !== null && b ? { transactionalId: req.transactionalId, producerId: b.producerId, producerEpoch: b.producerEpoch } : null;
      }
      case ApiKey.AddPartitionsToTxn: case ApiKey.AddOffsetsToTxn: case ApiKey.EndTxn: return readTxnRequestHead(x.request);
      case ApiKey.TxnOffsetCommit: return readTxnOffsetCommitRequest(x.version, x.request);
      default: return null;
    }
  }

  /** Stops the transaction timers (the front is stopping). */
  close(): void {
    for (const t of this.txns.values()) clearTimeout(t.timer);
  }

  /** The answer to forward for `x` (its body, after the header): rewritten, or as the mock gave it. */
  async onResponse(x: Exchange): Promise<Buffer> {
    switch (x.apiKey) {
      case ApiKey.Produce: this.produced(x); return x.response;
      case ApiKey.AddPartitionsToTxn: this.added(x); return x.response;
      case ApiKey.TxnOffsetCommit: this.offsetsHeld(x); return x.response;
      case ApiKey.EndTxn: await this.ended(x); return x.response;
      case ApiKey.InitProducerId: await this.initialized(x); return x.response;
      case ApiKey.Fetch: return x.version >= 4 ? this.fetched(x) : x.response;
      case ApiKey.ListOffsets: return this.listed(x);
      case ApiKey.ApiVersions: return capVersions(x);
      default: return x.response;
    }
  }

  private index(tp: TopicPartition): PartitionTxns {
    const k = tpKey(tp.topic, tp.partition);
    let p = this.partitions.get(k);
    if (!p) this.partitions.set(k, (p = new PartitionTxns()));
    return p;
  }

  private txn(transactionalId: string, producerId: bigint, producerEpoch: number): Txn {
    let t = this.txns.get(transactionalId);
    if (!t || t.producerId !== producerId || t.producerEpoch !== producerEpoch) {
      if (t) clearTimeout(t.timer);
      const timeoutMs = this.producers.get(transactionalId)?.timeoutMs ?? DEFAULT_TXN_TIMEOUT_MS;
      const started: Txn = { producerId, producerEpoch, partitions: new Map(), offsets: new Map(), timer: setTimeout(() => this.expire(transactionalId, started), timeoutMs) };
      started.timer.unref();
      this.txns.set(transactionalId, (t = started));
    }
    return t;
  }

  private produced(x: Exchange): void {
    const req = readProduceRequest(x.version, x.request);
    if (req.transactionalId === null || req.acks === 0) return;
    const sent = new Map(req.batches.map((b) => [tpKey(b.topic, b.partition), b]));
    for (const a of readProduceResponse(x.version, x.response)) {
      const b = sent.get(tpKey(a.topic, a.partition));
      if (a.errorCode !== 0 || !b?.transactional) continue;
      const t = this.txn(req.transactionalId, b.producerId, b.producerEpoch);
      t.partitions.set(tpKey(a.topic, a.partition), { topic: a.topic, partition: a.partition });
      const idx = this.index(a);
      if (!idx.open.has(b.producerId)) idx.open.set(b.producerId, a.baseOffset);
    }
  }

  private added(x: Exchange): void {
    const added = readAddPartitionsToTxnResponse(x.response);
    if (added.length === 0) return; // refused (a fenced producer's, answered by onRequest): its transactional id's state stays
    const req = readTxnRequestHead(x.request);
    const t = this.txn(req.transactionalId, req.producerId, req.producerEpoch);
    for (const tp of added) t.partitions.set(tpKey(tp.topic, tp.partition), tp);
  }

  private offsetsHeld(x: Exchange): void {
    const req = readTxnOffsetCommitRequest(x.version, x.request);
    if (readPartitionErrors(x.response, true).length === req.offsets.length) return; // none taken
    // A transaction may hold offsets and no records (AddOffsetsToTxn only): it begins here then.
    const t = this.txn(req.transactionalId, req.producerId, req.producerEpoch);
    const failed = new Set(readPartitionErrors(x.response, true).map((e) => tpKey(e.topic, e.partition)));
    let g = t.offsets.get(req.groupId);
    if (!g) t.offsets.set(req.groupId, (g = { nodeId: x.nodeId, offsets: new Map() }));
    for (const o of req.offsets) if (!failed.has(tpKey(o.topic, o.partition))) g.offsets.set(tpKey(o.topic, o.partition), o);
  }

  private async ended(x: Exchange): Promise<void> {
    if (readErrorAfterThrottle(x.response) !== 0) return;
    const req = readEndTxnRequest(x.request);
    const t = this.txns.get(req.transactionalId);
    if (!t || t.producerId !== req.producerId) return; // nothing was written in it through the front
    await this.complete(req.transactionalId, t, req.committed ? 'commit' : 'abort');
  }

  private async initialized(x: Exchange): Promise<void> {
    const { transactionalId, transactionTimeoutMs } = readInitProducerIdRequest(x.version, x.request);
    if (transactionalId === null) return;
    const res = readInitProducerIdResponse(x.version, x.response);
    if (res.errorCode !== 0) return;
    // From now on the previous producer of this id is fenced.
    this.producers.set(transactionalId, { producerId: res.producerId, producerEpoch: res.producerEpoch, timeoutMs: transactionTimeoutMs, fenced: false });
    const t = this.txns.get(transactionalId);
    // The previous producer of this id left a transaction open (it crashed, or was fenced
    // mid-transaction): abort it before the new producer hears its id.
    if (t && (t.partitions.size > 0 || t.offsets.size > 0)) await this.complete(transactionalId, t, 'abort');
  }

  /** The transaction timeout of `t` passed: fence its producer (its EndTxn would come too late) and abort it. */
  private expire(transactionalId: string, t: Txn): void {
    if (this.txns.get(transactionalId) !== t) return;
    const p = this.producers.get(transactionalId);
    if (p) p.fenced = true;
    else this.producers.set(transactionalId, { producerId: t.producerId, producerEpoch: t.producerEpoch, timeoutMs: DEFAULT_TXN_TIMEOUT_MS, fenced: true });
    this.complete(transactionalId, t, 'abort').catch((e: Error) => this.onError(e));
  }

  /** Writes the markers of `t`, records them in the partitions' indexes, applies its offsets on commit. */
  private async complete(transactionalId: string, t: Txn, type: MarkerType): Promise<void> {
    clearTimeout(t.timer);
    this.txns.delete(transactionalId);
    await Promise.all([...t.partitions.values()].map(async (tp) => {
      const at = await this.writeMarker(tp, t, type);
      const idx = this.index(tp), first = idx.open.get(t.producerId);
      idx.open.delete(t.producerId);
      idx.lastMarker.set(t.producerId, at);
      if (type === 'abort' && first !== undefined) idx.aborted.push({ producerId: t.producerId, firstOffset: first, lastOffset: at });
    }));
    if (type === 'commit') {
      for (const [groupId, g] of t.offsets) {
        const res = await this.link.toBroker(g.nodeId, ApiKey.OffsetCommit, OFFSET_COMMIT_VERSION, offsetCommitRequest(groupId, [...g.offsets.values()]));
        const failed = readPartitionErrors(res, false);
        if (failed.length) {
          throw new TransactionCoordinatorError(`committing the offsets of transaction '${transactionalId}' to group '${groupId}' failed: ` +
            failed.map((f) => `${f.topic}/${f.partition} error ${f.errorCode}`).join(', '));
        }
      }
    }
    for (const w of [...this.waiters]) w();
  }

  /**
   * Appends `t`'s marker to `tp` at its leader, retrying while the leader cannot take it (moved,
   * down, not yet elected), as a coordinator retries WriteTxnMarkers: a transaction must not stay
   * half-ended. A retry after an answer lost in transit may append the marker twice; readers skip
   * a second marker of a producer whose transaction already ended, so that is harmless.
   */
  private async writeMarker(tp: TopicPartition, t: Txn, type: MarkerType): Promise<bigint> {
    const body = produceRequest(tp, controlBatch(t.producerId, t.producerEpoch, type));
    const what = `the ${type} marker of producer ${t.producerId} to ${tp.topic}/${tp.partition}`;
    for (let attempt = 1, until = Date.now() + MARKER_RETRY_MS; ; attempt++) {
      let failure: string;
      try {
        const [a] = readProduceResponse(MARKER_PRODUCE_VERSION, await this.link.toLeader(tp, ApiKey.Produce, MARKER_PRODUCE_VERSION, body));
        if (a?.errorCode === 0) return a.baseOffset;
        if (a && !RETRIABLE.has(a.errorCode)) throw new TransactionCoordinatorError(`writing ${what} failed with Kafka error code ${a.errorCode}`);
        failure = a ? `Kafka error code ${a.errorCode}` : 'the broker answered for no partition';
      } catch (e) {
        if (e instanceof TransactionCoordinatorError) throw e;
        failure = (e as Error).message; // the leader's connection failed, or the mock names no leader
      }
      if (Date.now() >= until) throw new TransactionCoordinatorError(`writing ${what} failed ${attempt} times in ${MARKER_RETRY_MS / 1000} s, last with ${failure}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 25 * 2 ** attempt)));
    }
  }

  private async fetched(x: Exchange): Promise<Buffer> {
    const req = readFetchRequest(x.version, x.request);
    const committed = req.isolationLevel === READ_COMMITTED;
    let withheld = false, returned = false;
    const out = rewriteFetchResponse(x.version, x.response, (p) => {
      const f = this.fix(p, committed, req.fetchOffsets.get(tpKey(p.topic, p.partition)) ?? 0n);
      const size = p.records?.length ?? 0, kept = f.keepBytes ?? size;
      if (kept > 0) returned = true;
      else if (size > 0) withheld = true;
      return f;
    });
    // Every record the mock returned lies past an LSO: a broker would hold the Fetch for its max
    // wait time, not answer at once (the client would ask again at once, in a busy loop).
    if (committed && withheld && !returned) await this.changed(req.maxWaitMs);
    return out;
  }

  private fix(p: FetchedPartition, committed: boolean, fetchOffset: bigint): FetchFix {
    const idx = this.index(p);
    // A transaction whose Produce answer is still on its way to its producer is open already
    // (a leader moves its LSO when it appends): learn it from the log itself.
    for (const b of p.records ? batches(p.records, 0, p.records.length) : []) {
      if (b.transactional && !b.control && !idx.open.has(b.producerId) && (idx.lastMarker.get(b.producerId) ?? -1n) < b.baseOffset) {
        idx.open.set(b.producerId, b.baseOffset);
      }
    }
    const lastStableOffset = idx.lastStable(p.highWatermark);
    if (!committed) return { lastStableOffset, abortedTransactions: null, keepBytes: null };
    const abortedTransactions: AbortedTxn[] = idx.aborted
      .filter((a) => a.lastOffset >= fetchOffset && a.firstOffset < lastStableOffset)
      .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
    return { lastStableOffset, abortedTransactions, keepBytes: p.records ? bytesBefore(p.records, lastStableOffset) : null };
  }

  private listed(x: Exchange): Buffer {
    const req = readListOffsetsRequest(x.version, x.request);
    if (req.isolationLevel !== READ_COMMITTED || req.latest.size === 0) return x.response;
    return rewriteListOffsetsResponse(x.version, x.response, (tp, offset) =>
      req.latest.has(tpKey(tp.topic, tp.partition)) ? this.index(tp).lastStable(offset) : offset);
  }

  /** Resolves when a transaction ends, or after `ms`. */
  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.push(done);
    });
  }
}

/** How many bytes of the record set `b` a READ_COMMITTED reader gets: those before the first batch at or past `lso`. */
function bytesBefore(b: Buffer, lso: bigint): number {
  for (let p = 0; p + 12 <= b.length; p += 12 + b.readInt32BE(p + 8)) {
    if (b.readBigInt64BE(p) >= lso) return p;
  }
  return b.length; // a partial batch at the end that began before the LSO stays, as the broker sent it
}

function capVersions(x: Exchange): Buffer {
  const a = decodeApiVersionsResponse(x.version, x.response);
  if (a.errorCode === UNSUPPORTED_VERSION) return x.response; // the client asks again in v0
  for (const r of [...a.apis]) {
    const max = MAX_VERSIONS[r.apiKey];
    if (max !== undefined && r.maxVersion > max) setApiVersions(a, { ...r, maxVersion: max });
  }
  return encodeApiVersionsResponse(x.version, a);
}

/**
 * The front hook: every answer passes through the coordinator. Markers go to each partition's
 * leader as the mock names it now; held group offsets to the broker that took the TxnOffsetCommit
 * (the group's coordinator, which the client found).
 */
export const transactions: HookFactory = (front: FrontControl): FrontHook => {
  const c = new TransactionCoordinator({
    toLeader: async (tp, apiKey, version, body) => front.send(await front.leaderOf(tp.topic, tp.partition), apiKey, version, body),
    toBroker: (nodeId, apiKey, version, body) => front.send(nodeId, apiKey, version, body),
  }, (e) => process.emitWarning(`kafka-front transactions: ${e.message}`));
  return {
    onRequest: (req) => c.onRequest({ apiKey: req.apiKey, version: req.apiVersion, request: req.body }),
    close: () => c.close(),
    onResponse: (req, res) => c.onResponse({ apiKey: req.apiKey, version: req.apiVersion, request: req.body, response: res.body, nodeId: req.connection.brokerId }),
  };
};
