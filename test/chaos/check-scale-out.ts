// The chaos checker's part for the windowed query run as scale-out tasks (--workers N). The
// query is two stages (docs/design/scale-out.md): tasks 0_p write input partition p's rows to the
// repartition topic in Kafka transactions, tasks 1_q count partition q's rows into windows. The
// single-query model of check.ts (which batch closes which window, from one global watermark
// model) does not hold: each downstream task has its own batches, and its watermark comes from the
// upstream tasks' headers one batch later, so which rows are late depends on how the tasks ran.
// So this checks, from what really happened:
//   - upstream: the repartition topic's committed rows (read_committed, through the front) are the
//     input topic's rows that pass the query's filter, each exactly once (multiset of order ids);
//   - downstream: each task 1_q's batches (offset ranges of partition q and watermark W(N), from its
//     offsets/<N> files) replayed over those rows with DESIGN §6's rule (late when the window's end
//     <= W(N-1); closed in the batch where end <= W(N)) give every closed window exactly once,
//     with its sum and count, written by that task in that batch; and each task's W never goes back.
import * as A from 'apache-arrow';
import { Kafka, logLevel } from 'kafkajs';
import { duckQuery } from '../support/duck.ts';
import { compareWindows, expectationOf, type Batch, type KafkaOffsets, type LogRecord } from './check.ts';
import { SENTINEL_USER } from './producer.ts';

export interface ShuffledRow { orderId: number; user: string; t: number; amount: number | null }

/**
 * Every committed row of `topic`'s partitions below `ends[q]`, by partition and offset: a
 * read_committed consumer (kafkajs filters aborted transactions and control records).
 */
export async function readShuffle(bootstrap: string, topic: string, ends: readonly number[]): Promise<Map<number, ShuffledRow[]>[]> {
  const out = ends.map(() => new Map<number, ShuffledRow[]>());
  if (ends.every((e) => e === 0)) return out;
  const kafka = new Kafka({ clientId: 'chaos-checker', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `chaos-check-shuffle-${process.pid}-${Date.now()}`, readUncommitted: false, maxBytesPerPartition: 16 << 20, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  // The last offset (record or control marker) seen per partition: done when every one reached its end.
  const reached = ends.map(() => -1);
  let lastNews = Date.now();
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const done = ends.every((e, q) => reached[q]! >= e - 1);
      // Control markers at a partition's end are not handed over: quiet for 5 s after records stop counts as the end.
      if (done || Date.now() - lastNews > 5000) { clearInterval(timer); resolve(); }
      else if (Date.now() - started > 120_000) { clearInterval(timer); reject(new Error(`reading ${topic} back: reached ${reached} of ${ends} after 120 s`)); }
    }, 200);
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const q = batch.partition;
        for (const m of batch.messages) {
          const off = Number(m.offset);
          lastNews = Date.now();
          reached[q] = Math.max(reached[q]!, off);
          if (off >= ends[q]! || !m.value) continue;
          out[q]!.set(off, decodeChunk(m.value));
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return out;
}

function decodeChunk(value: Buffer): ShuffledRow[] {
  const table = A.tableFromIPC(value);
  const col = (name: string): A.Vector => {
    const v = table.getChild(name);
    if (!v) throw new Error(`repartition chunk without column ${name}: ${table.schema.fields.map((f) => f.name).join(', ')}`);
    return v;
  };
  const id = col('order_id'), user = col('user_id'), t = col('event_time'), amount = col('amount');
  const unit = (t.type as A.Timestamp).unit;
  const rows: ShuffledRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const a = amount.get(i) as number | null;
    rows.push({ orderId: Number(id.get(i)), user: String(user.get(i)), t: toMs(t.get(i) as number | bigint, unit), amount: a });
  }
  return rows;
}

/** arrow-js hands timestamps over as ms numbers or as bigints of their unit. */
function toMs(v: number | bigint, unit: A.TimeUnit): number {
  if (typeof v === 'number') return v;
  const per = unit === A.TimeUnit.SECOND ? 1e-3 : unit === A.TimeUnit.MILLISECOND ? 1 : unit === A.TimeUnit.MICROSECOND ? 1e3 : 1e6;
  return Number(v) / per;
}

export interface TaskBatches { task: string; start: KafkaOffsets | undefined; batches: Batch[]; gaps: number[] }

export interface ScaleOutWindowedResult {
  upstreamRows: number; upstreamLost: number; upstreamDuplicates: number; upstreamUnexpected: number;
  batches: number; events: number; lateRows: number; expected: number; found: number; duplicates: number; lost: number; wrong: number;
  wrongBatch: number; watermarkBackwards: number; checkpointGaps: number; samples: string[];
}

