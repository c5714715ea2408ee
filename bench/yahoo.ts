/**
 * The Yahoo Streaming Benchmark shape: Kafka JSON ad events -> keep views -> join ad_id ->
 * campaign_id -> count per campaign per 10-second event-time window, with a watermark.
 *
 *   npx tsx bench/yahoo.ts [--events 1000000] [--partitions 8] [--rounds 2]
 *                          [--max-offsets-per-trigger N] [--only kcat,kafkajs,handwritten,sluice]
 *                          [--unpruned] [--chunk-workers N]
 *
 * For repeated (profiling) runs against a broker that stays up (KAFKA_BOOTSTRAP_SERVERS=...):
 *   --produce-only --topic T   produce into T (created beforehand), then exit;
 *   --topic T                  reuse T (same --events/--partitions), skip producing.
 *
 * Starts the project's mock broker (test/support/broker.ts), produces N JSON ad events
 * (user_id, page_id, ad_id, ad_type, event_type, event_time as ISO text, ip_address; 100
 * campaigns x 10 ads; event time advances ~1 ms per event with up to 2 s of disorder, so many
 * 10-second windows close), which is setup and not timed. Then times, in this one process,
 * alternating the order each round:
 *   kcat:        librdkafka's `kcat -C -o beginning -e` draining the topic to /dev/null (a child process);
 *   kafkajs:     a bare consumer group (eachBatch, fromBeginning) counting messages;
 *   handwritten: the same consumer, JSON.parse per value, keep 'view', ad -> campaign in a Map,
 *                window = floor(t / 10 s), counts in a Map keyed campaign+window (no checkpoint);
 *   sluice:      readStream kafka -> from_json -> withWatermark('event_time', '10 seconds')
 *                -> filter view -> join(ads, 'ad_id') -> groupBy(window 10 s, campaign_id)
 *                .agg(count(*) as views) -> append to Parquet with a checkpoint, availableNow.
 * The best round of each is reported, with sluice's CPU seconds (process.cpuUsage over its run), the
 * test broker's CPU seconds during the best kcat and sluice runs (it shares the two cores with
 * either; read from /proc), and the load average. Checks: the hand-written counts equal the counts known
 * from generation; DuckDB over sluice's Parquet equals the hand-written counts for every
 * window sluice closed (end <= its final watermark), holds no other window, and the totals
 * of views in closed windows match. Prints one JSON line on stdout.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { producePartitioned, drainWithKafkajs, drainWithKcat } from './support/kafka.ts';
import { childCpuSecs, pidCpuSecs } from './support/proc-cpu.ts';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { Session, col, count, from_json, window, types as T } from '../src/index.ts';
import { mulberry32 } from '../test/support/prng.ts';
import { tmpDir } from '../test/support/tmp.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    'max-offsets-per-trigger': { type: 'string' },
    only: { type: 'string' },
    /** Runs sluice with spark.sql.optimizer.enableJsonExpressionOptimization=false too, as 'unpruned'. */
    unpruned: { type: 'boolean', default: false },
    /**
     * Runs sluice with sluice.exec.chunkWorkers=N too, as 'workers': the JSON-parsing head of the
     * query on N worker threads. A worker loads the engine in the first round that uses it (~0.4 CPU
     * s); the best round counts, as for a query that runs on.
     */
    'chunk-workers': { type: 'string' },
    topic: { type: 'string' },
    'produce-only': { type: 'boolean', default: false },
  },
});
const N = Number(args.events);
const PARTITIONS = Number(args.partitions);
const ROUNDS = Number(args.rounds);
const MAX_OFFSETS = args['max-offsets-per-trigger'] ? Number(args['max-offsets-per-trigger']) : undefined;
const only = args.only?.split(',');
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

// ---- data ----------------------------------------------------------------------------------

