// The chaos harness (issue #6): exactly once, shown with figures.
//
//   npm run chaos -- --minutes N [--seed S] [--rate R] [--keep] [--workers W]
//
// --workers W: the scale-out mode (scale-out.ts): each query runs as W workers of its Kafka group.
//
// A producer keeps writing generated orders (ids, out-of-order and late event times, stretches of
// hostile records) to the project's mock broker; two queries run as child processes
// (test/chaos/query.ts): a stateless one (Kafka -> Parquet partitioned by a producer-chosen value)
// and a windowed one (watermark, append); one keeps its checkpoint and output on local disk, the
// other on S3 (s3rver behind the fault proxy; which one is where depends on the seed's parity).
// The fault scheduler (faults.ts) keeps injecting faults for N minutes. Then the faults stop, a
// far-future order closes every window, both queries drain, and the checker (check.ts) reads the
// topic back and the output with DuckDB: every record of the topic in the stateless output exactly
// once (well-formed orders with their values, hostile partition values round-tripped), every
// closed window exactly once, equal to the model's (from the real batch boundaries and
// watermarks), in the batch that closed it; nothing written outside the output and checkpoint paths.
//
// stdout: one JSON summary line. Logs: stderr and <workdir>/harness.log (+ one log per query).
// Exit code 1 when anything was lost, duplicated, wrong, stuck or written outside its paths.
import { mkdirSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, uniqueTopic } from '../support/broker.ts';
import { startS3, listKeys, readText, downloadParquet, splitS3, type TestS3 } from '../support/s3.ts';
import { startFaultProxy } from '../support/s3-fault-proxy.ts';
import { mulberry32 } from '../support/prng.ts';
import { tmpDir } from '../support/tmp.ts';
import { ChaosProducer, OrderGen, MIN } from './producer.ts';
import { SupervisedQuery } from './supervisor.ts';
import { FaultScheduler, INFRA_KINDS, PROCESS_KINDS, type FaultKind } from './faults.ts';
import { CheckpointWatcher } from './checkpoint-watcher.ts';
import { runScaleOut } from './scale-out.ts';
import { checkStateless, checkWindowed, listLocal, readTopic, strayOutputPaths, type Batch, type KafkaOffsets } from './check.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUERY = fileURLToPath(new URL('./query.ts', import.meta.url));
const PARTITIONS = 4;
const WINDOW_MS = MIN, DELAY_MS = 2 * MIN;
const STUCK_MS = 120_000;
const DRAIN_TIMEOUT_MS = 240_000;

