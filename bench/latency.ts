/**
 * Latency at a low rate: Kafka -> committed Parquet on local disk, default trigger.
 *
 *   npx tsx bench/latency.ts [--count 500] [--every 20] [--rounds 2] [--shm]
 *
 * A child process (bench/support/paced-producer.ts) produces one record every 20 ms, its value
 * its sequence number and the wall-clock ms of its send. The query (readStream kafka -> value as string -> parquet) runs
 * in this process; a listener notes the wall-clock ms at which each batch's progress is emitted,
 * just after commits/<N> is written. DuckDB then reads every part file back and a record's
 * latency is its batch's commit time minus its send time. Checks: each record is in the output
 * exactly once. Also reports the process's CPU time over a 3 s idle stretch (no records), so a
 * faster poll is seen to cost little when idle.
 *
 * The same-run baseline is bench/support/hand-loop.ts: a kafkajs consumer writing one Parquet
 * file per fetched batch (same libraries, temp name, fsync, rename), timed the same way. Its p99
 * is the machine's own (fsync stalls and CPU waits under load), so `p99Ratio` (sluice / hand loop)
 * is the figure that holds from one load to another. Each round runs both, alternating the order;
 * the best round (lowest p99) of each is reported, with the load averages before and after.
 * With --shm, each round also runs the query with its checkpoint and output on /dev/shm (tmpfs: an
 * fsync costs nothing there), as `sluiceShm`: what the engine's own work and the broker's round trips
 * add up to, apart from the disk's fsync tail, which on local disk is most of the p99 (measured here:
 * four 2 KB files written, fsynced and renamed, p50 7 ms and p99 57 ms; without the fsync p99 9 ms).
 * Prints one JSON line on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { Session, col } from '../src/index.ts';
import { startHandLoop } from './support/hand-loop.ts';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '500' }, every: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' }, shm: { type: 'boolean', default: false } } });
const COUNT = Number(args.count), EVERY = Number(args.every), ROUNDS = Number(args.rounds);
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const PRODUCER = fileURLToPath(new URL('./support/paced-producer.ts', import.meta.url));

/** Produces the records; resolves to each record's acknowledgement time (wall-clock ms), by sequence number. */
function produce(bootstrap: string, topic: string): Promise<Map<number, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', PRODUCER, '--bootstrap', bootstrap, '--topic', topic, '--count', String(COUNT), '--every', String(EVERY)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => child.once('close', (code) => {
    if (code !== 0) { reject(new Error(`paced producer exited with ${code}`)); return; }
    resolve(new Map(out.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number])));
  }));
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function run(bootstrap: string, inMemory = false) {
  const topic = uniqueTopic('bench-latency');
  await broker.createTopic(topic, 1);
  const dir = inMemory ? mkdtempSync('/dev/shm/sluice-latency-') : tmpDir('latency');
  try {
    const session = Session.builder().appName('bench-latency').getOrCreate();
    const committedAt = new Map<number, number>(), startedAt = new Map<number, number>();
    const phases: Record<string, number[]> = {};
    session.streams.addListener({
      onQueryProgress: (e) => {
        committedAt.set(e.progress.batchId, Date.now());
        startedAt.set(e.progress.batchId, Date.parse(e.progress.timestamp));
        for (const [k, v] of Object.entries(e.progress.durationMs)) (phases[k] ??= []).push(v);
      },
    });
    const q = await session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
      .select(col('value').cast('string').alias('sent'))
      .writeStream.format('parquet').outputMode('append').option('checkpointLocation', join(dir, 'cp')).start(join(dir, 'out'));
    // Idle first: what the loop costs while there is nothing to read.
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = process.cpuUsage(), w0 = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = process.cpuUsage(cpu0), idleCpuMsPerSec = (cpu.user + cpu.system) / 1000 / ((performance.now() - w0) / 1000);
    const ackedAt = await produce(bootstrap, topic);
    await q.processAllAvailable();
    await q.stop();
    const rows = await duckQuery(`select sent, filename from read_parquet('${join(dir, 'out')}/**/*.parquet', filename = true)`);
    if (rows.length !== COUNT) throw new Error(`expected ${COUNT} records in the output, found ${rows.length}`);
    if (new Set(rows.map((r) => String(r.sent).split(' ')[0])).size !== COUNT) throw new Error('a record is in the output twice');
    // From the producer's acknowledgement: the part of a record's latency that is the query's (the broker already held it).
    const fromAck: number[] = [], ackToTrigger: number[] = [];
    const lat = rows.map((r) => {
      const batch = Number(/part-(\d+)-/.exec(String(r.filename))![1]);
      const at = committedAt.get(batch);
      if (at === undefined) throw new Error(`no progress for batch ${batch}`);
      const [seq, sent] = String(r.sent).split(' ').map(Number) as [number, number];
      fromAck.push(at - ackedAt.get(seq)!);
      ackToTrigger.push(startedAt.get(batch)! - ackedAt.get(seq)!);
      return at - sent;
    }).sort((a, b) => a - b);
    fromAck.sort((a, b) => a - b);
    ackToTrigger.sort((a, b) => a - b);
    const batchP99 = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, pct([...v].sort((a, b) => a - b), 99)]));
    const phaseP50 = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, pct(v.sort((a, b) => a - b), 50)]));
    return { phaseP50, batchP99, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1]!,
      fromAck: { p50: pct(fromAck, 50), p99: pct(fromAck, 99), max: fromAck[fromAck.length - 1]! },
      // from the ack to the start of the trigger that planned the record (negative: planned in a trigger that started before the ack)
      ackToTrigger: { p50: pct(ackToTrigger, 50), p99: pct(ackToTrigger, 99) }, batches: committedAt.size, idleCpuMsPerSec: Math.round(idleCpuMsPerSec * 10) / 10 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The hand-written loop of bench/support/hand-loop.ts over a topic of its own, timed as run() times the query. */