export async function checkWindowedScaleOut(outDir: string, log: LogRecord[][], shuffle: Map<number, ShuffledRow[]>[], repTopic: string,
  tasks: readonly TaskBatches[], windowMs: number): Promise<ScaleOutWindowedResult> {
  const res: ScaleOutWindowedResult = { upstreamRows: 0, upstreamLost: 0, upstreamDuplicates: 0, upstreamUnexpected: 0, batches: 0, events: 0,
    lateRows: 0, expected: 0, found: 0, duplicates: 0, lost: 0, wrong: 0, wrongBatch: 0, watermarkBackwards: 0, checkpointGaps: 0, samples: [] };
  const sample = (s: string): void => { if (res.samples.length < 12) res.samples.push(s); };

  // Upstream: the topic's rows that pass the filter, each once in the committed shuffle.
  const want = new Map<number, number>(), got = new Map<number, number>();
  for (const part of log) for (const r of part) {
    const e = expectationOf(r);
    if (e.orderId !== null && e.t !== null) want.set(e.orderId, (want.get(e.orderId) ?? 0) + 1);
  }
  for (const part of shuffle) for (const rows of part.values()) for (const r of rows) { got.set(r.orderId, (got.get(r.orderId) ?? 0) + 1); res.upstreamRows++; }
  for (const [id, n] of want) {
    const g = got.get(id) ?? 0;
    if (g < n) { res.upstreamLost += n - g; sample(`order ${id}: in the topic ${n}x, in the committed shuffle ${g}x`); }
    if (g > n) { res.upstreamDuplicates += g - n; sample(`order ${id}: in the topic ${n}x, in the committed shuffle ${g}x`); }
  }
  for (const id of got.keys()) if (!want.has(id)) { res.upstreamUnexpected++; sample(`order ${id} in the shuffle is not a row of the topic`); }

  // Downstream: each task's batches replayed with its own watermarks.
  const closed = new Map<string, { sum: number | null; n: number; task: string; batch: number }>();
  for (const t of tasks) {
    const q = Number(t.task.slice(t.task.indexOf('_') + 1));
    res.checkpointGaps += t.gaps.length;
    if (t.gaps.length) { sample(`${t.task}: offsets of batches ${t.gaps.slice(0, 5).join(',')} never seen`); continue; }
    const off = (o: KafkaOffsets | undefined): number => o?.[repTopic]?.[String(q)] ?? 0;
    const open = new Map<string, { user: string; start: number; sum: number | null; n: number }>();
    let prevW = 0, prevEnd = off(t.start);
    for (const b of t.batches) {
      res.batches++;
      if (b.watermarkMs < prevW) { res.watermarkBackwards++; sample(`${t.task} batch ${b.id}: watermark went back from ${prevW} to ${b.watermarkMs}`); }
      const end = off(b.offsets);
      for (let o = prevEnd; o < end; o++) {
        for (const r of shuffle[q]!.get(o) ?? []) {
          res.events++;
          const ws = Math.floor(r.t / windowMs) * windowMs;
          if (ws + windowMs <= prevW) { res.lateRows++; continue; }
          const k = `${r.user}|${ws}`;
          let x = open.get(k);
          if (!x) { x = { user: r.user, start: ws, sum: null, n: 0 }; open.set(k, x); }
          x.n++;
          if (r.amount !== null) x.sum = (x.sum ?? 0) + r.amount;
        }
      }
      for (const [k, x] of open) {
        if (x.start + windowMs > b.watermarkMs) continue;
        open.delete(k);
        if (x.user === SENTINEL_USER) continue;
        if (closed.has(k)) { res.wrong++; sample(`window ${k} closed in ${closed.get(k)!.task} and in ${t.task}: one key in two tasks`); }
        closed.set(k, { sum: x.sum, n: x.n, task: t.task, batch: b.id });
      }
      prevW = Math.max(prevW, b.watermarkMs);
      prevEnd = end;
    }
  }
  res.expected = closed.size;

  const rows = await duckQuery(`SELECT user_id, epoch_ms("window".start) AS ws, total, n, filename FROM read_parquet('${outDir.replace(/'/g, "''")}/**/*.parquet', filename = true)`)
    .catch(() => [] as Record<string, unknown>[]);
  compareWindows(rows, closed, res, sample, (file, want) => {
    const m = /part-(\d+_\d+)-(\d+)-\d+\.parquet$/.exec(file);
    return m && m[1] === want.task && Number(m[2]) === want.batch ? null : `written by ${m?.[1]} batch ${m?.[2]}, closes in ${want.task} batch ${want.batch}`;
  });
  return res;
}
