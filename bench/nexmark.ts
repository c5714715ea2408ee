/**
 * Nexmark throughput, in events per second per core, beside Flink 1.13's published per-core figures.
 *
 *   npx tsx bench/nexmark.ts --query q0,q5 --events 1000000 [--events-per-second 10000000]
 *                            [--max-events-per-trigger 100000] [--rounds 2]
 *
 * `--query all` runs every query of examples/nexmark/queries.ts. Per query, in this one process, the
 * best of --rounds of:
 *   sluice:      readStream.format('nexmark') (totalEvents N, availableNow) -> the query -> a
 *                foreachBatch that only forces the batch (Flink's blackhole sink; q5 runs its
 *                per-batch hot-items step there), with a checkpoint in a temporary directory;
 *   handwritten: (q0, q5, q7) a loop over the same generator's Arrow batches: q0 reads the five bid
 *                columns of every bid; q5 counts bids per auction per 10 s / 2 s window in Maps,
 *                closing windows as sluice does (end <= max event time - 4 s), and keeps the
 *                top auctions of each; q7 keeps each open 10 s window's max price and the bids
 *                at that price (plus a window end's own bids, which Flink's BETWEEN also takes),
 *                emitting them as the watermark closes the window;
 *   generator:   generating the N events alone.
 * "Per core" is events / CPU seconds of this process (user + system, process.cpuUsage), so GC and
 * I/O threads count. Flink's figures (nexmark/nexmark README): 8 TaskManagers, RocksDB, in-job
 * datagen at 10M events/s of event time, 100M events, no JSON, no Kafka; this bench uses the same
 * event rate by default so windows hold as many events as Flink's did. One JSON line per query.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session, type DataFrame } from '../src/index.ts';
import { defaultConfig } from '../src/sources/nexmark/nexmark-config.ts';
import { NexmarkTimeline, generateEvents } from '../src/sources/nexmark/nexmark-generator.ts';
import { queries } from '../examples/nexmark/queries.ts';
import { tmpDir } from '../test/support/tmp.ts';
import type * as A from 'apache-arrow';

const { values: args } = parseArgs({
  options: {
    query: { type: 'string', default: 'all' },
    events: { type: 'string', default: '1000000' },
    'events-per-second': { type: 'string', default: '10000000' },
    'max-events-per-trigger': { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '2' },
  },
});
const N = Number(args.events), EPS = Number(args['events-per-second']), PER_TRIGGER = Number(args['max-events-per-trigger']);
const ROUNDS = Number(args.rounds);
const names = args.query === 'all' ? Object.keys(queries) : args.query.split(',');
for (const n of names) if (!queries[n]) throw new Error(`--query: no query '${n}'; known: ${Object.keys(queries).join(', ')}`);
const BASE_TIME = Date.UTC(2024, 0, 1);
const CHUNK = 32_768;
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

interface Timed { wallMs: number; cpuMs: number; out: number }
async function timed(fn: () => Promise<number> | number): Promise<Timed> {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const out = await fn();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, out };
}
async function best(fn: () => Promise<number> | number): Promise<Timed> {
  let b: Timed | undefined;
  for (let r = 0; r < ROUNDS; r++) { const t = await timed(fn); if (!b || t.cpuMs < b.cpuMs) b = t; }
  return b!;
}
const figures = (t: Timed): Record<string, number> => ({
  eventsPerSecPerCore: Math.round(N / (t.cpuMs / 1000)), eventsPerSecWall: Math.round(N / (t.wallMs / 1000)),
  cpuSec: +(t.cpuMs / 1000).toFixed(2), wallSec: +(t.wallMs / 1000).toFixed(2), outputRows: t.out,
});

const timeline = new NexmarkTimeline({ ...defaultConfig, eventsPerSecond: EPS }, BASE_TIME);
function* batches(): Generator<ReturnType<typeof generateEvents>> {
  for (let k = 0; k < N; k += CHUNK) yield generateEvents(timeline, k, Math.min(k + CHUNK, N));
}

const generatorOnly = (): number => { let n = 0; for (const b of batches()) n += b.numRows; return n; };

/** q0 by hand: every bid's auction, bidder, price, dateTime and extra read once. */
function handQ0(): number {
  let rows = 0, sum = 0;
  for (const b of batches()) {
    const type = b.columns[0]!.values as Int32Array, bid = b.columns[3]!;
    const [auction, bidder, price, , , dt, extra] = bid.children as A.Data[];
    const a = auction!.values as BigInt64Array, bd = bidder!.values as BigInt64Array, p = price!.values as BigInt64Array;
    const t = dt!.values as BigInt64Array, eo = extra!.valueOffsets as Int32Array;
    for (let i = 0; i < b.numRows; i++) {
      if (type[i] !== 2) continue;
      rows++;
      sum += Number(a[i]! ^ bd[i]! ^ p[i]! ^ t[i]!) + eo[i + 1]! - eo[i]!;
    }
  }
  return sum === -1 ? -1 : rows;
}

