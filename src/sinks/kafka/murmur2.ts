/**
 * Kafka's default partitioner for keyed records: toPositive(murmur2(key)) % partitions, as the
 * Java client (Utils.murmur2) and kafkajs's DefaultPartitioner compute it, so a key lands on the
 * partition any other Kafka producer would choose (co-partitioning with other writers).
 * Hand-written with Math.imul: kafkajs's copy (src/producer/partitioners/default/murmur2.js, not
 * exported) allocates a Long object per arithmetic step; test/kafka-sink.test.ts checks both agree.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995, r = 24, length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3, at = length & ~3;
  if (rest === 3) h ^= (data[at + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[at + 1]! & 0xff) << 8;
  if (rest >= 1) { h ^= data[at]! & 0xff; h = Math.imul(h, m); }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record among `partitions`. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
