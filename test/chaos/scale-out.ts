// The chaos harness's scale-out mode (issue #16): `npm run chaos -- --minutes N --workers W`.
//
// The same two queries as main.ts (test/chaos/query.ts: stateless, and windowed with a watermark),
// each run as W scale-out workers (child processes in the query's Kafka group) over one checkpoint
// on local disk. The windowed query is two stages (upstream tasks 0_p write the repartition topic
// in Kafka transactions, downstream tasks 1_q count windows). Workers and the checker reach Kafka
// through tools/kafka-front: the bare mock broker hands read_committed readers open and aborted
// transactional records, the front plays Kafka's transaction coordinator (test/scale-out-windowed.test.ts
// says what the bare mock did). The broker faults hit the mock behind the front; the front stays up.
//
// Faults (faults.ts, two lanes): SIGKILL a worker (restarted after a pause, or not), start one more
// (a rebalance), stop one with SIGTERM (it leaves the group); the broker down briefly, down past the
// group's session timeout (every member's session expires), answering errors, slow; hostile input.
// Then the faults stop, every stage-0 task reads the topic to its end, a far-future order closes
// every window, and the checker reads the topic back and the outputs with DuckDB:
//   stateless: every record of the topic in the output exactly once, with its values (check.ts);
//   windowed: check-scale-out.ts (the shuffle holds each filtered row once; each window once with
//             its sum and count, replayed per downstream task from its own batches and watermarks).
// The summary line adds the groups' rebalances (generations seen) and task moves, from the workers' progress.
import { mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, uniqueTopic } from '../support/broker.ts';
import { startFront } from '../support/kafka-front.ts';
import { mulberry32 } from '../support/prng.ts';
import { tmpDir } from '../support/tmp.ts';
import { repartitionTopic } from '../../src/runtime/scale-out/shuffle-stages.ts';
import { ChaosProducer, OrderGen, MIN } from './producer.ts';
import { WorkerPool } from './pool.ts';
import { FaultScheduler, WORKER_KINDS, SCALE_OUT_INFRA_KINDS } from './faults.ts';
import { CheckpointWatcher } from './checkpoint-watcher.ts';
import { checkStateless, listLocal, readTopic, strayOutputPaths } from './check.ts';
import { checkWindowedScaleOut, readShuffle, type TaskBatches } from './check-scale-out.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUERY = fileURLToPath(new URL('./query.ts', import.meta.url));
const PARTITIONS = 4;
const WINDOW_MS = MIN, DELAY_MS = 2 * MIN;
const SESSION_MS = 4_000;
const STUCK_MS = 120_000;
const FIRST_BATCH_MS = 300_000;
const DRAIN_TIMEOUT_MS = 240_000;

export interface ScaleOutArgs { minutes: number; seed: number; rate: number; keep: boolean; workers: number }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tasks = (stage: number): string[] => Array.from({ length: PARTITIONS }, (_, p) => `${stage}_${p}`);

