import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroupError } from '../src/errors.ts';
import { GroupMember, groupIdOf } from '../src/kafka/group/group-member.ts';
import { KafkaClient } from '../src/kafka/kafka-client.ts';
import { countMoves } from '../src/kafka/group/sticky-assignor.ts';
import { type TestBroker, startBroker, uniqueTopic } from './support/broker.ts';
import { GroupWorker, byMember, settled, waitFor } from './support/group-worker.ts';
import { runQueryChild } from './support/query-child.ts';

// Group membership against the real test broker (librdkafka's mock: its group coordinator's
// timing is described in src/kafka/group/group-member.ts). A new group's first election waits
// 1 s, so the three members started together land in one generation.
const TASKS = Array.from({ length: 8 }, (_, i) => `0_${i}`);
const SETTLE_MS = 60_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

let broker: TestBroker;
const started: GroupWorker[] = [];

beforeAll(async () => { broker = await startBroker({ joinDelayMs: 1000 }); }, 30_000);
// Each test's members leave: a later test's injected errors must meet only its own requests.
afterEach(async () => { await Promise.all(started.splice(0).map((w) => w.leave().catch(() => undefined))); }, 30_000);
afterAll(async () => { await broker?.stop(); }, 30_000);

const show = (ws: GroupWorker[]) => (): string => JSON.stringify(ws.map((w) => ({
  gen: w.current()?.generation, tasks: w.current()?.tasks, rebalances: w.rebalances, error: String(w.error ?? ''),
})));

async function group(n: number, tasks = TASKS): Promise<{ groupId: string; workers: GroupWorker[]; generation: number }> {
  const groupId = groupIdOf(uniqueTopic('query'));
  const workers = Array.from({ length: n }, (_, i) => new GroupWorker(broker.bootstrap, { groupId, tasks, host: `w${i}` }));
  started.push(...workers);
  await Promise.all(workers.map((w) => w.join()));
  const generation = await waitFor('the group to settle', () => settled(workers, tasks), SETTLE_MS, show(workers));
  return { groupId, workers, generation };
}

async function add(groupId: string, host: string): Promise<GroupWorker> {
  const w = new GroupWorker(broker.bootstrap, { groupId, tasks: TASKS, host });
  started.push(w);
  await w.join();
  return w;
}

/** A settled generation after `after`, with every worker in it. */
const next = (ws: GroupWorker[], after: number): Promise<number> =>
  waitFor(`a generation after ${after}`, () => { const g = settled(ws, TASKS); return g !== null && g > after ? g : null; }, SETTLE_MS, show(ws));

