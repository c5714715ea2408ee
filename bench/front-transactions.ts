/**
 * What the front's transaction coordinator (tools/kafka-front/transactions.ts) costs a reader: kcat
 * drains the same topic with isolation.level=read_committed from the mock directly, through the
 * front without the layer (`transactions: false`), and through the front with it, in one run.
 *
 *   npx tsx bench/front-transactions.ts [--events 500000] [--partitions 4] [--rounds 3]
 *
 * Set-up (not timed): the project's mock broker, N records of ~100 B written with `kcat -P` (plain
 * records: every Fetch answer still passes through the layer, which reads every batch header and
 * rebuilds the answer). Each round times the three drains, in rotated order; the best round of each
 * is reported, and every drain must read all N records. Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { startFront } from '../test/support/kafka-front.ts';
import { haveKcat, kcatConsume, kcatProduce } from '../test/support/kcat.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '500000' }, partitions: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' } },
});
const N = Number(args.events), PARTITIONS = Number(args.partitions), ROUNDS = Number(args.rounds);
if (!haveKcat()) throw new Error('kcat is not installed: run `node scripts/setup.mjs --test` (Debian package kcat)');

const broker = await startBroker();
const withTxn = await startFront({ broker });
const bare = await startFront({ broker, transactions: false });
try {
  const topic = uniqueTopic('bench-front-txn');
  await broker.createTopic(topic, PARTITIONS);
  const pad = 'x'.repeat(90);
  await kcatProduce(broker.bootstrap, topic, 'none', Array.from({ length: N }, (_, i) => ({ key: String(i), value: `${i}-${pad}` })));
  const ways = { direct: broker.bootstrap, front_bare: bare.bootstrap, front_txn: withTxn.bootstrap } as const;
  const best: Record<string, number> = {};
  const names = Object.keys(ways) as (keyof typeof ways)[];
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const t0 = performance.now();
      const got = await kcatConsume(ways[name], topic, ['-X', 'isolation.level=read_committed'], 300_000);
      const s = (performance.now() - t0) / 1000;
      if (got.length !== N) throw new Error(`${name}: kcat read ${got.length} records, ${N} were written`);
      best[name] = Math.min(best[name] ?? Infinity, s);
      process.stderr.write(`[bench] round ${round + 1} ${name}: ${s.toFixed(2)} s\n`);
    }
  }
  const rate = (name: string): number => Math.round(N / best[name]!);
  process.stdout.write(JSON.stringify({
    bench: 'front-transactions', events: N, partitions: PARTITIONS, rounds: ROUNDS,
    direct_ev_s: rate('direct'), front_bare_ev_s: rate('front_bare'), front_txn_ev_s: rate('front_txn'),
    txn_vs_bare: Number((rate('front_txn') / rate('front_bare')).toFixed(2)),
  }) + '\n');
} finally {
  await withTxn.stop();
  await bare.stop();
  await broker.stop();
}
