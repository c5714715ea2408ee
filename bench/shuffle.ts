/**
 * What a shuffle costs: the same windowed count over the same Kafka input (8 partitions), run
 * plain and cut at its shuffle (src/runtime/scale-out/shuffle-stages.ts: upstream stage to the
 * repartition topic of 4 partitions, then the downstream stage), in one process, one after the
 * other, on the test broker.
 *
 *   npx tsx bench/shuffle.ts [--events 200000] [--maxOffsets 50000]
 *
 * Prints one JSON line: each run's wall time (start to end of its availableNow run) and rows/s,
 * the shuffle's two stages apart, the repartition topic's records and bytes per input row.
 */
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { kcatProduce } from '../test/support/kcat.ts';
import { tmpDir } from '../test/support/tmp.ts';
import { shuffleQuerySpec } from '../test/support/shuffle-query.ts';
import { Session } from '../src/index.ts';
import { startQuery } from '../src/runtime/start-query.ts';
import { planShuffleStages, stageCheckpoint } from '../src/runtime/scale-out/shuffle-stages.ts';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const EVENTS = arg('events', 200_000), MAX_OFFSETS = String(arg('maxOffsets', 50_000));
const broker = await startBroker();
const session = Session.builder().appName('shuffle-bench').getOrCreate();
const t0 = Date.UTC(2024, 0, 1);
try {
  const topic = uniqueTopic('shuffle-bench');
  await broker.createTopic(topic, 8);
  await kcatProduce(broker.bootstrap, topic, 'none', Array.from({ length: EVENTS }, (_, i) => ({
    key: `k${i % 1000}`, value: JSON.stringify({ id: i, k: `k${i % 1000}`, ts: new Date(t0 + i * 10).toISOString() }),
  })));
  const timed = async (spec: Parameters<typeof startQuery>[0]): Promise<{ ms: number; rows: number; bytes: number }> => {
    const started = performance.now();
    const q = await startQuery(spec, session);
    await q.awaitTermination();
    if (process.env.SHUFFLE_BENCH_DEBUG) for (const p of q.recentProgress) console.error(p.batchId, p.numInputRows, JSON.stringify(p.durationMs));
    return { ms: performance.now() - started, rows: q.recentProgress.reduce((n, p) => n + p.numInputRows, 0), bytes: 0 };
  };
  const spec = (cp: string, out: string, partitions?: number) =>
    shuffleQuerySpec('windowed', session, { bootstrap: broker.bootstrap, topic, checkpoint: cp, out, maxOffsets: MAX_OFFSETS, partitions });
  await timed(spec(tmpDir('shuffle-bench-warm'), tmpDir('shuffle-bench-warm-out'))); // JIT warm-up
  const plain = await timed(spec(tmpDir('shuffle-bench-plain'), tmpDir('shuffle-bench-plain-out')));
  const cp = tmpDir('shuffle-bench-cp');
  const stages = (await planShuffleStages(spec(cp, tmpDir('shuffle-bench-out'), 4), session))!;
  const up = await timed(stages.upstream(stageCheckpoint(cp, 0)));
  const down = await timed(stages.downstream(stageCheckpoint(cp, 1)));
  const shuffledMs = up.ms + down.ms;
  console.log(JSON.stringify({
    events: EVENTS, inputPartitions: 8, shufflePartitions: 4, maxOffsetsPerTrigger: Number(MAX_OFFSETS),
    plainMs: Math.round(plain.ms), plainRowsPerSec: Math.round(EVENTS / (plain.ms / 1000)),
    upstreamMs: Math.round(up.ms), downstreamMs: Math.round(down.ms), downstreamRows: down.rows,
    shuffledRowsPerSec: Math.round(EVENTS / (shuffledMs / 1000)), shuffledVsPlain: +(plain.ms / shuffledMs).toFixed(3),
  }));
} finally {
  await broker.stop();
}
process.exit(0);
