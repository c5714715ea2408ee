import { struct, binary, string, int, long, timestamp, type Struct } from '../../api/types.ts';
import { DataError, SourceError } from '../../errors.ts';
import { makeBatch, type Batch } from '../../exec/batch.ts';
import { BytesBuilder, primitiveColumn } from '../../exec/builders.ts';
import type { ReadLimit, Source } from '../source.ts';
import { KafkaClient, type FetchedRecord } from './client.ts';
import type { KafkaOptions } from './options.ts';
import { type KafkaOffsets, forEachPartition, getOffset, rateLimit, sameOffsets, setOffset } from './offsets.ts';

/** Spark's Kafka source schema. */
export const kafkaSchema: Struct = struct({
  key: binary, value: binary, topic: string, partition: int, offset: long, timestamp: timestamp, timestampType: int,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KafkaSource implements Source {
  readonly schema = kafkaSchema;
  readonly description: string;
  private readonly client: KafkaClient;
  private warnings: string[] = [];
  private connectedOnce = false;

  constructor(private readonly o: KafkaOptions) {
    this.client = new KafkaClient({ servers: o.servers, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs });
    const what = o.subscribe ? `Subscribe[${o.subscribe.join(',')}]` : o.subscribePattern ? `SubscribePattern[${o.subscribePattern.source}]` : `Assign[${JSON.stringify(o.assign)}]`;
    this.description = `KafkaV2[${what}]`;
  }

  /**
   * Retry broker failures (leader moves, a broker down, timeouts) with capped backoff for
   * a bounded time; the first connection is not retried beyond kafkajs's own few tries,
   * so a wrong address fails fast.
   */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.o.retryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fn();
        this.connectedOnce = true;
        return r;
      } catch (e) {
        if (e instanceof DataError || !this.connectedOnce || Date.now() > deadline) {
          if (e instanceof SourceError || e instanceof DataError) throw e;
          throw new SourceError(`Kafka ${what} failed (servers ${this.o.servers.join(',')}): ${(e as Error).message}`, { cause: e });
        }
        await this.client.reset();
        await sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

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

  async availableOffset(): Promise<KafkaOffsets> {
    return this.retrying('reading latest offsets', async () => this.client.offsets(await this.partitions(), false));
  }

  async latestOffset(startRaw: unknown, limit: ReadLimit, bound?: unknown): Promise<KafkaOffsets> {
    const start = startRaw as KafkaOffsets;
    let latest = await this.availableOffset();
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
    // A partition never moves backwards within a query, even if the broker says so (that is data loss, found in getBatch).
    forEachPartition(latest, (t, p, v) => { const s = getOffset(base, t, p)!; if (v < s) setOffset(latest, t, p, s); });
    return limit === 'default' && this.o.maxOffsetsPerTrigger !== undefined ? rateLimit(base, latest, this.o.maxOffsetsPerTrigger) : latest;
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
    const start = startRaw as KafkaOffsets, end = endRaw as KafkaOffsets;
    const earliest = await this.retrying('reading earliest offsets', async () => {
      const parts = new Map<string, number[]>();
      forEachPartition(end, (t, p) => { const l = parts.get(t) ?? []; l.push(Number(p)); parts.set(t, l); });
      return parts.size ? this.client.offsets(parts, true) : {};
    });
    const pos = new Map<string, { topic: string; partition: number; offset: number; end: number }>();
    forEachPartition(start, (t, p) => { if (getOffset(end, t, p) === undefined) this.dataLoss(`Topic '${t}' partition ${p} is gone`); });
    forEachPartition(end, (t, p, e) => {
      let s = getOffset(start, t, p) ?? 0;
      const low = getOffset(earliest, t, p) ?? 0;
      if (e < s) { this.dataLoss(`Topic '${t}' partition ${p}: offset ${e} is below the previous ${s}`); return; }
      if (s < low && s < e) {
        this.dataLoss(`Topic '${t}' partition ${p}: offsets ${s} to ${Math.min(low, e) - 1} (range [${s}, ${Math.min(low, e)})) are no longer in Kafka, whose earliest offset is now ${low}`);
        s = Math.min(low, e);
      }
      if (s < e) pos.set(`${t}:${p}`, { topic: t, partition: Number(p), offset: s, end: e });
    });
    const chunks: Batch[] = [];
    let emptyRounds = 0;
    while (pos.size) {
      const res = await this.retrying('fetch', () => this.client.fetch([...pos.values()], 4 << 20));
      let got = 0;
      const rows: { topic: string; partition: number; records: FetchedRecord[]; from: number; to: number }[] = [];
      for (const r of res) {
        const key = `${r.topic}:${r.partition}`, p = pos.get(key);
        if (!p) continue;
        let from = 0, to = r.records.length;
        while (from < to && Number(r.records[from]!.offset) < p.offset) from++;
        while (to > from && Number(r.records[to - 1]!.offset) >= p.end) to--;
        if (to > from) {
          rows.push({ topic: r.topic, partition: r.partition, records: r.records, from, to });
          got += to - from;
          p.offset = Number(r.records[to - 1]!.offset) + 1;
        }
        if (p.offset >= p.end || (r.records.length > 0 && Number(r.records[r.records.length - 1]!.offset) >= p.end - 1)) pos.delete(key);
      }
      if (got) { chunks.push(toBatch(rows, got)); emptyRounds = 0; }
      else if (++emptyRounds > 50) {
        const left = [...pos.values()].map((p) => `topic '${p.topic}' partition ${p.partition} offsets [${p.offset}, ${p.end})`).join('; ');
        throw new SourceError(`Kafka returned no records for ${left} after ${emptyRounds} fetches; the broker may be unhealthy.`);
      }
    }
    return chunks;
  }

  async stop(): Promise<void> { await this.client.close(); }
}

/** Records of one fetch round into the Kafka schema's columns (bytes copied once into contiguous buffers). */
function toBatch(parts: { topic: string; partition: number; records: FetchedRecord[]; from: number; to: number }[], n: number): Batch {
  let valueBytes = 0, keyBytes = 0;
  for (const p of parts) for (let i = p.from; i < p.to; i++) { const r = p.records[i]!; valueBytes += r.value?.length ?? 0; keyBytes += r.key?.length ?? 0; }
  const keys = new BytesBuilder(n, keyBytes + 1), values = new BytesBuilder(n, valueBytes + 1), topics = new BytesBuilder(n, n * 8);
  const partition = new Int32Array(n), offset = new BigInt64Array(n), ts = new BigInt64Array(n), tsType = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    for (let i = p.from; i < p.to; i++, k++) {
      const r = p.records[i]!;
      if (r.key) keys.appendBytes(r.key); else keys.appendNull();
      if (r.value) values.appendBytes(r.value); else values.appendNull();
      topics.appendString(p.topic);
      partition[k] = p.partition;
      offset[k] = BigInt(r.offset);
      ts[k] = BigInt(r.timestamp);
      tsType[k] = r.batchContext?.timestampType ?? 0;
    }
  }
  return makeBatch(kafkaSchema, [
    keys.finish('binary'), values.finish('binary'), topics.finish('string'),
    primitiveColumn(int, partition, n), primitiveColumn(long, offset, n), primitiveColumn(timestamp, ts, n), primitiveColumn(int, tsType, n),
  ], n);
}