function parseArgs(argv: string[]): { minutes: number; seed: number; rate: number; keep: boolean; workers: number } {
  const o = { minutes: 1, seed: Math.floor(Math.random() * 1e9), rate: 100, keep: false, workers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number, got '${argv[i]}'`);
      return v;
    };
    if (a === '--minutes') o.minutes = val();
    else if (a === '--seed') o.seed = Math.floor(val());
    else if (a === '--rate') o.rate = val();
    else if (a === '--keep') o.keep = true;
    else if (a === '--workers') o.workers = Math.floor(val());
    else if (a === '--') continue;
    else throw new Error(`unknown argument '${a}' (usage: --minutes N [--seed S] [--rate records/s] [--keep] [--workers W])`);
  }
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.workers > 0) return runScaleOut(args);
  const t0 = Date.now();
  const work = tmpDir('chaos');
  const logStream = createWriteStream(path.join(work, 'harness.log'));
  const say = (s: string): void => {
    const line = `${new Date().toISOString()} ${s}\n`;
    process.stderr.write(`chaos: ${s}\n`);
    logStream.write(line);
  };
  say(`seed ${args.seed}, ${args.minutes} minute(s), ${args.rate} records/s, work dir ${work}`);
  const rng = mulberry32(args.seed);
  const statelessOnS3 = args.seed % 2 === 1;

  const [broker, s3] = await Promise.all([startBroker({ brokers: 1 }), startS3()]);
  const proxy = await startFaultProxy(s3.endpoint!);
  const cleanups: (() => Promise<void>)[] = [() => proxy.close(), () => s3.stop(), () => broker.stop()];
  try {
    const topic = uniqueTopic('chaos-orders');
    await broker.createTopic(topic, PARTITIONS);
    const local = path.join(work, 'local');
    mkdirSync(local);
    const s3Root = s3.prefix('chaos');
    const place = (name: string, onS3: boolean): { cp: string; out: string } => onS3
      ? { cp: `${s3Root}/${name}/checkpoint`, out: `${s3Root}/${name}/output` }
      : { cp: path.join(local, name, 'checkpoint'), out: path.join(local, name, 'output') };
    const statelessPaths = place('stateless', statelessOnS3), windowedPaths = place('windowed', !statelessOnS3);
    const env = s3.env({
      AWS_ENDPOINT_URL_S3: proxy.endpoint, SLUICE_S3_RETRY_TIMEOUT_MS: '8000', SLUICE_S3_REQUEST_TIMEOUT_MS: '2000',
      SLUICE_S3_CONNECTION_TIMEOUT_MS: '1000', CHAOS_DELAY: `${DELAY_MS / 1000} seconds`, CHAOS_WINDOW: `${WINDOW_MS / 1000} seconds`,
    });
    delete env.SLUICE_TEST_CRASH_AT;
    const mk = (kind: 'stateless' | 'windowed', p: { cp: string; out: string }, maxOffsets: number): SupervisedQuery => new SupervisedQuery({
      name: kind, script: QUERY, args: [kind, broker.bootstrap, topic, p.cp, p.out, String(maxOffsets)], env, cwd: ROOT,
      logFile: path.join(work, `${kind}.log`),
    }, say);
    const stateless = mk('stateless', statelessPaths, 400), windowed = mk('windowed', windowedPaths, 250);
    const queries = [stateless, windowed];
    const watchers = { stateless: new CheckpointWatcher(statelessPaths.cp, s3), windowed: new CheckpointWatcher(windowedPaths.cp, s3) };

    const gen = new OrderGen(rng, 12, PARTITIONS);
    const producer = new ChaosProducer(broker.bootstrap, topic, gen, rng, args.rate, say);
    await producer.start();
    for (const q of queries) q.start();

    // Checkpoint polling and the stuck detector run all along.
    let polling = true, stuck: string[] = [];
    const pollErrors: string[] = [];
    const poller = (async () => {
      while (polling) {
        for (const w of Object.values(watchers)) await w.poll().catch((e: unknown) => { if (pollErrors.length < 5) pollErrors.push(String(e)); });
        for (const q of queries) {
          if (Date.now() - q.lastProgressAt > STUCK_MS && !stuck.includes(q.name)) {
            stuck.push(q.name);
            say(`${q.name}: no batch for ${STUCK_MS / 1000} s: stuck`);
          }
        }
        await sleep(400);
      }
    })();

    // Chaos.
    const chaosStart = Date.now();
    const scheduler = new FaultScheduler({ rng, broker, proxy, gen, queries, s3Query: statelessOnS3 ? stateless : windowed, say });
    await scheduler.run(chaosStart + args.minutes * MIN);
    const chaosEnd = Date.now();
    say(`chaos over after ${scheduler.faults.length} faults; draining`);

    // Drain: faults off, producer off, the sentinel, then wait for both queries to catch up.
    await scheduler.clearAll();
    await producer.stop();
    await producer.send([gen.sentinel()]);
    await producer.disconnect();
    const drainStart = Date.now();
    const log = await readTopic(broker.bootstrap, topic, PARTITIONS);
    const ends: KafkaOffsets = { [topic]: Object.fromEntries(log.map((l, p) => [String(p), l.length])) };
    const sameEnds = (o: KafkaOffsets | undefined): boolean => !!o && log.every((l, p) => (o[topic]?.[String(p)] ?? 0) === l.length);
    const sentinelWm = Math.max(...log.flat().filter((r) => r.key.startsWith('ok:')).map((r) => {
      const t = Date.parse((JSON.parse(r.value) as { event_time: string }).event_time); return Number.isFinite(t) ? t : 0;
    })) - DELAY_MS;
    let drained = false;
    while (Date.now() - drainStart < DRAIN_TIMEOUT_MS) {
      const ws = watchers.stateless, ww = watchers.windowed;
      const sDone = ws.lastCommit >= 0 && sameEnds(ws.batches.get(ws.lastCommit)?.offsets);
      const wLast = ww.batches.get(ww.lastCommit);
      const wDone = ww.lastCommit >= 0 && sameEnds(wLast?.offsets) && (wLast?.watermarkMs ?? 0) >= sentinelWm;
      if (sDone && wDone) { drained = true; break; }
      await sleep(500);
    }
    const drainMs = Date.now() - drainStart;
    polling = false;
    await poller;
    for (const w of Object.values(watchers)) await w.poll();
    if (!drained) {
      for (const [name, w] of Object.entries(watchers)) if (!stuck.includes(name)) {
        const last = w.batches.get(w.lastCommit);
        if (!(sameEnds(last?.offsets) && (name === 'stateless' || (last?.watermarkMs ?? 0) >= sentinelWm))) stuck.push(name);
      }
      say(`drain timed out after ${drainMs} ms: ${stuck.join(', ')}; end offsets ${JSON.stringify(ends)}`);
    } else {
      say(`drained in ${drainMs} ms`);
    }
    for (const q of queries) await q.stop();

    // Check.
    const localCopy = async (out: string): Promise<string> => (out.startsWith('s3://') ? downloadParquet(s3, out) : out);
    const statelessDir = await localCopy(statelessPaths.out), windowedDir = await localCopy(windowedPaths.out);
    const sres = await checkStateless(statelessDir, log);
    const ww = watchers.windowed;
    const batches: Batch[] = [];
    const gaps: number[] = [];
    for (let id = 0; id <= ww.lastCommit; id++) { const b = ww.batches.get(id); if (b) batches.push(b); else gaps.push(id); }
    const wres = await checkWindowed(windowedDir, log, topic, ww.start ?? { [topic]: {} }, gaps.length ? [] : batches, WINDOW_MS, DELAY_MS);

    // Nothing outside the paths: local tree, bucket, and each output's own layout.
    const outside: string[] = [];
    const localFiles = await listLocal(local);
    const localRoots = [statelessPaths, windowedPaths].filter((p) => !p.cp.startsWith('s3://')).flatMap((p) => [p.cp, p.out]).map((p) => path.relative(local, p) + '/');
    outside.push(...localFiles.filter((f) => !localRoots.some((r) => f.startsWith(r))).map((f) => `local:${f}`));
    const bucketKeys = await listKeys(s3, `s3://${splitS3(s3Root).bucket}`);
    const s3Roots = [statelessPaths, windowedPaths].filter((p) => p.cp.startsWith('s3://')).flatMap((p) => [p.cp, p.out]).map((p) => splitS3(p).key + '/');
    outside.push(...bucketKeys.filter((k) => !s3Roots.some((r) => k.startsWith(r))).map((k) => `s3:${k}`));
    const relOut = async (out: string): Promise<string[]> => out.startsWith('s3://')
      ? (await listKeys(s3, out)).map((k) => k.slice(splitS3(out).key.length + 1))
      : listLocal(out);
    outside.push(...strayOutputPaths(await relOut(statelessPaths.out), true).map((f) => `stateless output: ${f}`));
    outside.push(...strayOutputPaths(await relOut(windowedPaths.out), false).map((f) => `windowed output: ${f}`));

    // Summary.
    const { faultsByKind, recoveryByKind, maxRecovery, unrecovered } = scheduler.tally([...PROCESS_KINDS, ...INFRA_KINDS]);
    const missingKinds = (Object.keys(faultsByKind) as FaultKind[]).filter((k) => faultsByKind[k] === 0);
    const unexpectedExits = queries.flatMap((q) => q.unexpected.map((m) => `${q.name}: ${m}`));
    const failures: string[] = [];
    if (sres.lost || sres.duplicates || sres.wrong || sres.unexpected) failures.push('stateless output');
    if (wres.lost || wres.duplicates || wres.wrong || wres.wrongBatch || wres.watermarkMismatches) failures.push('windowed output');
    if (gaps.length) failures.push(`windowed checkpoint: offsets of batches ${gaps.slice(0, 5).join(',')} never seen`);
    if (stuck.length) failures.push(`stuck: ${stuck.join(', ')}`);
    if (outside.length) failures.push('writes outside the output paths');
    if (unexpectedExits.length) failures.push('unexpected query failures');
    if (scheduler.secondCopyOutcomes['not refused in time'] || scheduler.secondCopyOutcomes['copy failed otherwise'] || scheduler.secondCopyOutcomes['original failed otherwise']) {
      failures.push('a second copy was not refused');
    }
    const summary = {
      ok: failures.length === 0,
      failures,
      seed: args.seed,
      minutesRun: +((chaosEnd - chaosStart) / MIN).toFixed(2),
      totalSeconds: Math.round((Date.now() - t0) / 1000),
      placement: { stateless: statelessOnS3 ? 's3' : 'local', windowed: statelessOnS3 ? 'local' : 's3' },
      faults: scheduler.faults.length,
      faultsByKind,
      missingKinds,
      secondCopyOutcomes: scheduler.secondCopyOutcomes,
      restarts: Object.fromEntries(queries.map((q) => [q.name, q.restarts])),
      batches: { stateless: watchers.stateless.lastCommit + 1, windowed: watchers.windowed.lastCommit + 1 },
      rows: {
        produced: sres.records, wellFormed: sres.wellFormed, malformed: sres.badRecords, expected: sres.records, found: sres.records - sres.lost,
        duplicates: sres.duplicates, lost: sres.lost, wrong: sres.wrong, notInTopic: sres.unexpected, hostilePartitionValues: sres.hostileRegions,
        producerSendFailures: producer.stats.sendFailures,
      },
      windows: {
        batches: wres.batches, events: wres.events, lateRows: wres.lateRows, expected: wres.expected, found: wres.found,
        duplicates: wres.duplicates, lost: wres.lost, wrong: wres.wrong, wrongBatch: wres.wrongBatch, watermarkMismatches: wres.watermarkMismatches,
      },
      outsideWrites: outside.length,
      stuck,
      maxRecoveryMs: maxRecovery,
      maxRecoveryMsByKind: recoveryByKind,
      unrecoveredFaults: unrecovered,
      drainMs,
      unexpectedExits: unexpectedExits.slice(0, 10),
      samples: [...sres.samples, ...wres.samples, ...outside.slice(0, 5), ...pollErrors].slice(0, 20),
      workDir: args.keep || failures.length ? work : undefined,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
    for (const d of [statelessDir, windowedDir]) if (d.startsWith(tmpdir()) && !d.startsWith(work)) rmSync(d, { recursive: true, force: true });
    if (!args.keep && failures.length === 0) cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
    else say(`kept ${work}`);
    return failures.length ? 1 : 0;
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => say(`cleanup: ${String(e)}`));
    logStream.end();
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`chaos harness failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(2);
});
