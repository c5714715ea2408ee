/**
 * How long scale-out's group takes to settle, against a kafkajs consumer group on the same broker
 * with the same timeouts (the baseline: the group protocol as a well-used client runs it).
 *
 *   npx tsx bench/group-rebalance.ts [--tasks 8] [--session 6000] [--rounds 2]
 *
 * Starts the project's mock broker (its first election waits 1 s, so three members started
 * together share one generation) and, per round and per kind, times three steps from the action
 * to the moment every member holds the same generation's disjoint share of all tasks (for the
 * kafkajs consumers: partitions of a topic with --tasks partitions, from their GROUP_JOIN events):
 * three members start; a fourth joins; one leaves. The mock's rebalance waits sessionTimeout - 1 s
 * for members to rejoin (docs/design/scale-out.md), so both kinds are bound by it; what the bench
 * shows is whether sluice's member adds rounds (SyncGroup refusals, extra generations) on top.
 * Each step's best round is reported. Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, uniqueTopic } from '../test/support/broker.ts';
import { GroupWorker, settled, waitFor } from '../test/support/group-worker.ts';

const { values: args } = parseArgs({
  options: { tasks: { type: 'string', default: '8' }, session: { type: 'string', default: '6000' }, rounds: { type: 'string', default: '2' } },
});
const TASKS = Array.from({ length: Number(args.tasks) }, (_, i) => `0_${i}`);
const SESSION = Number(args.session), ROUNDS = Number(args.rounds);
const TIMING = { sessionTimeoutMs: SESSION, rebalanceTimeoutMs: SESSION, heartbeatIntervalMs: Math.floor(SESSION / 10) };
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const SETTLE_MS = 120_000;

type Steps = { start: number; join: number; leave: number };

/** A group of n members of one kind, with the three operations the bench times. */
interface Group { settled(): boolean; add(): Promise<void>; leaveOne(): Promise<void>; close(): Promise<void> }

const broker = await startBroker({ joinDelayMs: 1000 });

async function sluiceGroup(n: number): Promise<Group> {
  const groupId = uniqueTopic('bench-sluice');
  const ws: GroupWorker[] = [];
  const add = async (): Promise<void> => {
    const w = new GroupWorker(broker.bootstrap, { groupId, tasks: TASKS, ...TIMING, host: `w${ws.length}` });
    ws.push(w);
    await w.join();
  };
  await Promise.all(Array.from({ length: n }, add));
  return {
    settled: () => settled(ws, TASKS) !== null,
    add,
    leaveOne: async () => { await ws.shift()!.leave(); },
    close: async () => { await Promise.all(ws.map((w) => w.leave())); },
  };
}

async function kafkajsGroup(n: number): Promise<Group> {
  const topic = uniqueTopic('bench-kafkajs');
  await broker.createTopic(topic, TASKS.length);
  const groupId = uniqueTopic('bench-kafkajs-group');
  const kafka = new Kafka({ clientId: 'bench-group', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const cs: { consumer: ReturnType<Kafka['consumer']>; partitions: number[] | null }[] = [];
  const add = async (): Promise<void> => {
    // maxWaitTimeInMs: kafkajs heartbeats between fetches, and an idle fetch would hold them back 5 s.
    const consumer = kafka.consumer({ groupId, ...{ sessionTimeout: TIMING.sessionTimeoutMs, rebalanceTimeout: TIMING.rebalanceTimeoutMs, heartbeatInterval: TIMING.heartbeatIntervalMs }, maxWaitTimeInMs: 100 });
    const c = { consumer, partitions: null as number[] | null };
    cs.push(c);
    consumer.on(consumer.events.GROUP_JOIN, (e) => { c.partitions = e.payload.memberAssignment[topic] ?? []; });
    // A rebalance starts: its share is unknown until the next GROUP_JOIN.
    consumer.on(consumer.events.REBALANCING, () => { c.partitions = null; });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
  };
  await Promise.all(Array.from({ length: n }, add));
  return {
    settled: () => {
      if (cs.some((c) => c.partitions === null)) return false;
      const all = cs.flatMap((c) => c.partitions!);
      return all.length === TASKS.length && new Set(all).size === TASKS.length;
    },
    add,
    leaveOne: async () => { await cs.shift()!.consumer.disconnect(); },
    close: async () => { await Promise.all(cs.map((c) => c.consumer.disconnect())); },
  };
}

async function timeSteps(kind: string, make: (n: number) => Promise<Group>): Promise<Steps> {
  const settle = async (g: Group, what: string, t0: number, wasSettled: () => boolean): Promise<number> => {
    // A step is done when the group is settled again after having been unsettled by the action (or at once, for the start).
    let moved = !wasSettled();
    await waitFor(`${kind}: ${what}`, () => { if (!g.settled()) moved = true; return moved && g.settled() ? true : null; }, SETTLE_MS, () => what);
    return Math.round(performance.now() - t0);
  };
  let t0 = performance.now();
  const g = await make(3);
  const start = await settle(g, 'three members start', t0, () => false);
  t0 = performance.now();
  const joining = g.add();
  const join = await settle(g, 'a fourth joins', t0, () => true);
  await joining;
  t0 = performance.now();
  await g.leaveOne();
  const leave = await settle(g, 'one leaves', t0, () => true);
  await g.close();
  return { start, join, leave };
}

const best = (rs: Steps[]): Steps => ({
  start: Math.min(...rs.map((r) => r.start)), join: Math.min(...rs.map((r) => r.join)), leave: Math.min(...rs.map((r) => r.leave)),
});

try {
  const sluice: Steps[] = [], kafkajs: Steps[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    kafkajs.push(await timeSteps('kafkajs', kafkajsGroup));
    log(`round ${r + 1} kafkajs ${JSON.stringify(kafkajs.at(-1))}`);
    sluice.push(await timeSteps('sluice', sluiceGroup));
    log(`round ${r + 1} sluice ${JSON.stringify(sluice.at(-1))}`);
  }
  process.stdout.write(JSON.stringify({
    bench: 'group-rebalance', tasks: TASKS.length, sessionTimeoutMs: SESSION, rounds: ROUNDS,
    sluiceMs: best(sluice), kafkajsConsumerMs: best(kafkajs),
  }) + '\n');
} finally {
  await broker.stop();
}
