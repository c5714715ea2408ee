import { struct, binary, string, int, long, timestamp, type Struct } from '../../data/types.ts';
import { DataError, SourceError } from '../../errors.ts';
import * as A from 'apache-arrow';
import { makeBatch, type Batch } from '../../data/batch.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { ReadLimit, Source } from '../source.ts';
import { KafkaClient, type KafkaClientOptions, codecFor, decodeLegacy } from '../../kafka/kafka-client.ts';
import { KafkaRetry } from '../../kafka/kafka-retry.ts';
import type { KafkaReader } from '../../kafka/shared-client.ts';
import { kafkaHeadersType } from '../../kafka/header-columns.ts';
import { CorruptBatchError, type FetchedRecord, ProtocolError, type RawPartition, RecordColumns, type RecordSetScan, decodeRecordSet, scanRecordSet } from '../../kafka/protocol.ts';
import type { KafkaOptions } from './kafka-options.ts';
import { type KafkaOffsets, forEachPartition, getOffset, rateLimit, sameOffsets, setOffset } from './offsets.ts';

const baseSchema: Struct = struct({
  key: binary, value: binary, topic: string, partition: int, offset: long, timestamp: timestamp, timestampType: int,
});
const withHeaders: Struct = baseSchema.add('headers', kafkaHeadersType);

/** Spark's Kafka source schema; `headers` last with includeHeaders, as Spark's KafkaRecordToRowConverter. */
export function kafkaSchema(includeHeaders: boolean): Struct {
  return includeHeaders ? withHeaders : baseSchema;
}

export class KafkaSource implements Source {
  readonly schema: Struct;
  readonly description: string;
  private readonly client: KafkaReader;
  private warnings: string[] = [];
  private readonly retry: KafkaRetry;

  /** `client`: the process's shared one (kafka/shared-client.ts) for a scale-out task; else the source's own. */
  constructor(private readonly o: KafkaOptions, resuming = false, client?: KafkaReader) {
    this.client = client ?? new KafkaClient(kafkaClientOptions(o));
    this.retry = new KafkaRetry(o, resuming, () => this.client.reset());
    this.schema = kafkaSchema(o.includeHeaders);
    const what = o.subscribe ? `Subscribe[${o.subscribe.join(',')}]` : o.subscribePattern ? `SubscribePattern[${o.subscribePattern.source}]` : `Assign[${JSON.stringify(o.assign)}]`;
    this.description = `KafkaV2[${what}]`;
  }

  /** Retries broker failures within fetchOffset.retryTimeoutMs; waits are said on stderr (kafka-retry.ts). */
  private retrying<T>(what: string, fn: () => Promise<T>): Promise<T> { return this.retry.run(what, fn); }

  private async partitions(): Promise<Map<string, number[]>> {
    const o = this.o;
    if (o.subscribePattern) throw new SourceError('subscribePattern is not supported yet; list the topics with subscribe.');
    const names = o.subscribe ?? Object.keys(o.assign!);
    const option = o.subscribe ? 'subscribe' : 'assign';
    const found = await this.client.partitions(names);
    const missing = names.filter((t) => !found.has(t));
    if (missing.length) {
      throw new SourceError(`Kafka topic(s) ${missing.map((t) => `'${t}'`).join(', ')} do not exist on ${o.servers.join(',')} (option ${option}). Create them first.`);
    }
    if (!o.assign) return found;
    for (const [t, ps] of Object.entries(o.assign)) {
      const bad = ps.filter((p) => !found.get(t)!.includes(p));
      if (bad.length) throw new SourceError(`Kafka topic '${t}' has no partition ${bad.join(', ')} (option assign); it has ${found.get(t)!.join(', ')}.`);
    }
    return new Map(Object.entries(o.assign));
  }

