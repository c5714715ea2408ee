/**
 * Latency at a low rate: Kafka -> committed Parquet on local disk, default trigger.
 *
 *   npx tsx bench/latency.ts [--count 500] [--every 20] [--rounds 2]
 *
 * A child process (bench/support/paced-producer.ts) produces one record every 20 ms, its value
 * its sequence number and the wall-clock ms of its send. The query (readStream kafka -> value as string -> parquet) runs
 * in this process; a listener notes the wall-clock ms at which each batch's progress is emitted,
 * just after commits/<N> is written. DuckDB then reads every part file back and a record's
 * latency is its batch's commit time minus its send time. Checks: each record is in the output
 * exactly once. Also reports the process's CPU time over a 3 s idle stretch (no records), so a
 * faster poll is seen to cost little when idle. Each round runs it twice, alternating the order:
 * as configured by default (pollingDelay 10 ms) and with pollingDelay 100 ms, the loop's old fixed
 * idle sleep, as the same-run baseline; the best round (lowest p99) of each is reported.
 * Prints one JSON line on stdout.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { Session, col } from '../src/index.ts';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '500' }, every: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' } } });
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

async function run(bootstrap: string, pollingDelay: string) {
  const topic = uniqueTopic('bench-latency');
  await broker.createTopic(topic, 1);
  const dir = tmpDir('latency');
  try {
    const session = Session.builder().appName('bench-latency').getOrCreate();
    session.conf.set('spark.sql.streaming.pollingDelay', pollingDelay);
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

type Result = Awaited<ReturnType<typeof run>>;
const broker = await startBroker();
try {
  // The same-run baseline: pollingDelay 100 ms is the loop's old fixed idle sleep. Order alternates per round.
  const runs: Record<string, Result[]> = { sluice: [], baseline100ms: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const who of i % 2 ? ['baseline100ms', 'sluice'] : ['sluice', 'baseline100ms']) {
      const r = await run(broker.bootstrap, who === 'sluice' ? '10ms' : '100ms');
      log(`round ${i + 1} ${who}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (from the ack: ${JSON.stringify(r.fromAck)}, ack to trigger start ${JSON.stringify(r.ackToTrigger)}), ${r.batches} batches, idle CPU ${r.idleCpuMsPerSec} ms/s; batch phases p50 ${JSON.stringify(r.phaseP50)} p99 ${JSON.stringify(r.batchP99)}`);
      runs[who]!.push(r);
    }
  }
  const best = (rs: Result[]): Result => rs.reduce((a, b) => (b.p99 < a.p99 ? b : a));
  console.log(JSON.stringify({ records: COUNT, everyMs: EVERY, rounds: ROUNDS, sluice: best(runs.sluice!), baseline100ms: best(runs.baseline100ms!) }));
} finally {
  await broker.stop();
}
process.exit(0);