const rnd = mulberry32(7); // the same events every run
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const CAMPAIGNS = 100, ADS_PER_CAMPAIGN = 10, WINDOW_MS = 10_000, DISORDER_MS = 2_000;
const campaigns = Array.from({ length: CAMPAIGNS }, () => uuid());
const ads = campaigns.flatMap((c) => Array.from({ length: ADS_PER_CAMPAIGN }, () => ({ ad_id: uuid(), campaign_id: c })));
const adCampaign = new Map(ads.map((a) => [a.ad_id, a.campaign_id]));
const AD_TYPES = ['banner', 'modal', 'sponsored-search', 'mail', 'mobile'] as const;
const EVENT_TYPES = ['view', 'click', 'purchase'] as const;
const USERS = Array.from({ length: 1000 }, () => uuid());
const PAGES = Array.from({ length: 1000 }, () => uuid());
const T0 = Date.UTC(2024, 4, 1);

/** Event i happens ~i ms after T0, up to DISORDER_MS earlier (well inside the 10 s watermark delay). */
function makeEvent(i: number): { value: string; view: boolean; campaign: string; timeMs: number } {
  const ad = ads[Math.floor(rnd() * ads.length)]!;
  const type = EVENT_TYPES[Math.floor(rnd() * EVENT_TYPES.length)]!;
  const timeMs = T0 + i - Math.floor(rnd() * DISORDER_MS);
  const value = `{"user_id":"${USERS[Math.floor(rnd() * USERS.length)]}","page_id":"${PAGES[Math.floor(rnd() * PAGES.length)]}",`
    + `"ad_id":"${ad.ad_id}","ad_type":"${AD_TYPES[Math.floor(rnd() * AD_TYPES.length)]}","event_type":"${type}",`
    + `"event_time":"${new Date(timeMs).toISOString()}","ip_address":"${1 + Math.floor(rnd() * 254)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}"}`;
  return { value, view: type === 'view', campaign: ad.campaign_id, timeMs };
}

const schema = T.struct({
  user_id: T.string, page_id: T.string, ad_id: T.string, ad_type: T.string,
  event_type: T.string, event_time: T.timestamp, ip_address: T.string,
});

/** campaign + '|' + window start (ms) -> views */
type Counts = Map<string, number>;
const windowKey = (campaign: string, startMs: number): string => `${campaign}|${startMs}`;

/** Generates the events (deterministic) and, unless `produce` is false, produces them with concurrent producers. */
async function generate(bootstrap: string, topic: string, n: number, produce: boolean): Promise<{ expected: Counts; bytes: number }> {
  const perPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
  const expected: Counts = new Map();
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const e = makeEvent(i);
    if (e.view) {
      const k = windowKey(e.campaign, Math.floor(e.timeMs / WINDOW_MS) * WINDOW_MS);
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    if (!produce) continue;
    const b = Buffer.from(e.value);
    bytes += b.length;
    perPartition[i % PARTITIONS]!.push(b);
  }
  if (!produce) return { expected, bytes };
  await producePartitioned(bootstrap, topic, perPartition);
  return { expected, bytes };
}

// ---- the three contenders ------------------------------------------------------------------

const consume = (bootstrap: string, topic: string, onBatch: (msgs: readonly { value: Buffer | null }[]) => void): Promise<number> =>
  drainWithKafkajs(bootstrap, topic, N, onBatch);

function runKafkajs(bootstrap: string, topic: string): Promise<number> {
  return consume(bootstrap, topic, () => {});
}

interface AdEvent { ad_id: string; event_type: string; event_time: string }

