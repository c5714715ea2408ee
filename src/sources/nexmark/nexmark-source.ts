import type { Batch } from '../../data/batch.ts';
import type { ReadColumns, ReadLimit, Source, SourceOptions, SourceProvider } from '../source.ts';
import { parseNexmarkOptions, sourceOptionNames, type NexmarkSourceConfig } from './nexmark-config.ts';
import { generateEvents, NexmarkTimeline, READ_ALL, type NexmarkRead } from './nexmark-generator.ts';
import { nexmarkSchema } from './nexmark-schema.ts';

/**
 * The position: how many events were read. The base time rides along so that a query started
 * without `baseTime` replays the same event times after a restart (it is fixed at the first start).
 */
interface NexmarkOffset { readonly events: number; readonly baseTime: number }

/** Events per Arrow batch: big enough to amortise the per-batch work, small enough for the cache. */
const CHUNK = 32_768;

/**
 * The chunks generated last, shared by the open sources of one generator config. A query that
 * reads the events twice (q3 and q8 join persons to auctions: two reads of one stream, as a Spark
 * self-join plans two scans) would generate every event twice, most of its CPU (profiled: the
 * generator was 60% of q3); Flink's planner reuses one source for both
 * (table.optimizer.reuse-source-enabled, on by default). The readers read the same ranges in the
 * same trigger, so a chunk is kept until each open source of its config has read it, and at most
 * `capacity` are kept (a reader that fell behind generates its own). With one source nothing is
 * kept. Batches are immutable: sharing them is safe.
 */
class SharedChunks {
  private readonly chunks = new Map<string, { batch: Batch; reads: number }>();
  private readonly readers = new Map<string, number>();
  constructor(private readonly capacity: number) {}

  open(id: string): void { this.readers.set(id, (this.readers.get(id) ?? 0) + 1); }
  close(id: string): void {
    const n = (this.readers.get(id) ?? 1) - 1;
    if (n > 0) this.readers.set(id, n); else this.readers.delete(id);
    for (const k of [...this.chunks.keys()]) if (k.startsWith(`${id}|`) && n < 2) this.chunks.delete(k);
  }

  get(id: string, tl: NexmarkTimeline, from: number, to: number, read: NexmarkRead): Batch {
    const readers = this.readers.get(id) ?? 0;
    if (readers < 2) return generateEvents(tl, from, to, read);
    const key = `${id}|${tl.baseTime}|${from}|${to}`, hit = this.chunks.get(key);
    if (hit) {
      if (++hit.reads >= readers) this.chunks.delete(key);
      return hit.batch;
    }
    const batch = generateEvents(tl, from, to, read);
    this.chunks.set(key, { batch, reads: 1 });
    if (this.chunks.size > this.capacity) this.chunks.delete(this.chunks.keys().next().value!);
    return batch;
  }
}

/** Two triggers of chunks (the one running and the one prefetched) at the default 100k events per trigger. */
const shared = new SharedChunks(8);

/** What the query reads of the events (plan/prune-from-json.ts), as the generator's switches. */
export function nexmarkRead(cols: ReadColumns | undefined): NexmarkRead {
  if (cols === undefined) return READ_ALL;
  const reads = (kind: string, ...fields: string[]): boolean => {
    const f = cols.get(kind);
    return f === 'all' || (f !== undefined && (fields.length === 0 || fields.some((x) => f.has(x))));
  };
  return {
    person: reads('person'), auction: reads('auction'), bid: reads('bid'),
    bidChannel: reads('bid', 'channel', 'url'), bidExtra: reads('bid', 'extra'),
  };
}

/**
 * Flink's nexmark datagen connector as a source: offsets are event numbers and every event is a
 * function of (seed, number), so a batch re-read after a crash is the same events, exactly once.
 * Events are available as fast as they are read (Nexmark's maxEmitSpeed), or, with rateLimited,
 * when the wall clock reaches their event time.
 */
class NexmarkSource implements Source {
  readonly schema = nexmarkSchema;
  readonly description: string;
  private timeline: NexmarkTimeline | undefined;
  private lastAvailable: NexmarkOffset | undefined;
  /** The generator config, as the shared chunks know it. */
  private readonly id: string;
  constructor(private readonly cfg: NexmarkSourceConfig, private readonly read: NexmarkRead) {
    const g = cfg.generator;
    // Readers of different columns get different batches: they share chunks only with their like.
    this.id = JSON.stringify({ g, read });
    shared.open(this.id);
    this.description = `NexmarkSource[seed=${g.seed}, eventsPerSecond=${g.eventsPerSecond}, totalEvents=${g.totalEvents || 'unbounded'}]`;
  }
  private timelineAt(baseTime: number): NexmarkTimeline {
    if (this.timeline?.baseTime !== baseTime) this.timeline = new NexmarkTimeline(this.cfg.generator, baseTime);
    return this.timeline;
  }
  async initialOffset(): Promise<NexmarkOffset> { return { events: 0, baseTime: this.cfg.baseTime ?? Date.now() }; }
  /** Events available at `baseTime`'s timeline now: all of them, or those due by the wall clock; capped by totalEvents. */
  private available(baseTime: number): number {
    const total = this.cfg.generator.totalEvents || Number.MAX_SAFE_INTEGER;
    return this.cfg.rateLimited ? Math.min(total, this.timelineAt(baseTime).eventsDueBy(Date.now())) : total;
  }
  async availableOffset(): Promise<NexmarkOffset> {
    const baseTime = this.lastAvailable?.baseTime ?? this.cfg.baseTime ?? Date.now();
    return { events: this.available(baseTime), baseTime };
  }
  async latestOffset(startRaw: unknown, limit: ReadLimit, bound?: unknown): Promise<NexmarkOffset> {
    const start = startRaw as NexmarkOffset;
    let end = this.available(start.baseTime);
    this.lastAvailable = { events: end, baseTime: start.baseTime };
    if (bound !== undefined) end = Math.min(end, (bound as NexmarkOffset).events);
    // An unbounded generator has no end to read up to: even 'all' (trigger once) takes one trigger's worth.
    if (limit === 'default' || end === Number.MAX_SAFE_INTEGER) end = Math.min(end, start.events + this.cfg.maxEventsPerTrigger);
    return { events: Math.max(end, start.events), baseTime: start.baseTime };
  }
  reportLatestOffset(): NexmarkOffset | undefined { return this.lastAvailable; }
  sameOffset(a: unknown, b: unknown): boolean { return (a as NexmarkOffset).events === (b as NexmarkOffset).events; }
  async getBatch(startRaw: unknown, endRaw: unknown): Promise<Batch[]> {
    const s = startRaw as NexmarkOffset, e = endRaw as NexmarkOffset, tl = this.timelineAt(s.baseTime);
    const out: Batch[] = [];
    for (let k = s.events; k < e.events; k += CHUNK) out.push(shared.get(this.id, tl, k, Math.min(k + CHUNK, e.events), this.read));
    return out;
  }
  async stop(): Promise<void> { shared.close(this.id); }
}

export const nexmarkSource: SourceProvider = {
  name: 'nexmark',
  options: sourceOptionNames,
  readsColumns: true,
  // Options are checked at load(), before any query starts.
  schema: (o: SourceOptions) => { parseNexmarkOptions(o.options); return nexmarkSchema; },
  create: (o: SourceOptions) => new NexmarkSource(parseNexmarkOptions(o.options), nexmarkRead(o.readColumns)),
};