  async initialOffset(): Promise<KafkaOffsets> {
    return this.retrying('reading starting offsets', async () => {
      const parts = await this.partitions();
      const so = this.o.startingOffsets;
      if (so === 'earliest' || so === 'latest') return this.client.offsets(parts, so === 'earliest');
      const earliest = await this.client.offsets(parts, true), latest = await this.client.offsets(parts, false);
      const out: KafkaOffsets = {};
      for (const [t, ps] of parts) for (const p of ps) {
        const v = so[t]?.[String(p)];
        if (v === undefined) {
          throw new SourceError(`startingOffsets ${JSON.stringify(so)} gives no offset for topic '${t}' partition ${p}; list every partition (-2 = earliest, -1 = latest).`);
        }
        setOffset(out, t, String(p), v === -2 ? earliest[t]![String(p)]! : v === -1 ? latest[t]![String(p)]! : v);
      }
      return out;
    });
  }

  /** The partitions the last availableOffset() found. */
  private knownPartitions: Map<string, number[]> | null = null;

  /**
   * The latest offsets of every partition the metadata lists now. The Metadata request and the
   * ListOffsets of the partitions known so far go out together: one broker round trip per trigger
   * (and per idle poll) instead of two back to back. Only when the metadata shows other partitions
   * (added ones), or the early ListOffsets failed (a moved leader), is ListOffsets asked again for
   * what the metadata lists.
   */
  async availableOffset(): Promise<KafkaOffsets> {
    return this.retrying('reading latest offsets', async () => {
      const known = this.knownPartitions;
      const early = known && this.client.offsets(known, false).catch(() => null);
      const parts = await this.partitions();
      this.knownPartitions = parts;
      const offsets = early && await early;
      return offsets && samePartitions(parts, known!) ? offsets : this.client.offsets(parts, false);
    });
  }

  async latestOffset(startRaw: unknown, limit: ReadLimit, bound?: unknown): Promise<KafkaOffsets> {
    const start = startRaw as KafkaOffsets;
    let latest = await this.availableOffset();
    this.lastAvailable = latest;
    if (bound) {
      const b = bound as KafkaOffsets;
      const capped: KafkaOffsets = {};
      forEachPartition(latest, (t, p, v) => setOffset(capped, t, p, Math.min(v, getOffset(b, t, p) ?? getOffset(start, t, p) ?? v)));
      latest = capped;
    }
    // New partitions start at their earliest offset, as in Spark.
    const fresh: KafkaOffsets = {};
    forEachPartition(latest, (t, p) => { if (getOffset(start, t, p) === undefined) setOffset(fresh, t, p, 0); });
    const base: KafkaOffsets = JSON.parse(JSON.stringify(start)) as KafkaOffsets;
    forEachPartition(fresh, (t, p, v) => setOffset(base, t, p, v));
    // A latest offset below the start (the topic was deleted and recreated, or an unclean leader
    // election) is kept, as in Spark: getBatch reports it as data loss, and with failOnDataLoss=false
    // the partition goes on from its new position.
    return limit === 'default' && this.o.maxOffsetsPerTrigger !== undefined ? rateLimit(base, latest, this.o.maxOffsetsPerTrigger) : latest;
  }

  private lastAvailable: KafkaOffsets | undefined;
  reportLatestOffset(): KafkaOffsets | undefined { return this.lastAvailable; }

  /** Spark's Kafka metrics: offsets behind latest, over partitions (strings, as Spark reports them). */
  metrics(endRaw: unknown, latestRaw: unknown): Record<string, string> {
    const end = endRaw as KafkaOffsets, latest = latestRaw as KafkaOffsets | undefined;
    if (!latest) return {};
    const behind: number[] = [];
    forEachPartition(latest, (t, p, v) => behind.push(Math.max(0, v - (getOffset(end, t, p) ?? 0))));
    if (behind.length === 0) return {};
    const sum = behind.reduce((a, b) => a + b, 0);
    return {
      avgOffsetsBehindLatest: String(sum / behind.length), maxOffsetsBehindLatest: String(Math.max(...behind)),
      minOffsetsBehindLatest: String(Math.min(...behind)),
    };
  }

