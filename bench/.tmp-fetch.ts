import { KafkaClient } from '../src/sources/kafka/client.ts';
import { scanRecordSet } from '../src/sources/kafka/protocol.ts';
const c = new KafkaClient({ servers: [process.env.KAFKA_BOOTSTRAP_SERVERS!], clientId: 'x', requestTimeoutMs: 30000, connectTimeoutMs: 3000 });
const parts = await c.partitions(['ev1m']);
const lo = await c.offsets(parts, true), hi = await c.offsets(parts, false);
for (const [pp, tot, inflightN] of [[1 << 20, 8 << 20, 1], [4 << 20, 32 << 20, 1], [8 << 20, 32 << 20, 1], [8 << 20, 64 << 20, 1], [16 << 20, 128 << 20, 1], [4 << 20, 32 << 20, 2], [8 << 20, 64 << 20, 2]]) {
  const pos = Object.entries(lo.ev1m!).map(([p, o]) => ({ topic: 'ev1m', partition: Number(p), offset: o, end: hi.ev1m![p]! }));
  const t0 = performance.now(); let rounds = 0, bytes = 0;
  let inflight: Promise<any>[] = [];
  const active = () => pos.filter((p) => p.offset < p.end);
  // simple: one at a time (inflightN ignored unless 2: prefetch with positions guessed)
  while (active().length) {
    const res = await c.fetchRaw(active(), pp, tot);
    rounds++;
    for (const r of res) { const p = pos.find((q) => q.partition === r.partition)!; const s = scanRecordSet(r.buf, r.start, r.end); bytes += r.end - r.start; if (s.nextOffset > p.offset) p.offset = Math.min(s.nextOffset, p.end); }
  }
  console.log({ pp: pp >> 20, tot: tot >> 20, rounds, MB: Math.round(bytes / 1e6), secs: ((performance.now() - t0) / 1000).toFixed(3) });
}
await c.close();
