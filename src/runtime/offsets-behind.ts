/**
 * Reading the offsets that sources put in progress records and the offset log, for the tools
 * that show them (the web UI, `sluice run`, `sluice checkpoint show`).
 */

/** Offsets shaped like Kafka's `{"topic": {"partition": offset}}`. */
export type OffsetsByPartition = Record<string, Record<string, number>>;

export function isOffsetsByPartition(v: unknown): v is OffsetsByPartition {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    && Object.values(v).every((parts) => typeof parts === 'object' && parts !== null && Object.values(parts).every((o) => typeof o === 'number'));
}

/**
 * Per topic, how far `latest` is ahead of `end`, summed over its partitions (a partition
 * counts from 0 when `end` lacks it, and never below 0); null unless both are Kafka-shaped.
 */
export function behindByTopic(end: unknown, latest: unknown): Map<string, number> | null {
  if (!isOffsetsByPartition(end) || !isOffsetsByPartition(latest)) return null;
  const out = new Map<string, number>();
  for (const [topic, parts] of Object.entries(latest)) {
    let sum = 0;
    for (const [p, off] of Object.entries(parts)) sum += Math.max(0, off - (end[topic]?.[p] ?? 0));
    out.set(topic, sum);
  }
  return out;
}