/** q5 by hand: per-window counts in Maps, windows closed by the watermark as sluice closes them, ties kept. */
function handQ5(): number {
  const SIZE = 10_000, SLIDE = 2_000, DELAY = 4_000;
  const open = new Map<number, Map<number, number>>();
  let maxT = -Infinity, hot = 0;
  const closeUpTo = (w: number): void => {
    for (const [start, counts] of open) {
      if (start + SIZE > w) continue;
      let m = 0, k = 0;
      for (const c of counts.values()) { if (c > m) { m = c; k = 1; } else if (c === m) k++; }
      hot += k;
      open.delete(start);
    }
  };
  for (const b of batches()) {
    const type = b.columns[0]!.values as Int32Array, bid = b.columns[3]!;
    const a = bid.children[0]!.values as BigInt64Array, t = bid.children[5]!.values as BigInt64Array;
    for (let i = 0; i < b.numRows; i++) {
      if (type[i] !== 2) continue;
      const ts = Number(t[i]!), auction = Number(a[i]!);
      if (ts > maxT) maxT = ts;
      for (let s = Math.floor(ts / SLIDE) * SLIDE; s > ts - SIZE; s -= SLIDE) {
        let m = open.get(s);
        if (!m) { m = new Map(); open.set(s, m); }
        m.set(auction, (m.get(auction) ?? 0) + 1);
      }
    }
    closeUpTo(maxT - DELAY);
  }
  return hot;
}
/**
 * q7 by hand: per open 10 s window, its max price and the bids at that price; a bid exactly at a
 * window's end also joins that window (Flink's BETWEEN end - 10 s AND end), so each window keeps
 * the bids at its end too. A window is emitted when the watermark (max time - 4 s) reaches its end.
 */
function handQ7(): number {
  const SIZE = 10_000, DELAY = 4_000;
  type Win = { max: number; top: number[]; atEnd: { price: number; k: number }[] };
  const open = new Map<number, Win>();
  let maxT = -Infinity, out = 0, k = 0;
  const win = (s: number): Win => { let w = open.get(s); if (!w) { w = { max: -1, top: [], atEnd: [] }; open.set(s, w); } return w; };
  for (const b of batches()) {
    const type = b.columns[0]!.values as Int32Array, bid = b.columns[3]!;
    const p = bid.children[2]!.values as BigInt64Array, t = bid.children[5]!.values as BigInt64Array;
    for (let i = 0; i < b.numRows; i++, k++) {
      if (type[i] !== 2) continue;
      const ts = Number(t[i]!), price = Number(p[i]!);
      if (ts > maxT) maxT = ts;
      const s = Math.floor(ts / SIZE) * SIZE, w = win(s);
      if (price > w.max) { w.max = price; w.top = [k]; } else if (price === w.max) w.top.push(k);
      if (ts === s) win(s - SIZE).atEnd.push({ price, k });
    }
    const W = maxT - DELAY;
    for (const [s, w] of open) {
      if (s + SIZE > W) continue;
      out += w.top.length + w.atEnd.filter((x) => x.price === w.max).length;
      open.delete(s);
    }
  }
  return out;
}
const hand: Record<string, () => number> = { q0: handQ0, q5: handQ5, q7: handQ7 };

async function runSluice(name: string): Promise<number> {
  const q = queries[name]!;
  const dir = tmpDir(`nexmark-${name}`);
  const session = Session.builder().appName(`nexmark-${name}`).getOrCreate();
  const events = session.readStream.format('nexmark').option('totalEvents', N).option('eventsPerSecond', EPS)
    .option('baseTime', BASE_TIME).option('maxEventsPerTrigger', PER_TRIGGER).load();
  let out = 0;
  const sink = (df: DataFrame): void => { out += q.perBatch ? q.perBatch(df).length : df.count(); };
  const sq = await q.build(events).writeStream.outputMode(q.outputMode ?? 'append').option('checkpointLocation', join(dir, 'cp'))
    .trigger({ availableNow: true }).foreachBatch(sink).start();
  await sq.awaitTermination();
  const err = sq.exception();
  rmSync(dir, { recursive: true, force: true });
  if (err) throw err;
  return out;
}

const gen = await best(generatorOnly);
log(`generator: ${figures(gen).eventsPerSecPerCore} events/s per core`);
for (const name of names) {
  const q = queries[name]!;
  const order = hand[name] ? ['sluice', 'handwritten'] : ['sluice'];
  const res: Record<string, Timed> = {};
  for (const which of order) res[which] = await best(which === 'sluice' ? () => runSluice(name) : hand[name]!);
  const s = figures(res.sluice!);
  log(`${name}: sluice ${s.eventsPerSecPerCore} events/s per core (Flink ${q.flinkPerCore})`);
  console.log(JSON.stringify({
    bench: 'nexmark', query: name, title: q.title, events: N, eventsPerSecondOfEventTime: EPS, maxEventsPerTrigger: PER_TRIGGER,
    sluice: s, flinkPerCore: q.flinkPerCore, sluiceVsFlink: +(s.eventsPerSecPerCore! / q.flinkPerCore).toFixed(2),
    ...(res.handwritten ? { handwritten: figures(res.handwritten) } : {}),
    generator: figures(gen),
  }));
}
