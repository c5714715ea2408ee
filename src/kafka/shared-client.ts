import { KafkaClient, type KafkaClientOptions, type PartitionOffsets } from './kafka-client.ts';

/** What a Kafka source reads through: a KafkaClient of its own, or a handle on the process's shared one. */
export type KafkaReader = Pick<KafkaClient, 'partitions' | 'offsets' | 'fetchRaw' | 'reset' | 'close'>;

/**
 * How old a metadata or latest-offsets answer may be and still serve another reader: the default
 * pollingDelay (10 ms), so a reader sees nothing older than its own poll of a moment ago would have.
 */
const REUSE_MS = 10;
/** Resets asked within this of the last one are one outage's, seen by several readers: one reconnect serves them all. */
const RESET_DEBOUNCE_MS = 1000;

/** One request shared by the calls it answers: in flight (at null), or answered at `at`. */
interface Round<R> { readonly keys: ReadonlySet<string>; at: number | null; readonly answer: Promise<R> }

/**
 * The connection, metadata and latest offsets of one cluster, shared by every reader of this
 * process with the same connection settings (a scale-out worker's tasks, each its own source and
 * trigger loop). Measured with bench/scale-out-loops.ts: a client per task meant a connection per
 * task and, while idle, a Metadata and a ListOffsets request per task every 10 ms; here a poll
 * joins a request in flight or reuses one at most REUSE_MS old, over the union of what the readers
 * ask, so idle tasks cost about one reader's requests. Fetches go through as they are (each
 * reader's own ranges, on the client's one Fetch connection per broker).
 */
class SharedClient {
  users = 0;
  private lastResetMs = 0;
  private meta: Round<Map<string, number[]>> | null = null;
  private latest: Round<PartitionOffsets> | null = null;

  constructor(readonly client: KafkaClient) {}

  /** The answer of a round covering `keys`, fresh enough; else a new round over them and the last round's keys. */
  private shared<R>(current: Round<R> | null, keys: readonly string[], ask: (all: string[]) => Promise<R>, keep: (r: Round<R> | null) => void): Promise<R> {
    if (current && keys.every((k) => current.keys.has(k)) && (current.at === null || Date.now() - current.at <= REUSE_MS)) return current.answer;
    const all = new Set([...(current?.keys ?? []), ...keys]);
    const round: Round<R> = { keys: all, at: null, answer: ask([...all]) };
    round.answer.then(() => { round.at = Date.now(); }, () => { keep(null); });
    keep(round);
    return round.answer;
  }

  async partitions(topics: string[]): Promise<Map<string, number[]>> {
    const all = await this.shared(this.meta, topics, (ts) => this.client.partitions(ts), (r) => { this.meta = r; });
    return new Map(topics.filter((t) => all.has(t)).map((t) => [t, all.get(t)!]));
  }

  async offsets(parts: Map<string, number[]>, fromBeginning: boolean): Promise<PartitionOffsets> {
    if (fromBeginning) return this.client.offsets(parts, true);
    const keys = [...parts].flatMap(([t, ps]) => ps.map((p) => JSON.stringify([t, p])));
    const all = await this.shared(this.latest, keys, (ks) => {
      const union = new Map<string, number[]>();
      for (const k of ks) { const [t, p] = JSON.parse(k) as [string, number]; union.set(t, [...(union.get(t) ?? []), p]); }
      return this.client.offsets(union, false);
    }, (r) => { this.latest = r; });
    const out: PartitionOffsets = {};
    for (const [t, ps] of parts) { const m: Record<string, number> = (out[t] = {}); for (const p of ps) { const v = all[t]?.[String(p)]; if (v !== undefined) m[String(p)] = v; } }
    return out;
  }

  async reset(): Promise<void> {
    this.meta = this.latest = null;
    if (Date.now() - this.lastResetMs < RESET_DEBOUNCE_MS) return;
    this.lastResetMs = Date.now();
    await this.client.reset();
  }
}

const byKey = new Map<string, SharedClient>();

/**
 * A handle on the process's client for the cluster settings `key` (sharedClientKey), made with
 * `opts` by its first user and closed with its last: close() on the handle lets it go.
 */
export function sharedKafkaClient(key: string, opts: KafkaClientOptions): KafkaReader {
  let s = byKey.get(key);
  if (!s) byKey.set(key, (s = new SharedClient(new KafkaClient(opts))));
  s.users++;
  const shared = s;
  let closed = false;
  return {
    partitions: (topics) => shared.partitions(topics),
    offsets: (parts, fromBeginning) => shared.offsets(parts, fromBeginning),
    fetchRaw: (...a) => shared.client.fetchRaw(...a),
    reset: () => shared.reset(),
    async close() {
      if (closed) return;
      closed = true;
      if (--shared.users > 0) return;
      if (byKey.get(key) === shared) byKey.delete(key);
      await shared.client.close();
    },
  };
}

/** The settings that make two readers' connections interchangeable: the servers and every kafka.* option (security, client id, timeouts). */
export function sharedClientKey(options: ReadonlyMap<string, string>): string {
  return JSON.stringify([...options].filter(([k]) => k.toLowerCase().startsWith('kafka.')).map(([k, v]) => [k.toLowerCase(), v]).sort());
}
