import type { PartitionOffsets } from './client.ts';

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
  const out: KafkaOffsets = {};
  for (const [t, p, begin, end] of sizes) {
    const prorate = (limit * (end - begin)) / total;
    // Spark rounds small shares up so a partition with little backlog still moves.
    const off = begin + (prorate < 1 ? Math.ceil(prorate) : Math.floor(prorate));
    setOffset(out, t, p, Math.min(off, end));
  }
  return out;
}
