import type { PartitionOffsets } from '../../kafka/kafka-client.ts';

/** Kafka offsets as Spark writes them: {"topic":{"0":120,"1":98}}. */
export type KafkaOffsets = PartitionOffsets;

export function forEachPartition(o: KafkaOffsets, fn: (topic: string, partition: string, offset: number) => void): void {
  for (const t of Object.keys(o).sort()) for (const p of Object.keys(o[t]!).sort((a, b) => +a - +b)) fn(t, p, o[t]![p]!);
}

export function getOffset(o: KafkaOffsets, topic: string, partition: string): number | undefined {
  return o[topic]?.[partition];
}

export function setOffset(o: KafkaOffsets, topic: string, partition: string, v: number): void {
  (o[topic] ??= {})[partition] = v;
}

export function sameOffsets(a: KafkaOffsets, b: KafkaOffsets): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(o: KafkaOffsets): KafkaOffsets {
  const out: KafkaOffsets = {};
  forEachPartition(o, (t, p, v) => setOffset(out, t, p, v));
  return out;
}

/**
 * Spark's rate limit: the next end offsets when at most `limit` records may be read,
 * spread over partitions in proportion to their backlog.
 */
export function rateLimit(start: KafkaOffsets, latest: KafkaOffsets, limit: number): KafkaOffsets {
  let total = 0;
  const sizes: [string, string, number, number][] = [];
  forEachPartition(latest, (t, p, end) => {
    const begin = getOffset(start, t, p) ?? end;
    const size = Math.max(0, end - begin);
    sizes.push([t, p, begin, end]);
    total += size;
  });
  if (total <= limit) return latest;
  // Shares rounded down, then the rows left over go to the largest remainders, so a batch
  // holds exactly `limit` records (Spark's floor alone can fall a few short).
  const shares = sizes.map(([t, p, begin, end]) => {
    const exact = (limit * (end - begin)) / total;
    return { t, p, begin, end, take: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = limit - shares.reduce((a, s) => a + s.take, 0);
  for (const s of [...shares].sort((a, b) => b.rest - a.rest)) {
    if (left <= 0) break;
    if (s.begin + s.take < s.end) { s.take++; left--; }
  }
  const out: KafkaOffsets = {};
  for (const s of shares) setOffset(out, s.t, s.p, Math.min(s.begin + s.take, s.end));
  return out;
}