describe('GroupMember on the test broker', () => {
  it('gives three members disjoint tasks covering all: 3/3/2, and every member the same group view', async () => {
    const { workers, generation } = await group(3);
    const views = workers.map((w) => w.current()!);
    expect(views[0]!.moves).toBe(TASKS.length); // a first assignment moves every task to its first owner
    expect(views.map((v) => v.tasks.length).sort()).toEqual([2, 3, 3]);
    expect(views.filter((v) => v.leader)).toHaveLength(1);
    for (const v of views) {
      expect(v.generation).toBe(generation);
      expect(v.members).toEqual(views[0]!.members);
      expect(v.members.find((m) => m.memberId === v.memberId)!.tasks).toEqual(v.tasks);
    }
    expect(views[0]!.members.map((m) => m.host).sort()).toEqual(['w0', 'w1', 'w2']);
    expect(workers.every((w) => w.error === null)).toBe(true);
  }, 90_000);

  it('rebalances when a fourth member joins: every member rejoins and only the necessary tasks move', async () => {
    const { groupId, workers, generation } = await group(3);
    const before = byMember(workers[0]!.current()!);
    const fourth = await add(groupId, 'w3');
    const all = [...workers, fourth];
    const after = await next(all, generation);
    for (const w of workers) expect(w.rebalances.length).toBeGreaterThan(0);
    const table = byMember(fourth.current()!);
    expect([...table.values()].map((t) => t.length)).toEqual([2, 2, 2, 2]);
    // 3/3/2 -> 2/2/2/2: the two members with three give one each, nothing else moves.
    expect(countMoves(before, table)).toBe(2);
    expect(fourth.current()!.moves).toBe(2);
    for (const [m, ts] of before) for (const t of table.get(m)!) expect(ts).toContain(t);
    expect(fourth.current()!.generation).toBe(after);
  }, 120_000);

  it('moves only a leaving member\'s tasks to the others', async () => {
    const { workers, generation } = await group(3);
    const before = byMember(workers[0]!.current()!);
    const leaver = workers.find((w) => w.current()!.tasks.length === 3)!;
    const gone = leaver.current()!.tasks;
    await leaver.leave();
    const rest = workers.filter((w) => w !== leaver);
    await next(rest, generation);
    const table = byMember(rest[0]!.current()!);
    expect([...table.values()].map((t) => t.length).sort()).toEqual([4, 4]);
    expect(countMoves(before, table)).toBe(gone.length);
    expect(rest[0]!.current()!.moves).toBe(gone.length);
    for (const [m, ts] of table) for (const t of before.get(m)!) expect(ts).toContain(t);
  }, 120_000);

  it('gives an abandoned member\'s tasks (no LeaveGroup, no heartbeats) to the others after its session timeout', async () => {
    const { workers, generation } = await group(3);
    const before = byMember(workers[0]!.current()!);
    const dead = workers[1]!;
    const gone = dead.current()!.tasks;
    await dead.abandon();
    const rest = [workers[0]!, workers[2]!];
    await next(rest, generation);
    expect(rest.every((w) => w.rebalances.length > 0)).toBe(true);
    const table = byMember(rest[0]!.current()!);
    expect(table.size).toBe(2);
    expect(countMoves(before, table)).toBe(gone.length);
    for (const t of gone) expect([...table.values()].flat()).toContain(t);
  }, 120_000);

  it('gives the tasks of a worker process killed with SIGKILL to the others', async () => {
    const groupId = groupIdOf(uniqueTopic('query'));
    const workers = [0, 1].map((i) => new GroupWorker(broker.bootstrap, { groupId, tasks: TASKS, host: `w${i}` }));
    started.push(...workers);
    interface Joined { generation: number; memberId: string; tasks: string[] }
    let child: Joined | null = null;
    let kill = (): void => undefined;
    const run = runQueryChild<Joined>(ROOT, ['test/fixtures/group-member-child.ts', broker.bootstrap, groupId, 'child', String(TASKS.length)], process.env,
      { onSpawn: (c) => { kill = c.kill; } }, 180_000, (p) => { child = p; });
    await Promise.all(workers.map((w) => w.join()));
    // Settled with the child: the workers' view has three members, and the child's last generation is theirs.
    const generation = await waitFor('the group of three to settle', () => {
      const gen = workers[0]!.current()?.generation;
      const view = workers[0]!.current()?.members;
      if (!child || gen === undefined || view?.length !== 3 || child.generation !== gen || workers.some((w) => w.current()?.generation !== gen || w.member.rebalanceNeeded())) return null;
      return gen;
    }, SETTLE_MS, () => `${show(workers)()} child ${JSON.stringify(child)}`);
    const before = byMember(workers[0]!.current()!);
    const gone = before.get(child!.memberId)!;
    expect(gone).toEqual(child!.tasks);
    expect(gone.length).toBeGreaterThan(0);
    kill();
    const r = await run;
    expect(r.signal).toBe('SIGKILL');
    await next(workers, generation);
    const table = byMember(workers[0]!.current()!);
    expect(table.has(child!.memberId)).toBe(false);
    expect(countMoves(before, table)).toBe(gone.length);
    for (const t of gone) expect([...table.values()].flat()).toContain(t);
  }, 180_000);

  // The mock fails the next requests of an API key with the error given (mock_kafka.c `errors`).
  it('retries a JoinGroup answered NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or REBALANCE_IN_PROGRESS', async () => {
    for (const code of [16, 15, 27]) expect(await broker.command(`errors 11 1 ${code}`)).toBe('ok');
    const { workers } = await group(1);
    expect(workers[0]!.current()!.tasks).toEqual(TASKS);
  }, 90_000);

  it('rejoins, keeping its tasks, when a heartbeat answers REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION', async () => {
    const { workers, generation } = await group(2);
    const before = byMember(workers[0]!.current()!);
    expect(await broker.command('errors 12 1 27')).toBe('ok');
    const second = await next(workers, generation);
    expect(await broker.command('errors 12 1 22')).toBe('ok');
    await next(workers, second);
    // One member meets the injected error, the other the rebalance its rejoin starts: each rebalanced twice.
    expect(workers.flatMap((w) => w.rebalances)).toContain('illegal-generation');
    for (const w of workers) expect(w.rebalances.length).toBeGreaterThanOrEqual(2);
    expect(byMember(workers[0]!.current()!)).toEqual(before);
  }, 120_000);

  it('fails a join the coordinator refuses for good, naming the group, the coordinator and the error', async () => {
    expect(await broker.command('errors 11 1 30')).toBe('ok');
    const groupId = groupIdOf(uniqueTopic('query'));
    const w = new GroupWorker(broker.bootstrap, { groupId, tasks: TASKS });
    started.push(w);
    await w.join();
    expect(w.error).toBeInstanceOf(GroupError);
    expect((w.error as Error).message).toMatch(new RegExp(`Kafka group '${groupId}': JoinGroup failed at coordinator 1 \\(127\\.0\\.0\\.1:\\d+\\): GROUP_AUTHORIZATION_FAILED \\(Kafka error 30\\)`));
  }, 60_000);

  it('settles again with every task after the broker is down for longer than the session timeout', async () => {
    const { workers, generation } = await group(2);
    // By host: a member the broker forgot comes back with a new member id on a real broker.
    const byHost = (w: GroupWorker): Map<string, string[]> => new Map(w.current()!.members.map((m) => [m.host, [...m.tasks]]));
    const before = byHost(workers[0]!);
    expect(await broker.command('down -1')).toBe('ok');
    await waitFor('both members to see their generation end', () => (workers.every((w) => w.rebalances.length > 0) ? true : null), SETTLE_MS, show(workers));
    expect(await broker.command('up -1')).toBe('ok');
    await next(workers, generation);
    expect(workers.flatMap((w) => w.rebalances)).toContain('session-lost');
    expect(workers.every((w) => w.error === null)).toBe(true);
    // The members rejoined owning their tasks, so each kept them.
    expect(byHost(workers[0]!)).toEqual(before);
  }, 120_000);

  it('refuses timeouts that cannot work, naming the group and the values', () => {
    const client = new KafkaClient({ servers: broker.brokers, clientId: 'sluice-group-test', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
    const opts = { groupId: 'sluice-q', tasks: TASKS, sessionTimeoutMs: 4000, rebalanceTimeoutMs: 4000, heartbeatIntervalMs: 400 };
    expect(() => new GroupMember(client, { ...opts, heartbeatIntervalMs: 4000 }))
      .toThrow(new GroupError("Group 'sluice-q': the heartbeat interval (4000 ms) must be above 0 and below the session timeout (4000 ms); a third of it is usual."));
    expect(() => new GroupMember(client, { ...opts, rebalanceTimeoutMs: 3000 }))
      .toThrow(new GroupError("Group 'sluice-q': the rebalance timeout (3000 ms) must be at least the session timeout (4000 ms)."));
    expect(() => new GroupMember(client, { ...opts, groupId: '' })).toThrow(GroupError);
  });

  it('refuses a group whose members disagree on the task list, naming them', async () => {
    const groupId = groupIdOf(uniqueTopic('query'));
    const a = new GroupWorker(broker.bootstrap, { groupId, tasks: TASKS, host: 'old' });
    const b = new GroupWorker(broker.bootstrap, { groupId, tasks: [...TASKS, '0_8'], host: 'new' });
    started.push(a, b);
    await Promise.all([a.join(), b.join()]);
    await waitFor('both members to fail', () => (a.error && b.error ? true : null), SETTLE_MS, show([a, b]));
    for (const w of [a, b]) {
      expect(w.error).toBeInstanceOf(GroupError);
      expect(String((w.error as Error).message)).toMatch(new RegExp(`Kafka group '${groupId}'.*members disagree on the query's tasks`));
      expect(String((w.error as Error).message)).toMatch(/ on (old|new) \((8|9) tasks\)/);
    }
  }, 90_000);
});