async function runHandwritten(bootstrap: string, topic: string): Promise<{ secs: number; counts: Counts }> {
  const counts: Counts = new Map();
  const secs = await consume(bootstrap, topic, (msgs) => {
    for (const m of msgs) {
      const e = JSON.parse(m.value!.toString()) as AdEvent;
      if (e.event_type !== 'view') continue;
      const campaign = adCampaign.get(e.ad_id);
      if (campaign === undefined) continue; // inner join
      const k = windowKey(campaign, Math.floor(Date.parse(e.event_time) / WINDOW_MS) * WINDOW_MS);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  });
  return { secs, counts };
}

interface SluiceResult { secs: number; cpuSecs: number; brokerCpuSecs: number | null; rows: Counts; watermarkMs: number; batches: number; dropped: number }

async function runSluice(bootstrap: string, topic: string, pruneJson = true, chunkWorkers?: number): Promise<SluiceResult> {
  const dir = tmpDir('yahoo');
  try {
    const session = Session.builder().appName('bench-yahoo').getOrCreate();
    session.conf.set('spark.sql.optimizer.enableJsonExpressionOptimization', String(pruneJson));
    if (chunkWorkers === undefined) session.conf.delete('sluice.exec.chunkWorkers'); else session.conf.set('sluice.exec.chunkWorkers', String(chunkWorkers));
    const t0 = performance.now(), cpu0 = process.cpuUsage(), b0 = brokerCpuSecs();
    const adsDf = session.createDataFrame(ads, T.struct({ ad_id: T.string, campaign_id: T.string }));
    let reader = session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
    if (MAX_OFFSETS !== undefined) reader = reader.option('maxOffsetsPerTrigger', MAX_OFFSETS);
    const q = await reader.load()
      .select(from_json(col('value').cast('string'), schema).alias('e')).select('e.*')
      .withWatermark('event_time', '10 seconds')
      .filter(col('event_type').equalTo('view'))
      .join(adsDf, 'ad_id', 'inner')
      .groupBy(window(col('event_time'), '10 seconds'), col('campaign_id'))
      .agg(count('*').alias('views'))
      .writeStream.format('parquet').outputMode('append')
      .option('checkpointLocation', join(dir, 'cp')).trigger({ availableNow: true })
      .start(join(dir, 'out'));
    let batches = 0, dropped = 0;
    await q.awaitTermination();
    const secs = (performance.now() - t0) / 1000;
    // this process's CPU (all its threads: the query, kafkajs's socket reads, GC helpers); the broker is another process
    const cpu = process.cpuUsage(cpu0), cpuSecs = (cpu.user + cpu.system) / 1e6;
    for (const p of q.recentProgress) {
      batches++;
      for (const s of p.stateOperators as { numRowsDroppedByWatermark?: number }[]) dropped += s.numRowsDroppedByWatermark ?? 0;
    }
    const p = q.lastProgress;
    if (!p) throw new Error('sluice made no progress');
    const watermarkMs = Date.parse(p.eventTime.watermark ?? '');
    if (!Number.isFinite(watermarkMs)) throw new Error(`no watermark in the last progress: ${JSON.stringify(p.eventTime)}`);
    for (const b of q.recentProgress) log(`sluice batch ${b.batchId}: input ${b.numInputRows} rows, out ${b.sink.numOutputRows}, durations ${JSON.stringify(b.durationMs)}`);
    log(`sluice: ${batches} batches, final watermark ${p.eventTime.watermark}`);
    const out = await duckQuery(`select campaign_id, epoch_ms("window".start)::BIGINT as ws, epoch_ms("window"."end")::BIGINT as we, views::BIGINT as views `
      + `from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
    const rows: Counts = new Map();
    for (const r of out) {
      const ws = Number(r.ws), we = Number(r.we);
      if (we - ws !== WINDOW_MS) throw new Error(`sluice wrote a window of ${we - ws} ms: ${JSON.stringify(r)}`);
      const k = windowKey(String(r.campaign_id), ws);
      if (rows.has(k)) throw new Error(`sluice wrote window ${k} twice`);
      rows.set(k, Number(r.views));
    }
    return { secs, cpuSecs, brokerCpuSecs: since(b0), rows, watermarkMs, batches, dropped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- checks ---------------------------------------------------------------------------------

function sameCounts(a: Counts, b: Counts, what: string): void {
  if (a.size !== b.size) throw new Error(`${what}: ${a.size} groups vs ${b.size}`);
  for (const [k, v] of a) if (b.get(k) !== v) throw new Error(`${what}: group ${k} is ${v} vs ${b.get(k)}`);
}

/** sluice's output must be exactly the hand-written counts of the windows it closed. */
function checkSluice(r: SluiceResult, truth: Counts): { closedWindows: number; closedViews: number } {
  const closed: Counts = new Map();
  const windows = new Set<number>();
  for (const [k, v] of truth) {
    const ws = Number(k.slice(k.lastIndexOf('|') + 1));
    if (ws + WINDOW_MS <= r.watermarkMs) { closed.set(k, v); windows.add(ws); }
  }
  let closedViews = 0, sluiceViews = 0;
  for (const v of closed.values()) closedViews += v;
  for (const v of r.rows.values()) sluiceViews += v;
  for (const [k, v] of r.rows) {
    const want = closed.get(k);
    if (want === undefined) throw new Error(`sluice wrote ${k} = ${v}, which is not a closed window (watermark ${new Date(r.watermarkMs).toISOString()})`);
    if (want !== v) throw new Error(`sluice: ${k} = ${v}, the hand-written loop counted ${want}`);
  }
  for (const k of closed.keys()) if (!r.rows.has(k)) throw new Error(`sluice is missing closed group ${k} (= ${closed.get(k)})`);
  if (sluiceViews !== closedViews) throw new Error(`sluice views in closed windows: ${sluiceViews}, hand-written: ${closedViews}`);
  if (windows.size < 3) throw new Error(`only ${windows.size} windows closed: use more events`);
  return { closedWindows: windows.size, closedViews };
}

// ---- main ----------------------------------------------------------------------------------

/** The test broker's CPU seconds so far (null for an external cluster), and the difference since a reading. */
const brokerCpuSecs = (): number | null => (broker.pid === undefined ? null : pidCpuSecs(broker.pid));
const since = (b0: number | null): number | null => (b0 === null ? null : brokerCpuSecs()! - b0);

const broker = await startBroker({ retentionMiB: Math.max(256, Math.ceil((N * 400) / PARTITIONS / (1 << 20)) * 2) });
try {
  const topic = args.topic ?? uniqueTopic('bench-yahoo');
  const produce = !args.topic || args['produce-only'];
  if (produce && !args.topic) await broker.createTopic(topic, PARTITIONS);
  const tp = performance.now();
  const { expected, bytes } = await generate(broker.bootstrap, topic, N, produce);
  let totalViews = 0;
  for (const v of expected.values()) totalViews += v;
  if (produce) log(`produced ${N} events (${(bytes / N).toFixed(0)} B avg, ${totalViews} views, ${expected.size} campaign-windows) in ${((performance.now() - tp) / 1000).toFixed(1)} s`);
  if (args['produce-only']) { await broker.stop(); process.exit(0); }

  let kBest = Infinity, hBest = Infinity, sBest = Infinity, cBest = Infinity, uBest = Infinity, wBest = Infinity, wCpu = NaN, sCpu = NaN;
  // the broker's CPU seconds during the best kcat and sluice runs: it shares the machine's cores with both
  let cBroker: number | null = null, sBroker: number | null = null, cCpu: number | null = null;
  let handCounts: Counts | null = null;
  const sluiceResults: SluiceResult[] = [];
  let closed: { closedWindows: number; closedViews: number } | null = null;
  let sluiceBatches = 0, dropped = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = [['kcat', 'kafkajs', 'handwritten', 'sluice', 'workers', 'unpruned'], ['unpruned', 'workers', 'sluice', 'handwritten', 'kafkajs', 'kcat']][round % 2]!;
    for (const who of order) {
      if (who === 'unpruned' ? !args.unpruned : who === 'workers' ? args['chunk-workers'] === undefined : only && !only.includes(who)) continue;
      (globalThis as { gc?: () => void }).gc?.();
      if (who === 'kcat') {
        // kcat is a reaped child once it returns, so its CPU is in this process's children's total
        const b0 = brokerCpuSecs(), k0 = childCpuSecs();
        const s = await drainWithKcat(broker.bootstrap, topic);
        const bc = since(b0), kc = childCpuSecs() - k0;
        log(`round ${round + 1} kcat:        ${s.toFixed(3)} s (${Math.round(N / s)} ev/s, ${kc.toFixed(2)} s CPU, broker ${bc?.toFixed(2)} s CPU)`);
        if (s < cBest) { cBroker = bc; cCpu = kc; }
        cBest = Math.min(cBest, s);
      } else if (who === 'kafkajs') {
        const s = await runKafkajs(broker.bootstrap, topic);
        log(`round ${round + 1} kafkajs:     ${s.toFixed(3)} s (${Math.round(N / s)} ev/s)`);
        kBest = Math.min(kBest, s);
      } else if (who === 'handwritten') {
        const r = await runHandwritten(broker.bootstrap, topic);
        log(`round ${round + 1} handwritten: ${r.secs.toFixed(3)} s (${Math.round(N / r.secs)} ev/s)`);
        sameCounts(r.counts, expected, 'hand-written loop vs generated events');
        handCounts = r.counts;
        hBest = Math.min(hBest, r.secs);
      } else if (who === 'workers') {
        const r = await runSluice(broker.bootstrap, topic, true, Number(args['chunk-workers']));
        log(`round ${round + 1} workers:     ${r.secs.toFixed(3)} s (${Math.round(N / r.secs)} ev/s, ${r.cpuSecs.toFixed(2)} s CPU, ${r.rows.size} groups out, ${r.batches} batches)`);
        sluiceResults.push(r);
        if (r.secs < wBest) wCpu = r.cpuSecs;
        wBest = Math.min(wBest, r.secs);
      } else if (who === 'unpruned') {
        const r = await runSluice(broker.bootstrap, topic, false);
        log(`round ${round + 1} unpruned:    ${r.secs.toFixed(3)} s (${Math.round(N / r.secs)} ev/s, ${r.rows.size} groups out, ${r.batches} batches)`);
        sluiceResults.push(r);
        uBest = Math.min(uBest, r.secs);
      } else {
        const r = await runSluice(broker.bootstrap, topic);
        log(`round ${round + 1} sluice:      ${r.secs.toFixed(3)} s (${Math.round(N / r.secs)} ev/s, ${r.cpuSecs.toFixed(2)} s CPU, broker ${r.brokerCpuSecs?.toFixed(2)} s CPU, ${r.rows.size} groups out, ${r.batches} batches)`);
        sluiceResults.push(r);
        if (r.secs < sBest) { sCpu = r.cpuSecs; sBroker = r.brokerCpuSecs; }
        sBest = Math.min(sBest, r.secs);
        sluiceBatches = r.batches;
        dropped = r.dropped;
      }
    }
  }
  // The hand-written counts are checked against generation; sluice against the hand-written loop's
  // (or, with --only sluice, against generation, which the loop is shown to equal).
  for (const r of sluiceResults) closed = checkSluice(r, handCounts ?? expected);

  const rate = (s: number): number | null => (Number.isFinite(s) ? Math.round(N / s) : null);
  const num = (s: number): number | null => (Number.isFinite(s) ? Number(s.toFixed(3)) : null);
  const ratio = (a: number | null, b: number | null): number | null => (a && b ? Number((a / b).toFixed(3)) : null);
  const kRate = rate(kBest), hRate = rate(hBest), sRate = rate(sBest), cRate = rate(cBest);
  console.log(JSON.stringify({
    events: N,
    partitions: PARTITIONS,
    maxOffsetsPerTrigger: MAX_OFFSETS ?? null,
    views: totalViews,
    kcat: { seconds: num(cBest), eventsPerSec: cRate, cpuSeconds: cCpu === null ? null : num(cCpu), brokerCpuSeconds: cBroker === null ? null : num(cBroker) },
    kafkajs: { seconds: num(kBest), eventsPerSec: kRate },
    handwritten: { seconds: num(hBest), eventsPerSec: hRate },
    sluice: { seconds: num(sBest), cpuSeconds: num(sCpu), brokerCpuSeconds: sBroker === null ? null : num(sBroker), eventsPerSec: sRate, batches: sluiceBatches, droppedByWatermark: dropped, ...closed },
    ratioSluiceHandwritten: ratio(sRate, hRate),
    ratioSluiceKafkajs: ratio(sRate, kRate),
    ratioSluiceKcat: ratio(sRate, cRate),
    // from_json parsing every field (spark.sql.optimizer.enableJsonExpressionOptimization=false), with --unpruned
    unpruned: { seconds: num(uBest), eventsPerSec: rate(uBest) },
    ratioSluiceUnpruned: ratio(sRate, rate(uBest)),
    // the JSON-parsing head on worker threads (sluice.exec.chunkWorkers=N), with --chunk-workers N
    workers: { chunkWorkers: args['chunk-workers'] === undefined ? null : Number(args['chunk-workers']), seconds: num(wBest), cpuSeconds: num(wCpu), eventsPerSec: rate(wBest) },
    ratioWorkersSluice: ratio(rate(wBest), sRate),
    ratioWorkersKcat: ratio(rate(wBest), cRate),
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  }));
} finally {
  await broker.stop();
}
process.exit(0);