  sameOffset(a: unknown, b: unknown): boolean { return sameOffsets(a as KafkaOffsets, b as KafkaOffsets); }

  drainWarnings(): string[] { const w = this.warnings; this.warnings = []; return w; }

  private dataLoss(msg: string): void {
    if (this.o.failOnDataLoss) {
      throw new DataError(`${msg}. Some data may have been lost because it is no longer available in Kafka (retention, or the topic was deleted). `
        + `If you want the query to go on, set option failOnDataLoss to false.`);
    }
    this.warnings.push(`${msg}; failOnDataLoss is false, so the query goes on from the earliest available offset.`);
  }

  async getBatch(startRaw: unknown, endRaw: unknown): Promise<Batch[]> {
    const chunks: Batch[] = [];
    await this.readBatch(startRaw, endRaw, (c) => { chunks.push(c); });
    return chunks;
  }

  async readBatch(startRaw: unknown, endRaw: unknown, onChunk: (chunk: Batch) => void): Promise<void> {
    const start = startRaw as KafkaOffsets, end = endRaw as KafkaOffsets;
    // The first fetch round goes out with the ListOffsets of the earliest offsets, from where the last
    // batch ended: one broker round trip less per batch. It is used only if the earliest offsets leave
    // every position where it was (no data lost, no new partition); else it is dropped unread. Only
    // once availableOffset() has run: the client then knows the topics' leaders (no lookup to race).
    const guess = this.knownPartitions ? planPositions(start, end, null) : null;
    const guessGroups = guess && splitPipelines(guess);
    const early = guessGroups?.map((g) => this.client.fetchRaw([...g.values()].map(at), FETCH_PARTITION_MAX_BYTES, FETCH_MAX_BYTES).catch(() => null));
    const earliest = await this.retrying('reading earliest offsets', async () => {
      const parts = new Map<string, number[]>();
      forEachPartition(end, (t, p) => { const l = parts.get(t) ?? []; l.push(Number(p)); parts.set(t, l); });
      return parts.size ? this.client.offsets(parts, true) : {};
    });
    forEachPartition(start, (t, p) => { if (getOffset(end, t, p) === undefined) this.dataLoss(`Topic '${t}' partition ${p} is gone`); });
    const pos = planPositions(start, end, earliest, (msg) => this.dataLoss(msg))!;
    // Fetch rounds, pipelined: as soon as a response is in, its batch headers give each partition's next
    // position, the next round is sent, and this one is decoded (into columns) while the broker works.
    // Partitions are split over FETCH_PIPELINES such loops, so the broker always has a request queued.
    // Each chunk goes to onChunk (the query) at once, while the loop's next round is in flight.
    const groups = splitPipelines(pos);
    const first = early && samePositions(guess!, pos) ? early : undefined;
    let failed = false; // one loop failing stops the others at their next round
    const pipeline = async (mine: Map<string, Position>, i: number): Promise<void> => {
      try { await loop(mine, first?.[i]); } catch (e) { failed = true; throw e; }
    };
    const loop = async (mine: Map<string, Position>, early?: Promise<RawPartition[] | null>): Promise<void> => {
      let idleRounds = 0;
      const fetchRound = (): Promise<RawPartition[]> => {
        const positions = [...mine.values()].map(at);
        const r = this.retrying('fetch', () => this.client.fetchRaw(positions, FETCH_PARTITION_MAX_BYTES, FETCH_MAX_BYTES));
        r.catch(() => undefined); // awaited below; never an unhandled rejection if decoding throws first
        return r;
      };
      // A failed early round is asked again through the retries.
      let inflight: Promise<RawPartition[]> | null = !mine.size ? null : early ? early.then((r) => r ?? fetchRound()) : fetchRound();
      while (inflight) {
        const res = await inflight;
        const work: RoundPart[] = [];
        for (const raw of res) {
          const key = `${raw.topic}:${raw.partition}`, p = mine.get(key);
          if (!p) continue;
          const scan = raw.decoded ? scanDecoded(raw.decoded) : scanRecordSet(raw.buf, raw.start, raw.end);
          if (scan.nextOffset <= p.offset) continue;
          const to = Math.min(scan.nextOffset, p.end);
          work.push({ raw, scan, from: p.offset, to });
          p.offset = to;
          if (to >= p.end) mine.delete(key);
        }
        inflight = mine.size && !failed ? fetchRound() : null;
        if (work.length) {
          idleRounds = 0;
          for (const chunk of await decodeRound(work, this.o.includeHeaders)) if (!failed) onChunk(chunk);
        } else if (++idleRounds > 50) {
          const left = [...mine.values()].map((p) => `topic '${p.topic}' partition ${p.partition} offsets [${p.offset}, ${p.end})`).join('; ');
          throw new SourceError(`Kafka returned no records for ${left} after ${idleRounds} fetches; the broker may be unhealthy.`);
        }
      }
    };
    // allSettled first: a failing pipeline must not leave the others running unobserved.
    const results = await Promise.allSettled(groups.map(pipeline));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  async stop(): Promise<void> { this.retry.stop(); await this.client.close(); }
}

function samePartitions(a: ReadonlyMap<string, readonly number[]>, b: ReadonlyMap<string, readonly number[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [t, ps] of a) {
    const qs = b.get(t);
    if (!qs || qs.length !== ps.length || ps.some((p, i) => p !== qs[i])) return false;
  }
  return true;
}

/** Per partition and fetch round: at most this many bytes (the broker returns at least one batch). */
const FETCH_PARTITION_MAX_BYTES = 8 << 20;
/** Per fetch response (one per leader). */
const FETCH_MAX_BYTES = 32 << 20;

interface Position { topic: string; partition: number; offset: number; end: number }

const at = (p: Position): { topic: string; partition: number; offset: number } => ({ topic: p.topic, partition: p.partition, offset: p.offset });

/**
 * Where each partition's read of [start, end) begins, by the earliest offsets Kafka still has: a
 * partition added since the last batch from its earliest offset, a range partly gone from the
 * earliest (both as in Spark; `loss` is told). With `earliest` null, the positions as if nothing
 * were gone, or null when a partition has no start (it needs the earliest offsets).
 */
function planPositions(start: KafkaOffsets, end: KafkaOffsets, earliest: KafkaOffsets | null, loss?: (msg: string) => void): Map<string, Position> | null {
  const pos = new Map<string, Position>();
  let complete = true;
  forEachPartition(end, (t, p, e) => {
    const low = earliest ? getOffset(earliest, t, p) ?? 0 : -Infinity;
    const from = getOffset(start, t, p);
    if (from === undefined && !earliest) { complete = false; return; }
    let s = from ?? low;
    if (e < s) { loss?.(`Topic '${t}' partition ${p}: offset ${e} is below the previous ${s}`); return; }
    if (s < low && s < e) {
      loss?.(`Topic '${t}' partition ${p}: offsets ${s} to ${Math.min(low, e) - 1} (range [${s}, ${Math.min(low, e)})) are no longer in Kafka, whose earliest offset is now ${low}`);
      s = Math.min(low, e);
    }
    if (s < e) pos.set(`${t}:${p}`, { topic: t, partition: Number(p), offset: s, end: e });
  });
  return complete ? pos : null;
}

/** The partitions over at most FETCH_PIPELINES fetch loops. */
function splitPipelines(pos: ReadonlyMap<string, Position>): Map<string, Position>[] {
  const all = [...pos.values()], n = Math.min(FETCH_PIPELINES, all.length);
  const groups = Array.from({ length: n }, () => new Map<string, Position>());
  all.forEach((p, i) => groups[i % n]!.set(`${p.topic}:${p.partition}`, p));
  return groups;
}

function samePositions(a: ReadonlyMap<string, Position>, b: ReadonlyMap<string, Position>): boolean {
  if (a.size !== b.size) return false;
  const bs = [...b];
  return [...a].every(([k, p], i) => bs[i]![0] === k && bs[i]![1].offset === p.offset && bs[i]![1].end === p.end);
}

/**
 * Concurrent fetch loops per getBatch (partitions split between them). With one loop the broker
 * idles while a response travels and is scanned; two kept getBatch of 1M records at ~0.4 s
 * instead of ~0.9 s on the mock broker, four were slower again.
 */
const FETCH_PIPELINES = 2;

interface RoundPart { raw: RawPartition; scan: RecordSetScan; from: number; to: number }

function scanDecoded(records: FetchedRecord[]): RecordSetScan {
  const last = records[records.length - 1];
  return { nextOffset: last ? Number(last.offset) + 1 : -1, records: records.length, bytes: 0, compressed: false, legacy: true };
}

/**
 * The records of one fetch round, [from, to) of each partition, into chunks of the Kafka schema:
 * one per Fetch response. Where a response holds only uncompressed record batches, the values
 * are compacted inside the response buffer itself (no copy of the bulk of the data).
 */
async function decodeRound(work: RoundPart[], includeHeaders: boolean): Promise<Batch[]> {
  const byResponse = new Map<Buffer, RoundPart[]>();
  for (const w of work) {
    const l = byResponse.get(w.raw.buf);
    if (l) l.push(w); else byResponse.set(w.raw.buf, [w]);
  }
  const chunks: Batch[] = [];
  for (const [buf, parts] of byResponse) {
    let rows = 0, bytes = 0, inPlace = buf.length > 0;
    for (const w of parts) {
      rows += Math.min(w.scan.records, w.to - w.from);
      bytes += w.scan.bytes;
      if (w.raw.decoded || w.scan.legacy || w.scan.compressed) inPlace = false;
    }
    const out = new RecordColumns(rows, bytes, inPlace ? { buf, start: parts[0]!.raw.start } : undefined, includeHeaders);
    for (const { raw, scan, from, to } of parts) {
      out.beginTopic(raw.topic);
      try {
        if (raw.decoded || scan.legacy) appendDecoded(out, raw.partition, from, to, raw.decoded ?? await decodeLegacy(raw));
        else await decodeRecordSet(raw.buf, raw.start, raw.end, { partition: raw.partition, from, to, abortedTransactions: raw.abortedTransactions }, out, codecFor);
      } catch (e) {
        if (e instanceof CorruptBatchError) throw corruptBatch(raw.topic, raw.partition, e);
        if (!(e instanceof ProtocolError)) throw e;
        throw new SourceError(`Kafka returned malformed records for topic '${raw.topic}' partition ${raw.partition} (offsets from ${from}): ${e.message}.`, { cause: e });
      }
    }
    if (out.length) chunks.push(toBatch(out));
  }
  return chunks;
}

/**
 * A compressed batch that cannot be read fails the query: skipping it would lose its records
 * without a trace. The message says where it is and how a user who accepts the loss gets past it.
 */
function corruptBatch(topic: string, partition: number, e: CorruptBatchError): SourceError {
  const skipTo = JSON.stringify({ [topic]: { [String(partition)]: e.lastOffset + 1 } });
  return new SourceError(`Kafka topic '${topic}' partition ${partition}: ${e.message}. `
    + `The batch is damaged as stored (or was written by a faulty producer codec); sluice does not skip it, since that would lose its records silently. `
    + `Check the producer's compression library and the broker's log segment for offset ${e.baseOffset}; `
    + `a read of the same offsets with another client (e.g. kcat -C -t ${topic} -p ${partition} -o ${e.baseOffset} -c 1) shows whether the data or the reader is at fault. `
    + `To go on without offsets ${e.baseOffset} to ${e.lastOffset}, start the query with a new checkpoint and startingOffsets ${skipTo} `
    + `(with the other partitions' offsets added from the current checkpoint's last offsets/<N> file).`, { cause: e });
}

function appendDecoded(out: RecordColumns, partition: number, from: number, to: number, records: FetchedRecord[]): void {
  for (const r of records) {
    if (r.isControlRecord) continue;
    const offset = Number(r.offset);
    if (offset < from || offset >= to) continue;
    out.append(partition, offset, Number(r.timestamp), r.batchContext?.timestampType ?? 0,
      r.key ?? EMPTY, 0, r.key ? r.key.length : -1, r.value ?? EMPTY, 0, r.value ? r.value.length : -1);
  }
}
const EMPTY = new Uint8Array(0);

/** A typed array trimmed to `used` elements: a view when that keeps most of it, else a copy (frees the rest). */
function fit<T extends Int32Array | Uint8Array>(a: T, used: number): T {
  return (used * 2 >= a.length ? a.subarray(0, used) : a.slice(0, used)) as T;
}

/** RecordColumns into Arrow columns (no copy of the bulk data unless the buffers are mostly empty). */
function toBatch(c: RecordColumns): Batch {
  const n = c.length, bitmapBytes = (n + 7) >> 3;
  const binary = (offsets: Int32Array, bytes: Uint8Array, used: number, valid: Uint8Array, nulls: number): A.Data => A.makeData({
    type: new A.Binary(), length: n, nullCount: nulls, nullBitmap: nulls ? fit(valid, bitmapBytes) : undefined,
    valueOffsets: fit(offsets, n + 1), data: fit(bytes, used),
  });
  // topic: one string per row, written once per run and doubled with copyWithin.
  const enc = new TextEncoder();
  const names = c.topicRuns.map(([t]) => enc.encode(t));
  let total = 0;
  c.topicRuns.forEach(([, rows], i) => { total += rows * names[i]!.length; });
  const topicBytes = new Uint8Array(Math.max(total, 1)), topicOffsets = new Int32Array(n + 1);
  let row = 0, pos = 0;
  c.topicRuns.forEach(([, rows], i) => {
    const name = names[i]!, w = name.length;
    if (rows === 0) return;
    topicBytes.set(name, pos);
    for (let filled = 1; filled < rows;) { const k = Math.min(filled, rows - filled); topicBytes.copyWithin(pos + filled * w, pos, pos + k * w); filled += k; }
    for (let r = 0; r < rows; r++) topicOffsets[row + r + 1] = pos + (r + 1) * w;
    row += rows;
    pos += rows * w;
  });
  const int64 = (pairs: Int32Array): BigInt64Array => {
    const a = fit(pairs, 2 * n);
    return new BigInt64Array(a.buffer, a.byteOffset, n);
  };
  const columns = [
    binary(c.keyOffsets, c.keyBytes, c.keyByteLength, c.keyValid, c.keyNulls),
    binary(c.valueOffsets, c.valueBytes.subarray(c.valueBase), c.valueByteLength - c.valueBase, c.valueValid, c.valueNulls),
    A.makeData({ type: new A.Utf8(), length: n, nullCount: 0, valueOffsets: topicOffsets, data: topicBytes.subarray(0, total) }),
    primitiveColumn(int, fit(c.partitions, n), n), primitiveColumn(long, int64(c.offsets), n),
    primitiveColumn(timestamp, int64(c.timestamps), n), primitiveColumn(int, fit(c.timestampTypes, n), n),
  ];
  if (c.headers) columns.push(c.headers.finish());
  return makeBatch(kafkaSchema(c.headers !== null), columns, n);
}

/** The client settings of a Kafka source's options. */
export function kafkaClientOptions(o: KafkaOptions): KafkaClientOptions {
  return { servers: o.servers, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, security: o.security };
}