async function runHandLoop(bootstrap: string) {
  const topic = uniqueTopic('bench-latency-hand');
  await broker.createTopic(topic, 1);
  const dir = tmpDir('latency-hand');
  try {
    const loop = await startHandLoop(bootstrap, topic, COUNT, dir);
    await new Promise((r) => setTimeout(r, 1000)); // as run() waits before producing
    const ackedAt = await produce(bootstrap, topic);
    await loop.done;
    await loop.stop();
    const lat = [...loop.committedAt].map(([v, at]) => at - Number(v.split(' ')[1])).sort((a, b) => a - b);
    if (lat.length !== COUNT || ackedAt.size !== COUNT) throw new Error(`hand loop: expected ${COUNT} records, got ${lat.length}`);
    return { p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1]!, files: readdirSync(dir).filter((f) => f.endsWith('.parquet')).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof run>>;
type HandResult = Awaited<ReturnType<typeof runHandLoop>>;
const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
const broker = await startBroker();
try {
  const sluice: Result[] = [], shm: Result[] = [], hand: HandResult[] = [];
  const loadBefore = load();
  const whos = args.shm ? ['sluice', 'sluiceShm', 'handLoop'] : ['sluice', 'handLoop'];
  for (let i = 0; i < ROUNDS; i++) {
    for (const who of i % 2 ? [...whos].reverse() : whos) {
      if (who === 'handLoop') {
        const r = await runHandLoop(broker.bootstrap);
        log(`round ${i + 1} handLoop: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, ${r.files} files; load ${load().join(' ')}`);
        hand.push(r);
      } else {
        const r = await run(broker.bootstrap, who === 'sluiceShm');
        log(`round ${i + 1} ${who}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (from the ack: ${JSON.stringify(r.fromAck)}, ack to trigger start ${JSON.stringify(r.ackToTrigger)}), ${r.batches} batches, idle CPU ${r.idleCpuMsPerSec} ms/s; batch phases p50 ${JSON.stringify(r.phaseP50)} p99 ${JSON.stringify(r.batchP99)}; load ${load().join(' ')}`);
        (who === 'sluice' ? sluice : shm).push(r);
      }
    }
  }
  const best = <T extends { p99: number }>(rs: T[]): T => rs.reduce((a, b) => (b.p99 < a.p99 ? b : a));
  const s = best(sluice), h = best(hand);
  console.log(JSON.stringify({ records: COUNT, everyMs: EVERY, rounds: ROUNDS, loadBefore, loadAfter: load(), sluice: s, handLoop: h,
    ...(args.shm ? { sluiceShm: best(shm) } : {}),
    p99Ratio: Math.round((s.p99 / h.p99) * 100) / 100, p50Ratio: Math.round((s.p50 / h.p50) * 100) / 100 }));
} finally {
  await broker.stop();
}
process.exit(0);