export async function runScaleOut(args: ScaleOutArgs): Promise<number> {
  const t0 = Date.now();
  const work = tmpDir('chaos-n');
  const logStream = createWriteStream(path.join(work, 'harness.log'));
  const say = (s: string): void => {
    process.stderr.write(`chaos: ${s}\n`);
    logStream.write(`${new Date().toISOString()} ${s}\n`);
  };
  say(`seed ${args.seed}, ${args.minutes} minute(s), ${args.rate} records/s, ${args.workers} workers per query, work dir ${work}`);
  const rng = mulberry32(args.seed);
  const broker = await startBroker({ brokers: 1 });
  const cleanups: (() => Promise<void>)[] = [() => broker.stop()];
  try {
    const front = await startFront({ broker });
    cleanups.unshift(() => front.stop());
    const topic = uniqueTopic('chaos-orders');
    await broker.createTopic(topic, PARTITIONS);
    const local = path.join(work, 'local');
    const paths = (name: string): { cp: string; out: string } => ({ cp: path.join(local, name, 'checkpoint'), out: path.join(local, name, 'output') });
    const sp = paths('stateless'), wp = paths('windowed');
    // The query ids fixed before the first start, so the windowed query's repartition topic can be made with the
    // shuffle's partition count (the mock has no CreateTopics: docs/design/scale-out.md).
    const ids: Record<string, string> = {};
    for (const [name, p] of [['stateless', sp], ['windowed', wp]] as const) {
      mkdirSync(p.cp, { recursive: true });
      ids[name] = randomUUID();
      writeFileSync(path.join(p.cp, 'metadata'), JSON.stringify({ id: ids[name] }) + '\n');
    }
    const repTopic = repartitionTopic(ids.windowed!);
    await broker.createTopic(repTopic, PARTITIONS);

    const env: NodeJS.ProcessEnv = { ...process.env, CHAOS_DELAY: `${DELAY_MS / 1000} seconds`, CHAOS_WINDOW: `${WINDOW_MS / 1000} seconds`,
      CHAOS_SESSION_TIMEOUT: `${SESSION_MS / 1000} seconds` };
    delete env.SLUICE_TEST_CRASH_AT;
    const pool = (kind: 'stateless' | 'windowed', p: { cp: string; out: string }, maxOffsets: number): WorkerPool => new WorkerPool(kind, (name) => ({
      name, script: QUERY, args: [kind, front.bootstrap, topic, p.cp, p.out, String(maxOffsets), 'group'], env, cwd: ROOT,
      logFile: path.join(work, `${name.replace('#', '-')}.log`),
    }), say, 1, args.workers + 2);
    const stateless = pool('stateless', sp, 100), windowed = pool('windowed', wp, 60);
    const pools = [stateless, windowed];
    const watch = (cp: string, ts: string[]): Map<string, CheckpointWatcher> => new Map(ts.map((t) => [t, new CheckpointWatcher(path.join(cp, 'tasks', t))]));
    const watchers = { stateless: watch(sp.cp, tasks(0)), upstream: watch(wp.cp, tasks(0)), downstream: watch(wp.cp, tasks(1)) };
    const allWatchers = [...watchers.stateless.values(), ...watchers.upstream.values(), ...watchers.downstream.values()];

    const gen = new OrderGen(rng, 12, PARTITIONS);
    const producer = new ChaosProducer(broker.bootstrap, topic, gen, rng, args.rate, say);
    await producer.start();
    for (const p of pools) for (let i = 0; i < args.workers; i++) p.add();

    let polling = true;
    const stuck: string[] = [], pollErrors: string[] = [];
    const poller = (async () => {
      while (polling) {
        for (const w of allWatchers) await w.poll().catch((e: unknown) => { if (pollErrors.length < 5) pollErrors.push(String(e)); });
        for (const p of pools) {
          // Under load a worker process takes a minute or two to start (tsx) and its group to settle: the first batch gets longer.
          const since = p.firstProgressAt ?? t0, limit = p.firstProgressAt === undefined ? FIRST_BATCH_MS : STUCK_MS;
          if (Date.now() - Math.max(p.lastProgressAt, since) > limit && !stuck.includes(p.name)) { stuck.push(p.name); say(`${p.name}: no batch for ${limit / 1000} s: stuck`); }
        }
        await sleep(400);
      }
    })();

    const chaosStart = Date.now();
    const scheduler = new FaultScheduler({ rng, broker, gen, queries: [], pools, sessionTimeoutMs: SESSION_MS, say });
    await scheduler.run(chaosStart + args.minutes * MIN);
    const chaosEnd = Date.now();
    say(`chaos over after ${scheduler.faults.length} faults; draining`);

    // Drain: faults off, producer off; every stage-0 task reads to the topic's end (so no data row is behind the
    // sentinel in any task), then the sentinel closes every window.
    await scheduler.clearAll();
    await producer.stop();
    const drainStart = Date.now();
    const atEnds = (ws: Map<string, CheckpointWatcher>, log: { length: number }[]): boolean => [...ws].every(([t, w]) => {
      const p = t.slice(2), b = w.batches.get(w.lastCommit);
      return w.lastCommit >= 0 && (b?.offsets[topic]?.[p] ?? 0) === log[Number(p)]!.length;
    });
    const until = async (what: string, done: () => boolean): Promise<boolean> => {
      while (!done()) {
        if (Date.now() - drainStart > DRAIN_TIMEOUT_MS) { say(`drain: ${what} not reached after ${DRAIN_TIMEOUT_MS / 1000} s`); return false; }
        await sleep(500);
      }
      return true;
    };
    let log = await readTopic(broker.bootstrap, topic, PARTITIONS);
    let drained = await until('stage-0 tasks at the topic end', () => atEnds(watchers.stateless, log) && atEnds(watchers.upstream, log));
    await producer.send([gen.sentinel()]);
    await producer.disconnect();
    log = await readTopic(broker.bootstrap, topic, PARTITIONS);
    const sentinelWm = Math.max(...log.flat().filter((r) => r.key.startsWith('ok:')).map((r) => {
      const t = Date.parse((JSON.parse(r.value) as { event_time: string }).event_time); return Number.isFinite(t) ? t : 0;
    })) - DELAY_MS;
    drained = drained && await until('windows closed by the sentinel', () => atEnds(watchers.stateless, log) && atEnds(watchers.upstream, log)
      && [...watchers.downstream.values()].every((w) => (w.batches.get(w.lastCommit)?.watermarkMs ?? 0) >= sentinelWm));
    const drainMs = Date.now() - drainStart;
    polling = false;
    await poller;
    for (const w of allWatchers) await w.poll();
    if (!drained) for (const p of pools) if (!stuck.includes(p.name)) stuck.push(`${p.name} (drain)`);
    say(drained ? `drained in ${drainMs} ms` : `drain timed out after ${drainMs} ms`);
    const groups = Object.fromEntries(pools.map((p) => [p.name, p.stats()]));
    const restarts = Object.fromEntries(pools.map((p) => [p.name, p.restarts]));
    const unexpectedExits = pools.flatMap((p) => p.unexpected);
    await Promise.all(pools.map((p) => p.stop()));

    // Check.
    const sres = await checkStateless(sp.out, log);
    const downstream: TaskBatches[] = [...watchers.downstream].map(([task, w]) => {
      const batches = [], gaps = [];
      for (let id = 0; id <= w.lastCommit; id++) { const b = w.batches.get(id); if (b) batches.push(b); else gaps.push(id); }
      return { task, start: w.start, batches, gaps };
    });
    const ends = downstream.map((t) => t.batches.at(-1)?.offsets[repTopic]?.[t.task.slice(2)] ?? 0);
    const shuffle = await readShuffle(front.bootstrap, repTopic, ends);
    const wres = await checkWindowedScaleOut(wp.out, log, shuffle, repTopic, downstream, WINDOW_MS);
    const outside: string[] = [];
    const roots = [sp.cp, sp.out, wp.cp, wp.out].map((p) => path.relative(local, p) + '/');
    outside.push(...(await listLocal(local)).filter((f) => !roots.some((r) => f.startsWith(r))).map((f) => `local:${f}`));
    outside.push(...strayOutputPaths(await listLocal(sp.out), true, true).map((f) => `stateless output: ${f}`));
    outside.push(...strayOutputPaths(await listLocal(wp.out), false, true).map((f) => `windowed output: ${f}`));

    const { faultsByKind, recoveryByKind, maxRecovery, unrecovered } = scheduler.tally([...WORKER_KINDS, ...SCALE_OUT_INFRA_KINDS]);
    const failures: string[] = [];
    if (sres.lost || sres.duplicates || sres.wrong || sres.unexpected) failures.push('stateless output');
    if (wres.upstreamLost || wres.upstreamDuplicates || wres.upstreamUnexpected) failures.push('windowed shuffle');
    if (wres.lost || wres.duplicates || wres.wrong || wres.wrongBatch || wres.watermarkBackwards) failures.push('windowed output');
    if (wres.checkpointGaps) failures.push('windowed checkpoint: offsets of some batches never seen');
    if (stuck.length) failures.push(`stuck: ${stuck.join(', ')}`);
    if (outside.length) failures.push('writes outside the output paths');
    if (unexpectedExits.length) failures.push('unexpected worker failures');
    if (scheduler.uncleanLeaves) failures.push('a worker did not stop cleanly on SIGTERM');
    // No second copy runs here: a worker refused a task's lease gave up waiting for its previous owner to let it go.
    const leaseExits = pools.reduce((a, p) => a + (p.restarts['refused: checkpoint lease held'] ?? 0) + (p.restarts['refused: checkpoint in use'] ?? 0), 0);
    if (leaseExits) failures.push(`${leaseExits} worker exit(s): a gained task's lease was not let go in time`);
    const { samples: wSamples, ...windows } = wres;
    const summary = {
      ok: failures.length === 0, failures, seed: args.seed, workers: args.workers,
      minutesRun: +((chaosEnd - chaosStart) / MIN).toFixed(2), totalSeconds: Math.round((Date.now() - t0) / 1000),
      faults: scheduler.faults.length, faultsByKind, groups, restarts,
      batches: {
        stateless: [...watchers.stateless.values()].reduce((a, w) => a + w.lastCommit + 1, 0),
        upstream: [...watchers.upstream.values()].reduce((a, w) => a + w.lastCommit + 1, 0),
        downstream: [...watchers.downstream.values()].reduce((a, w) => a + w.lastCommit + 1, 0),
      },
      rows: {
        produced: sres.records, wellFormed: sres.wellFormed, malformed: sres.badRecords, found: sres.records - sres.lost,
        duplicates: sres.duplicates, lost: sres.lost, wrong: sres.wrong, notInTopic: sres.unexpected, producerSendFailures: producer.stats.sendFailures,
      },
      windows,
      outsideWrites: outside.length, stuck, maxRecoveryMs: maxRecovery, maxRecoveryMsByKind: recoveryByKind, unrecoveredFaults: unrecovered, drainMs,
      unexpectedExits: unexpectedExits.slice(0, 10),
      samples: [...sres.samples, ...wSamples, ...outside.slice(0, 5), ...pollErrors].slice(0, 20),
      workDir: args.keep || failures.length ? work : undefined,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
    if (!args.keep && failures.length === 0) cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
    else say(`kept ${work}`);
    return failures.length ? 1 : 0;
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => say(`cleanup: ${String(e)}`));
    logStream.end();
  }
}
